"""The staging area of a distributed build and how its parts are published.

Shards write into ``OUT/.dask-build-<fingerprint>/<table>/part-NNNNN.parquet`` (the fingerprint
names the input plan and options, so a re-run of the same build finds the shards already done and
a different build never takes them). Only when every shard is done are the tables published as
``OUT/<table>/`` with their parts manifest (:mod:`conflictset.schemas.parts`): on a filesystem each
table folder is swapped in by renames; on an object store the parts are copied and the manifest,
which is what readers follow, is written last. A single-file table of an earlier local build
(``OUT/<table>.parquet``, which readers would prefer) is removed once its parts are in place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from conflictset.dataset.batch import TABLES
from conflictset.dataset.engines import storage
from conflictset.dataset.io import PARQUET_OPTIONS, output_error
from conflictset.schemas.parts import LAYOUT, MANIFEST
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA

STAGE_PREFIX = ".dask-build-"
#: the quarantine part of input files that could not be listed or read at all (written by the driver)
DISCOVER_PART = "part-discover.parquet"


def stage_path(out: str, fingerprint: str) -> str:
    return storage.join(out, STAGE_PREFIX + fingerprint)


def write_discover_part(stage: str, problems: pl.DataFrame) -> dict:
    """The quarantine rows of unreadable or unsupported input files, as the first quarantine part."""
    buffer = io.BytesIO()
    pq.write_table(problems.cast(QUARANTINE_SCHEMA).to_arrow(), buffer, **PARQUET_OPTIONS)
    data = buffer.getvalue()
    fs, inner = storage.filesystem(storage.join(stage, "quarantine", DISCOVER_PART))
    fs.makedirs(inner.rsplit("/", 1)[0], exist_ok=True)
    fs.pipe_file(inner, data)
    return {"path": DISCOVER_PART, "rows": problems.height, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def manifest(table: str, parts: list[dict]) -> dict:
    return {"layout": LAYOUT, "table": table, "rows": sum(p["rows"] for p in parts), "parts": parts}


def publish(out: str, stage: str, parts: dict[str, list[dict]]) -> dict[str, str]:
    """Land every table of a finished run; returns ``{table: OUT/table}``."""
    final = {}
    for table in TABLES:
        doc = json.dumps(manifest(table, parts[table]), indent=1, sort_keys=True).encode()
        if storage.is_url(out):
            final[table] = _publish_remote(out, stage, table, parts[table], doc)
        else:
            final[table] = _publish_local(out, stage, table, doc)
    return final


def _publish_local(out: str, stage: str, table: str, doc: bytes) -> str:
    source, target = os.path.join(stage, table), os.path.join(out, table)
    old = os.path.join(out, f".{table}.old-{os.getpid()}")
    try:
        os.makedirs(source, exist_ok=True)
        with open(os.path.join(source, MANIFEST), "wb") as fh:
            fh.write(doc)
        if os.path.isdir(target):
            os.replace(target, old)
        os.replace(source, target)
        shutil.rmtree(old, ignore_errors=True)
        single = os.path.join(out, f"{table}.parquet")
        if os.path.isfile(single):
            os.unlink(single)
    except OSError as exc:
        raise output_error(Path(out), exc) from None
    return target


def _publish_remote(out: str, stage: str, table: str, parts: list[dict], doc: bytes) -> str:
    fs, target = storage.filesystem(storage.join(out, table))
    _, source = storage.filesystem(storage.join(stage, table))
    for part in parts:
        fs.mv(f"{source}/{part['path']}", f"{target}/{part['path']}")
    fs.pipe_file(f"{target}/{MANIFEST}", doc)  # readers follow the manifest: it goes last
    listed = {p["path"] for p in parts} | {MANIFEST}
    stale = [name for name in fs.ls(target, detail=False) if name.rsplit("/", 1)[-1] not in listed]
    if stale:
        fs.rm(stale)
    _, single = storage.filesystem(storage.join(out, f"{table}.parquet"))
    if fs.exists(single):
        fs.rm(single)
    return storage.join(out, table)


def remove_stage(stage: str) -> None:
    fs, inner = storage.filesystem(stage)
    if fs.exists(inner):
        fs.rm(inner, recursive=True)


def remove_stale_parts(out: str) -> None:
    """After a local build landed single files: drop the partitioned tables of an earlier cluster
    build in the same directory (readers prefer the single file; this keeps the folder honest)."""
    for table in TABLES:
        folder = os.path.join(out, table)
        if os.path.isfile(os.path.join(folder, MANIFEST)) and os.path.isfile(os.path.join(out, f"{table}.parquet")):
            shutil.rmtree(folder, ignore_errors=True)
