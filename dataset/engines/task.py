"""One shard on a worker: read it, run :func:`conflictset.dataset.batch.process_batch` on each
batch, validate, and write the shard's part of every table.

This is the whole of a task; nothing here re-implements a stage. The parts are written in the
worker's temporary directory and moved into the run's staging area only when complete, then a
marker (``_shards/shard-NNNNN.json`` plus the shard's first-occurrence ids) says the shard is
done: a task killed half-way leaves nothing a re-run would take for finished.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from conflictset.dataset.batch import TABLES, process_batch, sentence_model, table_schemas, timed_stage, timed_validate
from conflictset.dataset.build import _Outputs
from conflictset.dataset.engines import shards, storage
from conflictset.dataset.ingest import DEFAULT_BATCH_BYTES, DuplicateIds, iter_ingest
from conflictset.dataset.io import sha256_file
from conflictset.schemas.parts import part_name

MARKERS = "_shards"


@dataclass
class ShardResult:
    """What a shard produced (counts reconcile per shard) and where its parts are."""

    index: int
    seed: str
    input_records: int = 0
    articles: int = 0
    sentences: int = 0
    roles: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    parts: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    peak_rss: int = 0
    worker_pid: int = 0
    ids: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DuplicateIds.KNOWN_SCHEMA), repr=False)


def seed_digest(seed: pl.DataFrame | None) -> str:
    """Names the earlier ids a shard was read with (a resumed run re-reads a shard if they changed)."""
    if seed is None or not seed.height:
        return "none"
    return hashlib.sha256(seed.select(pl.col("_key").sort()).to_series().to_numpy().tobytes()).hexdigest()[:16]


def marker_paths(stage: str, index: int) -> tuple[str, str]:
    return (storage.join(stage, MARKERS, f"shard-{index:05d}.json"),
            storage.join(stage, MARKERS, f"shard-{index:05d}.ids.parquet"))


class _Directory:
    """Where :class:`conflictset.dataset.build._Outputs` writes a shard's tables: a plain temporary
    directory (the parts move to the staging area afterwards)."""

    def __init__(self, path: Path):
        self.path = path

    def commit(self, names: list[str]) -> dict[str, Path]:
        return {name: self.path / name for name in names}

    def discard(self) -> None:
        pass


def _write_marker(stage: str, result: ShardResult) -> None:
    meta, ids = marker_paths(stage, result.index)
    record = asdict(result)
    record.pop("ids")
    fs, inner = storage.filesystem(ids)
    buffer = io.BytesIO()
    result.ids.write_parquet(buffer)
    fs.makedirs(inner.rsplit("/", 1)[0], exist_ok=True)
    fs.pipe_file(inner, buffer.getvalue())
    fs.pipe_file(storage.filesystem(meta)[1], json.dumps(record, sort_keys=True).encode())  # last: done


def read_marker(stage: str, index: int) -> ShardResult | None:
    """The result of a shard finished by an earlier run, or None."""
    meta, ids = marker_paths(stage, index)
    fs, inner = storage.filesystem(meta)
    try:
        record = json.loads(fs.cat_file(inner))
        frame = pl.read_parquet(io.BytesIO(storage.filesystem(ids)[0].cat_file(storage.filesystem(ids)[1])))
    except (OSError, ValueError):
        return None
    return ShardResult(**record, ids=frame)


def run_shard(shard: shards.Shard, stage: str, prelabel: bool, batch_size: int,
              seed: pl.DataFrame | None = None, max_bytes: int = DEFAULT_BATCH_BYTES) -> ShardResult:
    """Build one shard into ``stage/<table>/part-NNNNN.parquet`` (``stage``: a path or URL).

    ``seed``: the first occurrences of ids in earlier shards that also occur here, so duplicates
    across shards are quarantined exactly as the local engine does (first in input order wins).
    """
    started = time.perf_counter()
    result = ShardResult(index=shard.index, seed=seed_digest(seed), worker_pid=os.getpid())
    timings: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    seen = DuplicateIds(seed)
    schemas = None
    stage_name = "prelabel" if prelabel else "segment"
    with tempfile.TemporaryDirectory(prefix=f"conflictset-shard-{shard.index}-") as tmp:
        outputs = _Outputs(_Directory(Path(tmp)))
        try:
            batches = iter_ingest(None, batch_size, max_bytes, chunks=shards.read(shard, batch_size), seen=seen)
            while (batch := timed_stage(timings, "ingest", next, batches, None)) is not None:
                tables, spent = process_batch(batch, prelabel)
                timings.update(spent)
                schemas = schemas or table_schemas(tables["sentences"], prelabel)
                timed_validate(timings, tables["sentences"], sentence_model(prelabel), "sentences", stage_name)
                written = time.perf_counter()
                for name in TABLES:
                    outputs.write(name, tables[name], schemas[name])
                timings["write"] += time.perf_counter() - written
                result.input_records += batch.height
                result.articles += tables["articles"].height
                result.sentences += tables["sentences"].height
                roles.update(dict(tables["segments"].get_column("role").value_counts().iter_rows()))
                languages.update(dict(tables["sentences"].get_column("language").value_counts().iter_rows()))
                reasons.update(dict(tables["quarantine"].get_column("reason").value_counts().iter_rows()))
            files = outputs.finish(schemas or table_schemas(None, prelabel))
        except BaseException:
            outputs.abort()
            raise
        for name, path in files.items():
            result.parts[name] = {"path": part_name(shard.index), "rows": outputs.streams[name].rows,
                                  "bytes": path.stat().st_size, "sha256": sha256_file(path)}
            storage.put(path, storage.join(stage, name, part_name(shard.index)))
    result.roles, result.languages, result.reasons = dict(roles), dict(languages), dict(reasons)
    # the seed's rows stay in: a resumed run recomputes the same seed from them and sees the shard is current
    result.ids = seen.known()
    result.timings = {k: round(v, 3) for k, v in timings.items()}
    result.seconds = round(time.perf_counter() - started, 3)
    result.peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _write_marker(stage, result)
    return result
