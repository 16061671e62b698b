"""``build``: input files → articles, segments, sentences and quarantine Parquet, streamed.

This module only chains stages (each through :func:`dataset.stages.run_stage`, so an error
names its stage) and writes their outputs::

    discover → ingest (batches) → clean → segment → prelabel → validate → write

Articles are processed in batches of ``batch_size`` records (default :data:`DEFAULT_BATCH_SIZE`)
and at most about 16 MiB of article text (:data:`dataset.ingest.DEFAULT_BATCH_BYTES`), and every
table is streamed to Parquet, so memory stays flat however large the input. The main thread
ingests batch i+2 while :data:`BATCH_WORKERS` worker threads clean, segment and pre-label
batches i and i+1 and a writer thread validates and writes batch i-1; each hand-over takes
results strictly in input order, so the output bytes do not depend on the threads. All four
files are written into a staging directory inside ``out`` and moved into place only when the
whole build succeeded: a failure (or Ctrl-C) leaves the previous outputs as they were and no
temporary files behind.

Counts reconcile: every input record is either a built article or a quarantine row.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import polars as pl

from conflictset.dataset.errors import ConflictsetError, OutputError
from conflictset.dataset.io import ParquetStream, pid_alive, umask
from conflictset.dataset.segment import segment_articles
from conflictset.dataset.stages import run_stage, split_rejects
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA, SENTENCE_ROLES, Article, Quarantine, Segment, Sentence
from conflictset.schemas.reasons import Reason
from conflictset.schemas.validation import validate

OUTPUT_FILES = ("articles", "segments", "sentences", "quarantine")

ARTICLE_COLUMNS: dict[str, pl.DataType] = {
    "article_id": pl.String(), "title": pl.String(), "url": pl.String(), "source": pl.String(),
    "published_at": pl.Date(), "language": pl.String(), "source_file": pl.String(),
    "source_row": pl.Int64(), "clean_text": pl.String(), "n_segments": pl.Int64(),
    "n_sentences": pl.Int64(),
}
SEGMENT_COLUMNS: dict[str, pl.DataType] = {
    "article_id": pl.String(), "segment_index": pl.Int64(), "text": pl.String(),
    "role": pl.String(), "reason": pl.String(), "char_start": pl.Int64(), "char_end": pl.Int64(),
}
SENTENCE_SCHEMA: dict[str, pl.DataType] = {
    "article_id": pl.String(), "sentence_id": pl.String(), "sentence_index": pl.Int64(),
    "text": pl.String(), "char_start": pl.Int64(), "char_end": pl.Int64(), "language": pl.String(),
    "role": pl.String(), "title": pl.String(), "source": pl.String(), "url": pl.String(),
    "published_at": pl.Date(), "prev_text": pl.String(), "next_text": pl.String(),
}
METADATA = ("title", "source", "url", "published_at")
#: articles per batch. Every batch pays fixed costs (building the pre-labeller's Aho–Corasick
#: automata, pandera's per-validation set-up, a Parquet row group per table), so small batches
#: are slow: at 2,000 articles (~14k sentences) those costs were over half the build time. At
#: 10,000 short articles the build's peak RSS stays around 0.8 GB, flat in the input size; long
#: articles are bounded by the text cap of :data:`dataset.ingest.DEFAULT_BATCH_BYTES` instead.
DEFAULT_BATCH_SIZE = 10_000
#: batches cleaned, segmented and pre-labelled at once, one per core of the 2-core target machine
BATCH_WORKERS = 2
#: inputs smaller than this finish before a progress bar is worth drawing
PROGRESS_MIN_BYTES = 4 << 20


@dataclass
class BuildSummary:
    """What a build produced; every input record is an article or a quarantine row."""

    articles: int = 0
    segments_by_role: dict[str, int] = field(default_factory=dict)
    sentences: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    input_records: int = 0
    sentences_by_language: dict[str, int] = field(default_factory=dict)
    out_dir: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    #: wall time per stage (ingest, clean, segment, prelabel) plus validate and write; prelabel runs
    #: on its own thread beside the others, so the sum can exceed ``seconds``
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        return self.input_records == self.articles + self.quarantined

    def lines(self) -> list[str]:
        """Human-readable closing summary (the CLI prints it)."""
        roles = ", ".join(f"{role} {n:,}" for role, n in sorted(self.segments_by_role.items(), key=lambda kv: -kv[1]))
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.quarantined_by_reason.items(), key=lambda kv: -kv[1]))
        langs = ", ".join(f"{lang} {n:,}" for lang, n in sorted(self.sentences_by_language.items(), key=lambda kv: -kv[1]))
        out = [
            f"input records: {self.input_records:,} = {self.articles:,} articles + {self.quarantined:,} quarantined",
            f"segments: {sum(self.segments_by_role.values()):,} ({roles or 'none'})",
            f"sentences: {self.sentences:,}" + (f" ({langs})" if langs else ""),
            f"quarantined: {self.quarantined:,}" + (f" ({reasons})" if reasons else ""),
        ]
        out += [f"wrote {path}" for path in self.files.values()]
        rate = f", {self.sentences / self.seconds:,.0f} sentences/s" if self.seconds > 0 and self.sentences else ""
        stages = ", ".join(f"{k} {v:.2f}" for k, v in self.stage_seconds.items())
        out.append(f"time: {self.seconds:.2f} s{rate}" + (f" ({stages})" if stages else ""))
        return out


def _sentence_model():
    """PrelabelledSentence when the pre-label schema exists, else the plain Sentence model."""
    try:
        from conflictset.schemas.prelabel import PrelabelledSentence
    except ImportError:
        return Sentence
    return PrelabelledSentence


STAGING_PREFIX = ".build-"


def _remove_stale_staging(out: Path) -> None:
    """Remove staging directories left by builds that were killed (SIGKILL, power loss)."""
    for entry in out.glob(f"{STAGING_PREFIX}*"):
        pid = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if entry.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _prepare_out(out: Path) -> Path:
    """Create ``out`` if needed and a staging directory inside it (same filesystem: renames are atomic)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a directory; nothing was written — "
                          "fix: choose a directory path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(out)
        return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
    except OSError as exc:
        why = ("the directory is not writable" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
               else "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc)))
        raise OutputError(f"cannot write to {out}: {why}; previous outputs are untouched — "
                          "fix: choose a writable --out or fix its permissions") from None


class _Outputs:
    """The four Parquet streams of one build, written in a staging directory."""

    def __init__(self, staging: Path):
        self.staging = staging
        self.streams: dict[str, ParquetStream] = {}
        self.schemas: dict[str, dict[str, pl.DataType]] = {}

    def write(self, name: str, frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> None:
        if name not in self.streams:
            self.schemas[name] = schema
            self.streams[name] = ParquetStream(self.staging / f"{name}.parquet")
        schema = self.schemas[name]
        self.streams[name].write(frame.select([pl.col(c).cast(dt) for c, dt in schema.items()]))

    def finish(self, out: Path, schemas: dict[str, dict[str, pl.DataType]]) -> dict[str, Path]:
        for name in OUTPUT_FILES:  # tables with no rows still get a file with their schema
            if name not in self.streams:
                self.write(name, pl.DataFrame(schema=schemas[name]), schemas[name])
        staged = {name: self.streams[name].close() for name in OUTPUT_FILES}
        final = {}
        for name, path in staged.items():
            target = out / f"{name}.parquet"
            try:
                os.replace(path, target)
            except OSError as exc:
                raise OutputError(f"cannot move {name}.parquet into {out}: {exc.strerror} — fix: check "
                                  "the directory's permissions and free space") from None
            final[name] = target
            with contextlib.suppress(OSError):  # temp files are 0600; outputs follow the umask
                os.chmod(target, 0o666 & ~umask())
        return final

    def abort(self) -> None:
        for stream in self.streams.values():
            with contextlib.suppress(Exception):
                stream.abort()
        shutil.rmtree(self.staging, ignore_errors=True)


def _no_content(articles: pl.DataFrame, ids: pl.Series, stage: str, segments: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows for articles that left nothing to annotate (roles found are named)."""
    wanted = pl.col("article_id").is_in(ids.implode())
    # only the few articles named: grouping every segment of the batch cost ~20 ms per call
    found = (segments.filter(wanted).group_by("article_id")
             .agg(pl.col("role").unique().sort().str.join(", ").alias("roles")))
    bad = articles.filter(wanted).join(found, on="article_id", how="left", maintain_order="left")
    return bad.select(
        pl.lit(stage).alias("stage"),
        pl.col("source_file"),
        pl.col("source_row").cast(pl.Int64),
        pl.lit("text").alias("field"),
        pl.lit(Reason.NO_CONTENT_AFTER_CLEANING.value).alias("reason"),
        pl.format("{} row {}: article {} has no headline, body or caption text left after cleaning "
                  "(segments found: {}); kept in segments.parquet — fix: check the input is an article",
                  "source_file", "source_row", "article_id",
                  pl.col("roles").fill_null("none")).alias("message"),
        pl.col("text").alias("raw"),
    )


def _sentences_with_context(sentences: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    """Join article metadata and the neighbouring sentences of the same article."""
    same_prev = pl.col("article_id").shift(1) == pl.col("article_id")
    same_next = pl.col("article_id").shift(-1) == pl.col("article_id")
    return sentences.join(articles.select("article_id", *METADATA), on="article_id", how="left",
                          maintain_order="left").with_columns(
        pl.when(same_prev).then(pl.col("text").shift(1)).alias("prev_text"),
        pl.when(same_next).then(pl.col("text").shift(-1)).alias("next_text"),
    ).select(list(SENTENCE_SCHEMA))


def _stage(timings: Counter, name: str, fn, *args, **kwargs):
    """Run a stage (errors name it) and add its time to ``timings``."""
    started = time.perf_counter()
    try:
        return run_stage(name, fn, *args, **kwargs)
    finally:
        timings[name] += time.perf_counter() - started


def _validate(timings: Counter, frame: pl.DataFrame, model, table: str, stage: str) -> pl.DataFrame:
    started = time.perf_counter()
    try:
        if model is Quarantine and frame.height == 0 and frame.schema == pl.Schema(QUARANTINE_SCHEMA):
            return frame  # nothing but the schema to check, and it is the fixed one
        return validate(frame, model, table=table, stage=stage)
    finally:
        timings["validate"] += time.perf_counter() - started


def _prepare_batch(batch: pl.DataFrame, timings: Counter) -> dict[str, pl.DataFrame]:
    """ingest → clean → segment of one batch: articles, segments and quarantine validated,
    sentences (with their context) ready for pre-labelling."""
    from conflictset.dataset.clean import clean

    articles, quarantine = split_rejects(batch, "ingest")
    articles = _validate(timings, articles, Article, "articles", "ingest")
    segments = _stage(timings, "clean", clean, articles)
    segments = _validate(timings, segments, Segment, "segments", "clean")

    # one column filtered, not whole frames (their texts would be copied)
    kept_ids = segments.select(pl.col("article_id").filter(pl.col("role").is_in(SENTENCE_ROLES)).unique())
    empty_ids = articles.select(pl.col("article_id").filter(
        ~pl.col("article_id").is_in(kept_ids.to_series().implode()))).to_series()
    parts = [quarantine]
    if empty_ids.len():
        parts.append(_no_content(articles, empty_ids, "clean", segments))

    texts, sentences = _stage(timings, "segment", segment_articles, segments,
                              articles.select("article_id", "language"))
    no_sentence = texts.filter(pl.col("n_sentences") == 0).get_column("article_id")
    if no_sentence.len():  # kept segments that were only whitespace
        parts.append(_no_content(articles, no_sentence, "segment", segments))
        texts = texts.filter(pl.col("n_sentences") > 0)

    n_segments = segments.group_by("article_id").agg(pl.len().cast(pl.Int64).alias("n_segments"))
    built = (articles.drop("language")
             .join(texts, on="article_id", how="inner", maintain_order="left")
             .join(n_segments, on="article_id", how="left", maintain_order="left")
             .select(list(ARTICLE_COLUMNS)))

    sentences = _sentences_with_context(sentences, built)
    quarantine = pl.concat([p.select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA) for p in parts])
    quarantine = _validate(timings, quarantine, Quarantine, "quarantine", "ingest")
    return {"articles": built, "segments": segments, "sentences": sentences, "quarantine": quarantine}


def _prelabelled(sentences: pl.DataFrame, prelabel: bool, timings: Counter) -> pl.DataFrame:
    """Stage prelabel on a batch's sentences."""
    if not prelabel:
        return sentences
    from conflictset.dataset.prelabel import prelabel as run_prelabel

    return _stage(timings, "prelabel", run_prelabel, sentences)


def _result(future, timings: Counter, name: str):
    """A worker's result; the time the main thread waited for it is reported as ``name``."""
    started = time.perf_counter()
    try:
        return future.result()
    finally:
        timings[name] += time.perf_counter() - started


def _processed(batch: pl.DataFrame, prelabel: bool) -> tuple[dict[str, pl.DataFrame], Counter]:
    """clean → segment → prelabel of one batch (on a worker thread), with its own stage timings:
    workers never share a counter."""
    timings: Counter = Counter()
    tables = _prepare_batch(batch, timings)
    tables["sentences"] = _prelabelled(tables["sentences"], prelabel, timings)
    return tables, timings


def _pipelined(batches: Iterator[pl.DataFrame], prelabel: bool,
               timings: Counter) -> Iterator[tuple[pl.DataFrame, dict[str, pl.DataFrame]]]:
    """(batch, tables) in input order, :data:`BATCH_WORKERS` batches processed at once while the
    main thread ingests the next one.

    Whole batches go to the workers, not stages: a pipeline of stage threads (tried before) left a
    core idle whenever one stage was the slow one, e.g. ``--no-prelabel``. Most of the time is spent
    inside polars, which releases the GIL. At most :data:`BATCH_WORKERS` batches are submitted ahead,
    so with the one being ingested and the one in the writer memory stays bounded; results are taken
    strictly in order, so the outputs are the same bytes as a sequential build. The sentences are not
    validated yet: the writer does it (:func:`_validate_and_write`).
    """
    pool = ThreadPoolExecutor(max_workers=BATCH_WORKERS, thread_name_prefix="conflictset-batch")
    pending: deque = deque()

    def oldest() -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
        batch, future = pending.popleft()
        tables, spent = _result(future, timings, "wait_batch")
        timings.update(spent)
        return batch, tables

    try:
        for batch in batches:
            pending.append((batch, pool.submit(_processed, batch, prelabel)))
            if len(pending) >= BATCH_WORKERS:
                yield oldest()
        while pending:
            yield oldest()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _validate_and_write(outputs: "_Outputs", tables: dict[str, pl.DataFrame],
                        schemas: dict[str, dict[str, pl.DataType]], prelabel: bool, timings: Counter) -> None:
    """Writer thread: validate a batch's (pre-labelled) sentences, then append every table.
    Off the main thread, so the write's compression overlaps the next batch's processing."""
    _validate(timings, tables["sentences"], _sentence_model() if prelabel else Sentence, "sentences",
              "prelabel" if prelabel else "segment")
    started = time.perf_counter()
    for name in ("articles", "segments", "sentences", "quarantine"):
        outputs.write(name, tables[name], schemas[name])
    timings["write"] += time.perf_counter() - started


def _sentence_schema(frame: pl.DataFrame | None, prelabel: bool) -> dict[str, pl.DataType]:
    """Sentence contract columns first, then the pre-label columns, then anything a stage added."""
    schema = dict(SENTENCE_SCHEMA)
    if prelabel:
        from conflictset.dataset.prelabel import PRELABEL_COLUMNS

        schema.update(PRELABEL_COLUMNS)
    if frame is not None:
        for name, dtype in frame.schema.items():
            if name not in schema and dtype != pl.Null:
                schema[name] = dtype
    return schema


class _Progress:
    """A rich progress bar over input bytes, drawn only for long inputs on a terminal."""

    def __init__(self, sources: pl.DataFrame, enabled: bool):
        paths = sources.get_column("path").to_list()
        sizes = []
        for p in paths:
            try:
                sizes.append(os.path.getsize(p))
            except OSError:
                sizes.append(0)
        self.done_before = {p: sum(sizes[:i]) for i, p in enumerate(paths)}
        self.total = sum(sizes)
        self.bar = None
        if enabled and self.total >= PROGRESS_MIN_BYTES and sys.stderr.isatty():
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("building"), BarColumn(), DownloadColumn(),
                                TextColumn("{task.fields[records]:,} records"), TimeRemainingColumn(),
                                transient=True)
            self.task = self.bar.add_task("build", total=self.total, records=0)
            self.bar.start()

    def advance(self, batch: pl.DataFrame, records: int) -> None:
        if self.bar is None or not batch.height:
            return
        last = batch.get_column("source_file")[-1]
        self.bar.update(self.task, completed=self.done_before.get(last, 0), records=records)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=self.total)
            self.bar.stop()


def _batches(sources: pl.DataFrame, batch_size: int, timings: Counter) -> Iterator[pl.DataFrame]:
    from conflictset.dataset.ingest import iter_ingest

    it = _stage(timings, "ingest", iter_ingest, sources, batch_size=batch_size)
    while True:
        batch = _stage(timings, "ingest", next, it, None)
        if batch is None:
            return
        yield batch


def build(inputs: Sequence[str | os.PathLike] | str | os.PathLike, out: str | os.PathLike, *,
          prelabel: bool = True, batch_size: int | None = None, progress: bool = True) -> BuildSummary:
    """Build ``out/{articles,segments,sentences,quarantine}.parquet`` from input files or directories.

    Raises :class:`dataset.errors.InputError` (exit 2) for inputs that do not exist,
    :class:`dataset.errors.OutputError` (exit 3) when ``out`` cannot be written,
    :class:`dataset.errors.StageError` naming the stage for unexpected failures; in every
    case the previous outputs in ``out`` are left intact.
    """
    from conflictset.dataset.ingest import discover

    started = time.perf_counter()
    batch_size = batch_size or DEFAULT_BATCH_SIZE
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    out = Path(out)
    sources, problems = run_stage("ingest", discover, list(inputs), exclude=[out])  # never re-read our own outputs
    staging = _prepare_out(out)
    outputs = _Outputs(staging)
    summary = BuildSummary(out_dir=out)
    roles: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    sentence_schema: dict[str, pl.DataType] | None = None
    timings: Counter[str] = Counter()
    writer_timings: Counter[str] = Counter()  # the writer thread's own, merged at the end
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conflictset-write")
    writing = None
    bar = None
    try:
        bar = _Progress(sources, progress)
        problems = _validate(timings, problems.cast(QUARANTINE_SCHEMA), Quarantine, "quarantine", "ingest")
        if problems.height:
            outputs.write("quarantine", problems, QUARANTINE_SCHEMA)
        summary.input_records = problems.height
        reasons.update(problems.get_column("reason").to_list())
        for batch, tables in _pipelined(_batches(sources, batch_size, timings), prelabel, timings):
            summary.input_records += batch.height
            if sentence_schema is None:
                sentence_schema = _sentence_schema(tables["sentences"], prelabel)
            schemas = {"articles": ARTICLE_COLUMNS, "segments": SEGMENT_COLUMNS,
                       "sentences": sentence_schema, "quarantine": QUARANTINE_SCHEMA}
            if writing is not None:  # one batch in the writer at a time keeps memory flat
                _result(writing, timings, "wait_write")
            writing = writer.submit(_validate_and_write, outputs, tables, schemas, prelabel, writer_timings)
            summary.articles += tables["articles"].height
            summary.sentences += tables["sentences"].height
            roles.update(dict(tables["segments"].get_column("role").value_counts().iter_rows()))
            languages.update(dict(tables["sentences"].get_column("language").value_counts().iter_rows()))
            reasons.update(dict(tables["quarantine"].get_column("reason").value_counts().iter_rows()))
            bar.advance(batch, summary.input_records)
        if writing is not None:
            _result(writing, timings, "wait_write")
        summary.quarantined = sum(reasons.values())
        if not summary.reconciled:
            raise ConflictsetError(
                f"counts do not reconcile: {summary.input_records} input records but "
                f"{summary.articles} articles + {summary.quarantined} quarantined — this is a bug, "
                "please report it (no outputs were replaced)")
        summary.files = outputs.finish(out, {
            "articles": ARTICLE_COLUMNS, "segments": SEGMENT_COLUMNS, "quarantine": QUARANTINE_SCHEMA,
            "sentences": sentence_schema or _sentence_schema(None, prelabel),
        })
    except BaseException:
        writer.shutdown(wait=True, cancel_futures=True)  # never abort under a running write
        outputs.abort()
        raise
    finally:
        writer.shutdown(wait=True)
        if bar is not None:
            bar.close()
        shutil.rmtree(staging, ignore_errors=True)
    summary.segments_by_role = dict(roles)
    summary.quarantined_by_reason = dict(reasons)
    summary.sentences_by_language = dict(languages)
    summary.seconds = time.perf_counter() - started
    timings.update(writer_timings)  # stages overlap: their sum can exceed the wall time
    summary.stage_seconds = {k: round(v, 3) for k, v in timings.items()}
    return summary
