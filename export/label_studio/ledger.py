"""The push ledger: which task each pushed sentence became, so a pull can tell deleted tasks.

``push`` records ``project_id, sentence_id, task_id`` in ``BUILD_DIR/pushed.parquet`` after every
imported batch (plus, at the start of each push, tasks a killed push left unrecorded). A pull
compares it with the export: a ledger task the server no longer has was deleted in Label Studio
and becomes a ``deleted_task`` quarantine row, so pushed = annotated + unannotated + skipped +
deleted. No timestamps: the file is the same for the same pushes, and it is not a release input.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conflictset.dataset.io import write_parquet
from conflictset.schemas.annotations import PushLedger
from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.errors import InputError
from conflictset.schemas.tables import read_table

LEDGER_FILE = "pushed.parquet"
SCHEMA = dtypes(PushLedger)


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def read(path: str | Path) -> pl.DataFrame:
    """The ledger at ``path`` (empty when there is none yet)."""
    path = Path(path)
    if not path.is_file():
        return empty()
    fix = "delete it; the next `conflictset push` rebuilds it from the server"
    frame = read_table(path, PushLedger, fix=fix)
    try:
        return frame.select([pl.col(c).cast(t, strict=True) for c, t in SCHEMA.items()])
    except pl.exceptions.PolarsError as exc:  # a foreign file with other dtypes
        raise InputError(f"cannot read the push ledger ({type(exc).__name__}: {exc})", file=str(path),
                         fix=fix) from None


def record(path: str | Path, project_id: int, sentence_ids: list[str], task_ids: list[int]) -> pl.DataFrame:
    """Add ``(sentence_id, task_id)`` pairs of ``project_id`` to the ledger (atomic rewrite)."""
    if len(sentence_ids) != len(task_ids):
        raise ValueError(f"{len(sentence_ids)} sentence ids but {len(task_ids)} task ids")
    added = pl.DataFrame({"project_id": [project_id] * len(task_ids), "sentence_id": sentence_ids,
                          "task_id": task_ids}, schema=SCHEMA)
    if added.is_empty():
        return read(path)
    ledger = (pl.concat([read(path), added])
              .unique(subset=["project_id", "task_id"], keep="first", maintain_order=True)
              .sort(["project_id", "task_id"]))
    write_parquet(ledger, path)
    return ledger


def of_project(ledger: pl.DataFrame, project_id: int | None) -> pl.DataFrame:
    return ledger.filter(pl.col("project_id") == project_id) if project_id is not None else ledger.clear()
