"""``build``: input files → articles, segments, sentences and quarantine Parquet, streamed.

This module only chains stages and writes their outputs; what happens to one batch is
:func:`conflictset.dataset.batch.process_batch` (pure frame → frame, the unit every engine runs)::

    discover → ingest (batches) → [clean → segment → prelabel] → validate → write

Articles are processed in batches of ``batch_size`` records (default :data:`DEFAULT_BATCH_SIZE`)
and at most about 16 MiB of article text (:data:`conflictset.dataset.ingest.DEFAULT_BATCH_BYTES`), and every
table is streamed to Parquet, so memory stays flat however large the input. The main thread
ingests batch i+2 while :data:`BATCH_WORKERS` worker threads clean, segment and pre-label
batches i and i+1 and a writer thread validates and writes batch i-1; each hand-over takes
results strictly in input order, so the output bytes do not depend on the threads. All four
files are written into a staging directory inside ``out`` (:mod:`conflictset.dataset.staging`)
and moved into place only when the whole build succeeded: a failure (or Ctrl-C) leaves the previous
outputs as they were and no temporary files behind.

Counts reconcile: every input record is either a built article or a quarantine row.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl

from conflictset.dataset.batch import TABLES, process_batch, sentence_model, table_schemas, timed_stage, timed_validate
from conflictset.dataset.engines.outputs import remove_stale_parts
from conflictset.dataset.ingest import discover, iter_ingest
from conflictset.dataset.io import ParquetStream
from conflictset.dataset.stages import run_stage
from conflictset.dataset.staging import Staging
from conflictset.schemas.errors import ConflictsetError
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA, Quarantine

#: articles per batch. Every batch pays fixed costs (building the pre-labeller's Aho–Corasick
#: automata, pandera's per-validation set-up, a Parquet row group per table), so small batches
#: are slow: at 2,000 articles (~14k sentences) those costs were over half the build time. At
#: 10,000 short articles the build's peak RSS stays around 0.8 GB, flat in the input size; long
#: articles are bounded by the text cap of :data:`conflictset.dataset.ingest.DEFAULT_BATCH_BYTES` instead.
DEFAULT_BATCH_SIZE = 10_000
#: batches cleaned, segmented and pre-labelled at once, one per core of the 2-core target machine
BATCH_WORKERS = 2
#: ``progress(done_bytes, total_bytes)``: called as input is consumed (the CLI draws it)
Progress = Callable[[int, int], None]


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
        langs = ", ".join(f"{lang} {n:,}"
                          for lang, n in sorted(self.sentences_by_language.items(), key=lambda kv: -kv[1]))
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


class _Outputs:
    """The four Parquet streams of one build, written in its staging directory."""

    def __init__(self, stage: Staging):
        self.stage = stage
        self.streams: dict[str, ParquetStream] = {}
        self.schemas: dict[str, dict[str, pl.DataType]] = {}

    def write(self, name: str, frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> None:
        if name not in self.streams:
            self.schemas[name] = schema
            self.streams[name] = ParquetStream(self.stage.path / f"{name}.parquet")
        schema = self.schemas[name]
        self.streams[name].write(frame.select([pl.col(c).cast(dt) for c, dt in schema.items()]))

    def finish(self, schemas: dict[str, dict[str, pl.DataType]]) -> dict[str, Path]:
        for name in TABLES:  # tables with no rows still get a file with their schema
            if name not in self.streams:
                self.write(name, pl.DataFrame(schema=schemas[name]), schemas[name])
        for name in TABLES:
            self.streams[name].close()
        final = self.stage.commit([f"{name}.parquet" for name in TABLES])
        return {name: final[f"{name}.parquet"] for name in TABLES}

    def abort(self) -> None:
        for stream in self.streams.values():
            try:
                stream.abort()
            except Exception:  # noqa: BLE001 — aborting must never hide the original error
                pass
        self.stage.discard()


def _result(future, timings: Counter, name: str):
    """A worker's result; the time the main thread waited for it is reported as ``name``."""
    started = time.perf_counter()
    try:
        return future.result()
    finally:
        timings[name] += time.perf_counter() - started


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
            pending.append((batch, pool.submit(process_batch, batch, prelabel)))
            if len(pending) >= BATCH_WORKERS:
                yield oldest()
        while pending:
            yield oldest()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _validate_and_write(outputs: _Outputs, tables: dict[str, pl.DataFrame],
                        schemas: dict[str, dict[str, pl.DataType]], prelabel: bool, timings: Counter) -> None:
    """Writer thread: validate a batch's (pre-labelled) sentences, then append every table.
    Off the main thread, so the write's compression overlaps the next batch's processing."""
    timed_validate(timings, tables["sentences"], sentence_model(prelabel), "sentences",
                   "prelabel" if prelabel else "segment")
    started = time.perf_counter()
    for name in TABLES:
        outputs.write(name, tables[name], schemas[name])
    timings["write"] += time.perf_counter() - started


class _InputBytes:
    """How far through the input bytes a batch has got (for the progress callback)."""

    def __init__(self, sources: pl.DataFrame):
        sizes = []
        for path in sources.get_column("path").to_list():
            try:
                sizes.append(os.path.getsize(path))
            except OSError:
                sizes.append(0)
        paths = sources.get_column("path").to_list()
        self.done_before = {p: sum(sizes[:i]) for i, p in enumerate(paths)}
        self.total = sum(sizes)

    def done(self, batch: pl.DataFrame) -> int:
        return self.done_before.get(batch.get_column("source_file")[-1], 0) if batch.height else 0


def _batches(sources: pl.DataFrame, batch_size: int, timings: Counter) -> Iterator[pl.DataFrame]:
    it = timed_stage(timings, "ingest", iter_ingest, sources, batch_size=batch_size)
    while True:
        batch = timed_stage(timings, "ingest", next, it, None)
        if batch is None:
            return
        yield batch


class Engine(Protocol):
    """Runs a build elsewhere, e.g. :class:`conflictset.dataset.engines.dask_engine.DaskEngine`."""

    def run(self, inputs: Sequence[str | os.PathLike], out: str | os.PathLike, *, prelabel: bool,
            batch_size: int | None, progress: Callable | None) -> BuildSummary: ...


def build(inputs: Sequence[str | os.PathLike] | str | os.PathLike, out: str | os.PathLike, *,
          prelabel: bool = True, batch_size: int | None = None, progress: Progress | None = None,
          engine: Engine | None = None) -> BuildSummary:
    """Build ``out/{articles,segments,sentences,quarantine}.parquet`` from input files or directories.

    ``engine``: run it elsewhere (a Dask cluster: tables are written as parts, ``out/<table>/``);
    by default it runs here, on :data:`BATCH_WORKERS` threads.

    Raises :class:`conflictset.schemas.errors.InputError` (exit 2) for inputs that do not exist,
    :class:`conflictset.schemas.errors.OutputError` (exit 3) when ``out`` cannot be written,
    :class:`conflictset.schemas.errors.StageError` naming the stage for unexpected failures; in every
    case the previous outputs in ``out`` are left intact.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if engine is not None:
        return engine.run(list(inputs), out, prelabel=prelabel, batch_size=batch_size, progress=progress)
    started = time.perf_counter()
    batch_size = batch_size or DEFAULT_BATCH_SIZE
    out = Path(out)
    sources, problems = run_stage("ingest", discover, list(inputs), exclude=[out])  # never re-read our own outputs
    outputs = _Outputs(Staging(out, kind="build"))
    summary = BuildSummary(out_dir=out)
    roles: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    schemas: dict[str, dict[str, pl.DataType]] | None = None
    timings: Counter[str] = Counter()
    writer_timings: Counter[str] = Counter()  # the writer thread's own, merged at the end
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conflictset-write")
    writing = None
    input_bytes = _InputBytes(sources)
    try:
        if progress:
            progress(0, input_bytes.total)
        problems = timed_validate(timings, problems.cast(QUARANTINE_SCHEMA), Quarantine, "quarantine", "ingest")
        if problems.height:
            outputs.write("quarantine", problems, QUARANTINE_SCHEMA)
        summary.input_records = problems.height
        reasons.update(problems.get_column("reason").to_list())
        for batch, tables in _pipelined(_batches(sources, batch_size, timings), prelabel, timings):
            summary.input_records += batch.height
            if schemas is None:
                schemas = table_schemas(tables["sentences"], prelabel)
            if writing is not None:  # one batch in the writer at a time keeps memory flat
                _result(writing, timings, "wait_write")
            writing = writer.submit(_validate_and_write, outputs, tables, schemas, prelabel, writer_timings)
            summary.articles += tables["articles"].height
            summary.sentences += tables["sentences"].height
            roles.update(dict(tables["segments"].get_column("role").value_counts().iter_rows()))
            languages.update(dict(tables["sentences"].get_column("language").value_counts().iter_rows()))
            reasons.update(dict(tables["quarantine"].get_column("reason").value_counts().iter_rows()))
            if progress:
                progress(input_bytes.done(batch), input_bytes.total)
        if writing is not None:
            _result(writing, timings, "wait_write")
        summary.quarantined = sum(reasons.values())
        if not summary.reconciled:
            raise ConflictsetError(
                f"counts do not reconcile: {summary.input_records} input records but "
                f"{summary.articles} articles + {summary.quarantined} quarantined — this is a bug, "
                "please report it (no outputs were replaced)")
        summary.files = outputs.finish(schemas or table_schemas(None, prelabel))
        remove_stale_parts(out)  # the parts of an earlier cluster build here are superseded
        if progress:
            progress(input_bytes.total, input_bytes.total)
    except BaseException:
        writer.shutdown(wait=True, cancel_futures=True)  # never abort under a running write
        outputs.abort()
        raise
    finally:
        writer.shutdown(wait=True)
        outputs.stage.discard()
    summary.segments_by_role = dict(roles)
    summary.quarantined_by_reason = dict(reasons)
    summary.sentences_by_language = dict(languages)
    summary.seconds = time.perf_counter() - started
    timings.update(writer_timings)  # stages overlap: their sum can exceed the wall time
    summary.stage_seconds = {k: round(v, 3) for k, v in timings.items()}
    return summary
