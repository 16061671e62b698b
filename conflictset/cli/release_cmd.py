"""``conflictset release``, ``diff`` and ``validate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from conflictset.cli.app import fail, handle_errors, main
from conflictset.export.diff import diff
from conflictset.export.metadata import TEXT_POLICIES
from conflictset.export.release import release
from conflictset.export.validate_release import validate_path
from conflictset.schemas.validation import ValidationFailed


@main.command("release")
@click.argument("build_dir", type=click.Path(path_type=Path))
@click.option("--version", "version", required=True,
              help="Release version, SemVer X.Y.Z (e.g. 1.0.0, 1.1.0-rc.1). A published version never changes: "
                   "the same content again is a no-op, different content is refused.")
@click.option("--out", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="Release directory; a previous release there is replaced only on success. Keep releases in "
                   "one folder (releases/1.0.0, releases/1.1.0) and the previous one is found beside it.")
@click.option("--meta", "meta", type=click.Path(path_type=Path), default=None,
              help="The dataset metadata file (name, authors, licence, citation). Default: dataset.toml beside "
                   "BUILD_DIR (in its parent folder), else inside it; `conflictset init` writes a template.")
@click.option("--previous", "previous", type=click.Path(path_type=Path), default=None,
              help="The release CHANGELOG.md compares with. Default: the highest older version of the same "
                   "dataset at --out or in the folders beside it; none: a first release.")
@click.option("--text-policy", "text_policy", type=click.Choice(TEXT_POLICIES), default=None,
              help="How much article text to publish: full (every sentence), snippets (only sentences with an "
                   "event), ids (ids, offsets and URLs, no text). Default: text_policy in the metadata, else full.")
@handle_errors
def release_command(build_dir: Path, version: str, out: Path, meta: Path | None, previous: Path | None,
                    text_policy: str | None) -> None:
    """Adjudicate, validate and publish BUILD_DIR as a versioned, citable Parquet release.

    BUILD_DIR is a `conflictset build --out` directory, plus annotations.parquet once
    `conflictset pull --out BUILD_DIR` has run (unreviewed sentences keep their pre-label).
    Writes data/{events,sentences,annotations}.parquet, README.md, CITATION.cff,
    CHANGELOG.md, croissant.json, report.html and manifest.json.
    """
    try:
        summary = release(build_dir, version, out, meta=meta, previous=previous, text_policy=text_policy)
    except ValidationFailed as exc:
        fail("release stopped, nothing was written: " + exc.summary(limit=50), 4)
    click.echo("\n".join(summary.lines()))


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full difference as JSON.")
@handle_errors
def diff_command(old: Path, new: Path, as_json: bool) -> None:
    """Sentences added, removed and relabelled from release OLD to NEW, with agreement and acceptance deltas."""
    result = diff(old, new)
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if as_json else "\n".join(result.lines()))


@main.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def validate_command(path: Path, as_json: bool) -> None:
    """Validate a Parquet table, a build directory or a release (checksums included).

    Exit code 0 when everything is valid, 4 when problems were found (each with a reason code).
    """
    report = validate_path(path)
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else "\n".join(report.lines()))
    if not report.ok:
        sys.exit(4)
