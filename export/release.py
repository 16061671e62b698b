"""Stage ``publish`` and ``conflictset release``: a validated, deterministic, atomic release.

``release(build_dir, version, out)`` reads a build directory (``sentences.parquet``,
``articles.parquet`` and, once people have reviewed, ``annotations.parquet``), adjudicates,
builds the release tables, validates them (codebook consistency included), and writes::

    out/data/events.parquet  out/data/sentences.parquet  out/data/annotations.parquet
    out/README.md  out/croissant.json  out/report.html  out/manifest.json

Deterministic: tables are sorted by stable keys and written by :func:`dataset.io.write_parquet`
(fixed settings); no file carries a wall-clock time, so the same inputs give the same bytes.
Atomic: everything is written into a hidden temporary directory beside ``out`` and swapped in
with renames; a failure (or a kill) leaves any previous release untouched, and the next run
undoes whatever a killed run left beside ``out`` (see :func:`recover`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

import dataset
from dataset.errors import InputError, OutputError
from dataset.io import _output_error, write_parquet
from dataset.prelabel import SPAN_DTYPE
from dataset.stages import run_stage
from export.acceptance import AcceptanceReport, acceptance
from export.adjudicate import adjudicate, ties
from export.agreement import AgreementReport, agreement
from schemas import taxonomy as tx
from schemas.release import (
    SCHEMA_VERSION, Event, FinalSentence, ReleaseAnnotation, expected_interaction, looks_like_email,
)
from schemas.validation import ValidationFailed, validate

DATA_FILES = ("data/events.parquet", "data/sentences.parquet", "data/annotations.parquet")
INPUT_FILES = ("sentences.parquet", "articles.parquet", "segments.parquet", "quarantine.parquet",
               "annotations.parquet", "tasks.parquet", "annotation_quarantine.parquet")
DEFAULT_LICENSE = "cc-by-4.0"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")

SENTENCE_COLUMNS = ("article_id", "sentence_id", "sentence_index", "text", "char_start", "char_end",
                    "language", "role", "title", "source", "url", "published_at", "event_type",
                    "sub_event_type", "disorder_type", "score", "fatalities", "actor1", "inter1", "actor2",
                    "inter2", "location", "country", "event_date", "time_precision", "spans",
                    "prelabel_version")
ANNOTATION_COLUMNS = ("sentence_id", "task_id", "annotation_id", "annotator", "event_type", "sub_event_type",
                      "spans", "lead_time", "was_cancelled", "ground_truth", "prelabel_version")
#: published annotation columns; created_at/updated_at stay private (they profile people's working hours)
RELEASE_ANNOTATION_COLUMNS = (*ANNOTATION_COLUMNS[:7], "lead_time", "was_cancelled", "ground_truth",
                              "prediction_accepted", "prelabel_version")


@dataclass
class ReleaseTables:
    events: pl.DataFrame
    sentences: pl.DataFrame
    annotations: pl.DataFrame
    final: pl.DataFrame
    ties: pl.DataFrame
    orphan_annotations: int


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
            for name in ("quarantine.parquet", "annotation_quarantine.parquet") if (build / name).is_file()}


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


def build_events(sentences: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
    """ACLED-style events: one per sentence with a final event label.

    Actor, inter, location, country, fatalities and date come from the pre-label extraction the
    reviewers saw (annotators label the event and spans, not inter codes). Missing dates fall back
    to the article's publication date with ``time_precision`` 2 (the week is known, the day is not).
    """
    pre = sentences.drop("event_type", "sub_event_type", "disorder_type", "spans")
    dated = pl.col("event_date").is_not_null()
    return (
        final.filter(pl.col("event_type").is_not_null())
        .join(pre, on="sentence_id", how="left")
        .with_columns(
            pl.concat_str([pl.lit("ev-"), pl.col("sentence_id")]).alias("event_id"),
            pl.when(dated).then(pl.col("event_date")).otherwise(pl.col("published_at")).alias("event_date"),
            pl.when(dated).then(pl.col("time_precision").fill_null(3))
            .when(pl.col("published_at").is_not_null()).then(pl.lit(2))
            .otherwise(None).cast(pl.Int8).alias("time_precision"),
            pl.col("fatalities").fill_null(0).cast(pl.Int64),
            expected_interaction().alias("interaction"),
            pl.col("text").alias("notes"),
        )
        .select(list(Event.to_schema().columns))
        .sort("sentence_id")
    )


def build_sentences(sentences: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
    pre = sentences.select(
        "article_id", "sentence_id", "sentence_index", "text", "char_start", "char_end", "language", "role",
        "title", "source", "url", "published_at",
        pl.col("event_type").alias("prelabel_event_type"), pl.col("sub_event_type").alias("prelabel_sub_event_type"),
        pl.col("score").cast(pl.Float64).alias("prelabel_score"), "prelabel_version")
    labels = final.select("sentence_id", "event_type", "sub_event_type", "disorder_type",
                          pl.col("spans").fill_null(pl.lit([], dtype=SPAN_DTYPE)),
                          "label_source", "n_annotators", "agreement")
    ordered = [*FinalSentence.to_schema().columns, "spans"]
    return pre.join(labels, on="sentence_id", how="left").select(ordered).sort("sentence_id")


def pseudonymise(annotators: pl.Series) -> dict[str, str]:
    """Defence in depth: e-mail-like annotator names are replaced before anything is published.

    ``conflictset pull`` already writes pseudonyms; this catches any table that did not.
    """
    emails = annotators.filter(annotators.str.contains(looks_like_email())).unique().sort()
    return {e: "redacted-" + hashlib.sha256(e.encode()).hexdigest()[:12] for e in emails}


def build_annotations(annotations: pl.DataFrame | None, sentence_ids: pl.DataFrame) -> pl.DataFrame:
    if annotations is None:
        annotations = pl.DataFrame(schema={c: pl.String for c in ANNOTATION_COLUMNS})
    if "prediction_accepted" not in annotations.columns:
        annotations = annotations.with_columns(pl.lit(None, dtype=pl.Boolean).alias("prediction_accepted"))
    no_event = pl.col("event_type").is_null() | (pl.col("event_type") == tx.NO_EVENT)
    return (
        annotations.join(sentence_ids, on="sentence_id", how="semi")
        .with_columns(
            pl.col("annotator").replace(pseudonymise(annotations["annotator"].cast(pl.String))),
            pl.when(no_event).then(None).otherwise(pl.col("event_type")).alias("event_type"),
            pl.col("task_id", "annotation_id").cast(pl.Int64),
            pl.col("lead_time").cast(pl.Float64),
            pl.col("was_cancelled", "ground_truth").cast(pl.Boolean).fill_null(False),
            pl.col("prediction_accepted").cast(pl.Boolean),
            pl.col("spans").cast(SPAN_DTYPE).fill_null(pl.lit([], dtype=SPAN_DTYPE)),
        )
        .select(RELEASE_ANNOTATION_COLUMNS)
        .sort("sentence_id", "annotation_id")
    )


def _validated(frame: pl.DataFrame, model, table: str) -> pl.DataFrame:
    """Validate; name the sentence of every failing row so a person can find it."""
    try:
        return validate(frame, model, table=table, stage="validate")
    except ValidationFailed as exc:
        ids = frame.select(pl.int_range(pl.len()).alias("row"), "sentence_id")
        report = (
            exc.report.join(ids, on="row", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("column").is_null() & pl.col("reason").is_in(["hierarchy_mismatch"]))
                .then(pl.lit("sub_event_type"))
                .when(pl.col("column").is_null() & (pl.col("reason") == "disorder_mismatch"))
                .then(pl.lit("disorder_type"))
                .when(pl.col("column").is_null() & (pl.col("reason") == "interaction_mismatch"))
                .then(pl.lit("interaction"))
                .otherwise(pl.col("column")).alias("column"),
                pl.when(pl.col("sentence_id").is_not_null())
                .then(pl.format("sentence_id={}: {}", pl.col("sentence_id"), pl.col("failure_case")))
                .otherwise(pl.col("failure_case")).alias("failure_case"),
            )
        )
        raise ValidationFailed(table, report, "validate") from None


def publish(sentences: pl.DataFrame, annotations: pl.DataFrame | None) -> ReleaseTables:
    """Stage ``publish``: adjudicate, build the three release tables and validate them."""
    final = run_stage("adjudicate", adjudicate, sentences, annotations)
    ids = sentences.select("sentence_id")
    events = _validated(build_events(sentences, final), Event, "events")
    final_sentences = _validated(build_sentences(sentences, final), FinalSentence, "sentences")
    released = _validated(build_annotations(annotations, ids), ReleaseAnnotation, "annotations")
    orphans = 0 if annotations is None else annotations.join(ids, on="sentence_id", how="anti").height
    return ReleaseTables(events, final_sentences, released, final, ties(final), orphans)


# ---------------------------------------------------------------- writing


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out: Path) -> None:
    """Undo what a killed release left beside ``out``.

    A kill between the two renames of the swap leaves the previous release at
    ``.NAME.old-PID`` and nothing at ``out``: it is moved back. Staging directories
    (``.NAME.PID.*.tmp``) of processes that no longer run are removed.
    """
    if not out.parent.is_dir():
        return
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*")):
        match = re.fullmatch(rf"\.{re.escape(out.name)}\.(?:old-(\d+)|(\d+)\..*\.tmp)", path.name)
        if not match or not path.is_dir():
            continue
        old_pid, tmp_pid = match.groups()
        if _alive(int(old_pid or tmp_pid)):
            continue  # another release is running right now
        if old_pid and not out.exists():
            os.replace(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").is_file())):
        raise OutputError(f"{out} exists and is not a conflictset release (no manifest.json); refusing to "
                          "replace it — fix: choose an empty or new --out directory")


@contextlib.contextmanager
def _staging(out: Path):
    """A hidden temporary directory beside ``out``; removed unless it was swapped in."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise _output_error(out, exc) from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publishable(tmp: Path) -> None:
    """Temporary files and directories are private (0600/0700); a release is for sharing."""
    mask = _current_umask()
    for path in (tmp, *tmp.rglob("*")):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def _swap(tmp: Path, out: Path) -> None:
    """Move the new release in; the old one is set aside first and restored if the move fails."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    try:
        if out.exists():
            os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError:
            if old.exists():
                os.replace(old, out)
            raise
    except OSError as exc:
        raise _output_error(out, exc) from None
    shutil.rmtree(old, ignore_errors=True)


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
    _check_out(out)
    sentences, annotations = read_build(build_dir)
    tables = run_stage("publish", publish, sentences, annotations)
    agree = agreement(tables.annotations)
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
    from export import card, croissant, report  # noqa: PLC0415 — renderers only needed here

    tables, version, license = facts["tables"], facts["version"], facts["license"]
    with _staging(out) as tmp:
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
            "tool": {"name": "conflictset", "version": dataset.__version__},
            "license": license,
            "files": files,
            "inputs": fingerprints(build_dir),
            "counts": facts["counts"],
            "figures": {"agreement": facts["agreement"].to_dict(), "acceptance": facts["acceptance"].to_dict()},
        }
        write_json(tmp / "manifest.json", manifest)
        _publishable(tmp)
        _swap(tmp, out)
    return files
