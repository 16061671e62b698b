"""Which model each Parquet file is, and the one way commands read a table.

Build directories hold ``articles``, ``segments``, ``sentences`` (pre-labelled unless built with
``--no-prelabel``) and ``quarantine``; a pull adds ``annotations``, ``tasks`` and their
quarantine, the push ledger ``pushed``; a release has ``data/events``, ``data/sentences`` and
``data/annotations``. Files of the same name in a build and in a release are told apart by a
column only one of them has. A build made on a cluster stores its tables as parts
(``sentences/part-*.parquet`` and a manifest, :mod:`.parts`); :func:`read_table` reads both layouts.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from conflictset.schemas.annotations import Annotation, PushLedger, Task
from conflictset.schemas.dtypes import columns
from conflictset.schemas.errors import InputError
from conflictset.schemas.parts import is_partitioned, part_paths, table_exists
from conflictset.schemas.pipeline import BuiltArticle, Quarantine, Segment, Sentence
from conflictset.schemas.prelabel import PrelabelledSentence
from conflictset.schemas.release import Event, FinalSentence, ReleaseAnnotation

#: file stem → candidate models, the first whose marker column is present wins (None: always)
TABLE_MODELS: dict[str, tuple[tuple[str | None, type], ...]] = {
    "articles": ((None, BuiltArticle),),
    "segments": ((None, Segment),),
    "sentences": (("label_source", FinalSentence), ("score", PrelabelledSentence), (None, Sentence)),
    "annotations": (("created_at", Annotation), (None, ReleaseAnnotation)),
    "adjudications": ((None, Annotation),),
    "tasks": ((None, Task),),
    "adjudication_tasks": ((None, Task),),
    "events": ((None, Event),),
    "pushed": ((None, PushLedger),),
}


def model_for(name: str, found: list[str] | tuple[str, ...]):
    """The model of a Parquet file named ``name`` with columns ``found``, or None when it is not ours."""
    stem = Path(name).name.removesuffix(".parquet")
    if stem.endswith("quarantine"):
        return Quarantine
    for marker, model in TABLE_MODELS.get(stem, ()):
        if marker is None or marker in found:
            return model
    return None


def scan_table(path: str | os.PathLike, *, fix: str = "write it again with the conflictset command that made it"
               ) -> pl.LazyFrame:
    """A lazy scan of ``DIR/NAME.parquet``, stored as one file or as parts (:mod:`.parts`): streaming
    readers take only the columns and rows they need, one part at a time."""
    path = Path(path)
    if not table_exists(path):
        raise InputError(f"the directory has no {path.name}", file=str(path.parent), fix=fix)
    files = part_paths(path)
    try:
        return pl.scan_parquet(files if len(files) > 1 else files[0], missing_columns="insert")
    except Exception as exc:  # noqa: BLE001 — any unreadable file is the user's input problem
        raise InputError(f"cannot read Parquet ({type(exc).__name__}: {exc})", file=str(path), fix=fix) from None


def read_table(path: str | os.PathLike, model, *, need: tuple[str, ...] | None = None,
               fix: str = "write it again with the conflictset command that made it") -> pl.DataFrame:
    """Read a Parquet table (one file, or the parts of a partitioned build) and check it has the
    columns of ``model`` (or just ``need``).

    Raises :class:`InputError` naming the file when it is missing, unreadable or short of columns;
    values are checked by validating against the model where a command needs that.
    """
    path = Path(path)
    lazy = scan_table(path, fix=fix)
    try:
        frame = lazy.collect(engine="streaming" if is_partitioned(path) else "auto")
    except Exception as exc:  # noqa: BLE001 — any unreadable file is the user's input problem
        raise InputError(f"cannot read Parquet ({type(exc).__name__}: {exc})", file=str(path), fix=fix) from None
    missing = [c for c in (need or columns(model)) if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; found {frame.columns}", file=str(path), fix=fix)
    return frame
