"""``conflictset release``: a validated, deterministic, atomic, immutable release of a build directory.

``release(build_dir, version, out)`` reads a build directory (``sentences.parquet``,
``articles.parquet`` and, once people have reviewed, ``annotations.parquet``) and the dataset
metadata (``dataset.toml``: :mod:`conflictset.export.metadata`), adjudicates, builds the release
tables, validates them (codebook consistency included), keeps the article text the text policy
allows (:mod:`conflictset.export.text_policy`) and writes::

    out/data/events.parquet  out/data/sentences.parquet  out/data/annotations.parquet
    out/README.md  out/CITATION.cff  out/CHANGELOG.md  out/croissant.json  out/report.html
    out/manifest.json

Deterministic: tables are sorted by stable keys and written by :func:`conflictset.dataset.io.write_parquet`
(fixed settings); the one date in the release is the release date (:func:`versions.release_date`:
the metadata's, else this version's first publication), so the same inputs give the same bytes.
Immutable: a version already published at ``out`` or beside it with other files is refused; with
the same files nothing is written (:mod:`conflictset.export.versions`).
Atomic: everything is written into a hidden temporary directory beside ``out`` and swapped in
with renames; a failure (or a kill) leaves any previous release untouched, and the next run
undoes whatever a killed run left beside ``out`` (:mod:`conflictset.dataset.staging`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conflictset import __version__
from conflictset.dataset.io import output_error, sha256_file, write_parquet
from conflictset.dataset.stages import run_stage
from conflictset.dataset.staging import Staging, staged
from conflictset.export import card, changelog, citation, croissant, metadata, report, versions
from conflictset.export.acceptance import AcceptanceReport, acceptance
from conflictset.export.agreement import AgreementReport, agreement
from conflictset.export.build_dir import fingerprints, quarantined, read_build, reviewer_votes
from conflictset.export.diff import diff
from conflictset.export.metadata import DatasetMetadata
from conflictset.export.publish import publish
from conflictset.export.text_policy import apply as apply_text_policy
from conflictset.export.text_policy import check_policy
from conflictset.schemas.errors import OutputError
from conflictset.schemas.release import SCHEMA_VERSION

DATA_FILES = ("data/events.parquet", "data/sentences.parquet", "data/annotations.parquet")
DEFAULT_TEXT_POLICY = "full"


@dataclass
class ReleaseSummary:
    out: Path
    version: str
    files: dict[str, dict]
    counts: dict[str, int]
    agreement: AgreementReport = field(repr=False)
    acceptance: AcceptanceReport = field(repr=False)
    ties: pl.DataFrame = field(repr=False)
    name: str = ""
    released: str = ""
    text_policy: str = DEFAULT_TEXT_POLICY
    previous: str | None = None  # the version the changelog compares with
    unchanged: bool = False  # this version was already at ``out`` with the same content: nothing written

    def lines(self) -> list[str]:
        if self.unchanged:
            return [f"release {self.version} of {self.name} unchanged: {self.out} already holds exactly this "
                    "content (nothing written; a new version number publishes changes)"]
        lv = self.agreement.levels
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        acc = self.acceptance.overall("event_type")
        rate = acc["acceptance"].to_list()
        out = [f"release {self.version} written to {self.out} (dataset {self.name}, released {self.released}, "
               f"text policy {self.text_policy})"]
        out += [f"  {name}: {meta['rows']} rows" for name, meta in self.files.items() if "rows" in meta]
        out.append(f"  changes since {self.previous} in CHANGELOG.md" if self.previous else
                   "  first release of this dataset (no older version at or beside --out)")
        out.append("  label sources: " + ", ".join(
            f"{k.removeprefix('label_source_')}={v}" for k, v in self.counts.items()
            if k.startswith("label_source_")))
        out.append(f"  agreement on {self.agreement.items_pairable} items with ≥2 annotators "
                   f"({self.agreement.items_excluded} single-annotator items excluded): "
                   f"α event_type={fmt(lv['event_type'].alpha)}, α sub_event_type={fmt(lv['sub_event_type'].alpha)}, "
                   f"hierarchy-aware α={fmt(self.agreement.hierarchy.alpha)}")
        out.append(f"  pre-label acceptance (event_type) on {self.acceptance.n_reviewed} reviewed sentences: "
                   + (", ".join(f"{v}: {fmt(r)}" for v, r in zip(acc["prelabel_version"], rate)) or "n/a"))
        if self.ties.height:
            out.append(f"  {self.ties.height} tie(s) left unresolved (no final label); send them to review "
                       "with `conflictset push --adjudicate`")
        return out


# ---------------------------------------------------------------- writing


def file_entry(path: Path, rows: int | None = None) -> dict:
    entry = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    if rows is not None:
        entry["rows"] = rows
    return entry


def write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def release(build_dir: str | os.PathLike, version: str, out: str | os.PathLike, *,
            meta: DatasetMetadata | str | os.PathLike | None = None, previous: str | os.PathLike | None = None,
            text_policy: str | None = None) -> ReleaseSummary:
    """Write a release of ``build_dir`` to ``out`` (see the module doc).

    ``meta``: the dataset metadata, or the path of its ``dataset.toml`` (default: beside the build
    directory, then inside it). ``previous``: the release the changelog compares with (default: the
    highest older version at or beside ``out``). ``text_policy``: full, snippets or ids (default:
    the metadata's, else full).
    """
    number = versions.parse_version(version)
    build = read_build(build_dir)  # first: a wrong build directory is the likelier mistake
    if not isinstance(meta, DatasetMetadata):
        meta = metadata.load(meta) if meta is not None else metadata.find(build_dir)
    policy = check_policy(text_policy or meta.text_policy or DEFAULT_TEXT_POLICY)
    out = Path(out).absolute()
    with staged(out, kind="release", tree=True) as stage:  # recovers what a killed release left
        _check_out(out, meta.name)
        found = versions.published_beside(out, meta.name)
        before = versions.explicit_previous(previous, number) if previous else versions.previous_release(found, number)
        existing = versions.same_version(found, number)
        facts = dict(version=str(number), meta=meta, text_policy=policy,
                     released=versions.release_date(meta.date_released, existing))
        return _release(build_dir, build, stage, facts, before, existing)


def _release(build_dir, build: tuple, stage: Staging, facts: dict, before: versions.Published | None,
             existing: list[versions.Published]) -> ReleaseSummary:
    sentences, annotations = build
    tables = run_stage("publish", publish, sentences, annotations)
    agree = agreement(reviewer_votes(tables.annotations, build_dir))
    accept = acceptance(sentences, tables.final, tables.annotations)
    counts = {
        "sentences": tables.sentences.height,
        "events": tables.events.height,
        "annotations": tables.annotations.height,
        "ties": tables.ties.height,
        "orphan_annotations": tables.orphan_annotations,
        **quarantined(build_dir),
        **{f"label_source_{k}": v for k, v in sorted(
            tables.sentences.group_by("label_source").len().iter_rows())},
    }
    facts.update(license=facts["meta"].license, tables=apply_text_policy(tables, facts["text_policy"]),
                 agreement=agree, acceptance=accept, counts=counts)
    try:
        files = _write(stage, build_dir, facts, before)
    except OSError as exc:
        raise output_error(stage.target, exc) from None
    versions.check_immutable(existing, facts["version"], {name: entry["sha256"] for name, entry in files.items()})
    unchanged = any(p.path == stage.target for p in existing)
    if not unchanged:
        stage.commit()
    return ReleaseSummary(stage.target, facts["version"], files, counts, agree, accept, tables.ties,
                          name=facts["meta"].name, released=facts["released"], text_policy=facts["text_policy"],
                          previous=str(before.version) if before else None, unchanged=unchanged)


def _check_out(out: Path, name: str) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").is_file())):
        raise OutputError(f"{out} exists and is not a conflictset release (no manifest.json); refusing to "
                          "replace it — fix: choose an empty or new --out directory")
    there = versions.read_published(out)
    if there is not None and there.name not in (None, name):
        raise OutputError(f"{out} holds release {there.version} of another dataset ({there.name!r}, not {name!r}); "
                          "refusing to replace it — fix: choose another --out directory")


def _changelog(tmp: Path, facts: dict, before: versions.Published | None) -> str:
    if before is None:
        section = changelog.section(facts["version"], facts["released"], facts["counts"])
        return changelog.render(facts["meta"].title, section)
    section = changelog.section(facts["version"], facts["released"], facts["counts"],
                                previous=str(before.version), change=diff(before.path, tmp))
    earlier = before.path / "CHANGELOG.md"
    return changelog.render(facts["meta"].title, section,
                            earlier.read_text(encoding="utf-8") if earlier.is_file() else None)


def _write(stage: Staging, build_dir, facts: dict, before: versions.Published | None) -> dict[str, dict]:
    """Every release file, written into the staging directory."""
    tables, meta, version = facts["tables"], facts["meta"], facts["version"]
    tmp = stage.path
    files: dict[str, dict] = {}
    for name, frame in zip(DATA_FILES, (tables.events, tables.sentences, tables.annotations)):
        write_parquet(frame, tmp / name)
        files[name] = file_entry(tmp / name, frame.height)
    (tmp / "CHANGELOG.md").write_text(_changelog(tmp, facts, before), encoding="utf-8")
    (tmp / "CITATION.cff").write_text(citation.cff_text(meta, version, facts["released"]), encoding="utf-8")
    (tmp / "README.md").write_text(card.render(files=files, **facts), encoding="utf-8")
    write_json(tmp / "croissant.json", croissant.render(files=files, **facts))
    (tmp / "report.html").write_text(report.render(**facts), encoding="utf-8")
    for name in ("CHANGELOG.md", "CITATION.cff", "README.md", "croissant.json", "report.html"):
        files[name] = file_entry(tmp / name)
    inputs = fingerprints(build_dir)
    if meta.source and Path(meta.source).is_file():
        inputs[Path(meta.source).name] = file_entry(Path(meta.source))
    manifest = {
        "name": meta.name,
        "version": version,
        "date_published": facts["released"],
        "dataset": meta.to_dict(),
        "text_policy": facts["text_policy"],
        "previous_version": str(before.version) if before else None,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "conflictset", "version": __version__},
        "license": meta.license,
        "files": files,
        "inputs": inputs,
        "counts": facts["counts"],
        "figures": {"agreement": facts["agreement"].to_dict(), "acceptance": facts["acceptance"].to_dict()},
    }
    write_json(tmp / "manifest.json", manifest)
    return files
