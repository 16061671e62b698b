"""``conflictset release``: a validated, deterministic, atomic release of a build directory.

``release(build_dir, version, out)`` reads a build directory (``sentences.parquet``,
``articles.parquet`` and, once people have reviewed, ``annotations.parquet``), adjudicates,
builds the release tables, validates them (codebook consistency included), and writes::

    out/data/events.parquet  out/data/sentences.parquet  out/data/annotations.parquet
    out/README.md  out/croissant.json  out/report.html  out/manifest.json

Deterministic: tables are sorted by stable keys and written by :func:`conflictset.dataset.io.write_parquet`
(fixed settings); no file carries a wall-clock time, so the same inputs give the same bytes.
Atomic: everything is written into a hidden temporary directory beside ``out`` and swapped in
with renames; a failure (or a kill) leaves any previous release untouched, and the next run
undoes whatever a killed run left beside ``out`` (:mod:`conflictset.dataset.staging`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conflictset import __version__
from conflictset.dataset.io import output_error, sha256_file, write_parquet
from conflictset.dataset.stages import run_stage
from conflictset.dataset.staging import Staging, staged
from conflictset.export import card, croissant, report
from conflictset.export.acceptance import AcceptanceReport, acceptance
from conflictset.export.agreement import AgreementReport, agreement
from conflictset.export.build_dir import fingerprints, quarantined, read_build, reviewer_votes
from conflictset.export.publish import publish
from conflictset.schemas.errors import InputError, OutputError
from conflictset.schemas.release import SCHEMA_VERSION

DATA_FILES = ("data/events.parquet", "data/sentences.parquet", "data/annotations.parquet")
DEFAULT_LICENSE = "cc-by-4.0"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass
class ReleaseSummary:
    out: Path
    version: str
    files: dict[str, dict]
    counts: dict[str, int]
    agreement: AgreementReport = field(repr=False)
    acceptance: AcceptanceReport = field(repr=False)
    ties: pl.DataFrame = field(repr=False)

    def lines(self) -> list[str]:
        lv = self.agreement.levels
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        acc = self.acceptance.overall("event_type")
        rate = acc["acceptance"].to_list()
        out = [f"release {self.version} written to {self.out}"]
        out += [f"  {name}: {meta['rows']} rows" for name, meta in self.files.items() if "rows" in meta]
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
            license: str = DEFAULT_LICENSE) -> ReleaseSummary:
    """Write a release of ``build_dir`` to ``out`` (see the module doc)."""
    if not _SEMVER.match(version):
        raise InputError(f"version {version!r} is not X.Y.Z", fix="use a semantic version such as 1.0.0")
    out = Path(out).absolute()
    with staged(out, kind="release", tree=True) as stage:  # recovers what a killed release left
        _check_out(out)
        return _release(build_dir, version, stage, license)


def _release(build_dir, version: str, stage: Staging, license: str) -> ReleaseSummary:
    sentences, annotations = read_build(build_dir)
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
    facts = dict(version=version, license=license, tables=tables, agreement=agree, acceptance=accept,
                 counts=counts)
    try:
        files = _write(stage, build_dir, facts)
    except OSError as exc:
        raise output_error(stage.target, exc) from None
    stage.commit()
    return ReleaseSummary(stage.target, version, files, counts, agree, accept, tables.ties)


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").is_file())):
        raise OutputError(f"{out} exists and is not a conflictset release (no manifest.json); refusing to "
                          "replace it — fix: choose an empty or new --out directory")


def _write(stage: Staging, build_dir, facts: dict) -> dict[str, dict]:
    """Every release file, written into the staging directory."""
    tables, version, license = facts["tables"], facts["version"], facts["license"]
    tmp = stage.path
    files: dict[str, dict] = {}
    for name, frame in zip(DATA_FILES, (tables.events, tables.sentences, tables.annotations)):
        write_parquet(frame, tmp / name)
        files[name] = file_entry(tmp / name, frame.height)
    (tmp / "README.md").write_text(card.render(files=files, **facts), encoding="utf-8")
    write_json(tmp / "croissant.json", croissant.render(files=files, **facts))
    (tmp / "report.html").write_text(report.render(**facts), encoding="utf-8")
    for name in ("README.md", "croissant.json", "report.html"):
        files[name] = file_entry(tmp / name)
    manifest = {
        "name": "conflictset",
        "version": version,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "conflictset", "version": __version__},
        "license": license,
        "files": files,
        "inputs": fingerprints(build_dir),
        "counts": facts["counts"],
        "figures": {"agreement": facts["agreement"].to_dict(), "acceptance": facts["acceptance"].to_dict()},
    }
    write_json(tmp / "manifest.json", manifest)
    return files
