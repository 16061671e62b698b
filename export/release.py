"""``conflictset release``: a validated, deterministic, atomic release of a build directory.

``release(build_dir, version, out)`` reads a build directory (``sentences.parquet``,
``articles.parquet`` and, once people have reviewed, ``annotations.parquet``), adjudicates,
builds the release tables, validates them (codebook consistency included), and writes::

    out/data/events.parquet  out/data/sentences.parquet  out/data/annotations.parquet
    out/README.md  out/croissant.json  out/report.html  out/manifest.json

Deterministic: tables are sorted by stable keys and written by :func:`dataset.io.write_parquet`
(fixed settings); no file carries a wall-clock time, so the same inputs give the same bytes.
Atomic: everything is written into a hidden temporary directory beside ``out`` and swapped in
with renames; a failure (or a kill) leaves any previous release untouched, and the next run
undoes whatever a killed run left beside ``out`` (:mod:`export.release_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conflictset import __version__
from conflictset.dataset.errors import InputError
from conflictset.dataset.io import _output_error, write_parquet
from conflictset.dataset.stages import run_stage
from conflictset.export.acceptance import AcceptanceReport, acceptance
from conflictset.export.adjudicate import adjudicate, ties
from conflictset.export.agreement import AgreementReport, agreement
from conflictset.export.publish import ANNOTATION_COLUMNS, publish
from conflictset.export.release_dir import check_out, publishable, recover, staging, swap
from conflictset.schemas.release import SCHEMA_VERSION

DATA_FILES = ("data/events.parquet", "data/sentences.parquet", "data/annotations.parquet")
INPUT_FILES = ("sentences.parquet", "articles.parquet", "segments.parquet", "quarantine.parquet",
               "annotations.parquet", "tasks.parquet", "annotation_quarantine.parquet",
               "adjudications.parquet", "adjudication_tasks.parquet", "adjudication_quarantine.parquet")
DEFAULT_LICENSE = "cc-by-4.0"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")

SENTENCE_COLUMNS = ("article_id", "sentence_id", "sentence_index", "text", "char_start", "char_end",
                    "language", "role", "title", "source", "url", "published_at", "event_type",
                    "sub_event_type", "disorder_type", "score", "fatalities", "actor1", "inter1", "actor2",
                    "inter2", "location", "country", "event_date", "time_precision", "spans",
                    "prelabel_version")


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


# ---------------------------------------------------------------- inputs


def _read(path: Path, required: tuple[str, ...]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 — any unreadable file is the user's input problem
        raise InputError(f"cannot read Parquet ({type(exc).__name__}: {exc})", file=str(path),
                         fix="rebuild it with `conflictset build` / `conflictset pull`") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=str(path),
                         fix="it must be written by a current `conflictset build` or `pull`")
    return frame


def read_build(build_dir: str | os.PathLike) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    build = Path(build_dir)
    sentences_path = build / "sentences.parquet"
    if not sentences_path.is_file():
        raise InputError("no sentences.parquet found", file=str(build),
                         fix="pass the --out directory of `conflictset build`")
    sentences = _read(sentences_path, SENTENCE_COLUMNS)
    duplicated = sentences.filter(pl.col("sentence_id").is_duplicated())["sentence_id"].unique().sort()
    if duplicated.len():
        raise InputError(f"{duplicated.len()} sentence_id value(s) occur more than once, e.g. "
                         f"{duplicated.head(3).to_list()}", file=str(sentences_path), field="sentence_id",
                         fix="rebuild it with one `conflictset build` run (ids are unique per build)")
    ann_path = build / "annotations.parquet"
    annotations = _read(ann_path, ANNOTATION_COLUMNS) if ann_path.is_file() else None
    return sentences, annotations


def quarantined(build_dir: str | os.PathLike) -> dict[str, int]:
    """Rows the build and the pull set aside (reported in the card, never silently dropped)."""
    build = Path(build_dir)
    return {f"{name.removesuffix('.parquet')}_rows": pl.scan_parquet(build / name).select(pl.len()).collect().item()
            for name in ("quarantine.parquet", "annotation_quarantine.parquet", "adjudication_quarantine.parquet")
            if (build / name).is_file()}


def reviewer_votes(annotations: pl.DataFrame, build_dir: str | os.PathLike) -> pl.DataFrame:
    """Annotations without the adjudicators' decisions: adjudicators see the reviewers' candidate
    labels, so counting them would inflate agreement."""
    adjudication_tasks = Path(build_dir) / "adjudication_tasks.parquet"
    if not adjudication_tasks.is_file() or annotations is None:
        return annotations
    decided = pl.read_parquet(adjudication_tasks, columns=["task_id"])
    return annotations.join(decided, on="task_id", how="anti")


def load_ties(build_dir: str | os.PathLike) -> pl.DataFrame:
    """The unresolved sentences of a build (``sentence_id, n_annotators, candidate_labels``).

    For ``conflictset push --adjudicate``: these go back to Label Studio, where a ground-truth
    annotation decides them at the next pull.
    """
    sentences, annotations = read_build(build_dir)
    return ties(run_stage("adjudicate", adjudicate, sentences, annotations))


def fingerprints(build_dir: str | os.PathLike) -> dict[str, dict]:
    build = Path(build_dir)
    return {name: {"sha256": sha256_file(build / name), "bytes": (build / name).stat().st_size}
            for name in INPUT_FILES if (build / name).is_file()}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- tables


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
    try:
        recover(out)
    except OSError as exc:
        raise _output_error(out, exc) from None
    check_out(out)
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
        files = _write(out, build_dir, facts)
    except OSError as exc:
        raise _output_error(out, exc) from None
    return ReleaseSummary(out, version, files, counts, agree, accept, tables.ties)


def _write(out: Path, build_dir, facts: dict) -> dict[str, dict]:
    from conflictset.export import card, croissant, report  # noqa: PLC0415 — renderers only needed here

    tables, version, license = facts["tables"], facts["version"], facts["license"]
    with staging(out) as tmp:
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
        publishable(tmp)
        swap(tmp, out)
    return files
