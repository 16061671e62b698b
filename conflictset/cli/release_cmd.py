"""``conflictset release``, ``diff`` and ``validate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from conflictset.cli.app import fail, handle_errors, main
from conflictset.export.diff import diff
from conflictset.export.release import release
from conflictset.export.validate_release import validate_path
from conflictset.schemas.validation import ValidationFailed


@main.command("release")
@click.argument("build_dir", type=click.Path(path_type=Path))
@click.option("--version", "version", required=True, help="Release version, X.Y.Z.")
@click.option("--out", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="Release directory; a previous release there is replaced only on success.")
@click.option("--license", "license_", default="cc-by-4.0", show_default=True,
              help="Licence of the labels (Hugging Face licence id) for the card and Croissant.")
@handle_errors
def release_command(build_dir: Path, version: str, out: Path, license_: str) -> None:
    """Adjudicate, validate and publish BUILD_DIR as a versioned Parquet release.

    BUILD_DIR is a `conflictset build --out` directory, plus annotations.parquet once
    `conflictset pull --out BUILD_DIR` has run (unreviewed sentences keep their pre-label).
    Writes data/{events,sentences,annotations}.parquet, README.md, croissant.json,
    report.html and manifest.json.
    """
    try:
        summary = release(build_dir, version, out, license=license_)
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
