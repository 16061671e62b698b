"""The one vocabulary of stages and the wrapper that names a failing stage.

Stages: ingest, clean, segment, prelabel, to_label_studio, from_label_studio, adjudicate,
validate, publish. Each is a function from a polars frame to a polars frame; rows a stage
rejects come back with a non-null ``reason`` in a quarantine frame, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from conflictset.schemas.errors import ConflictsetError, StageError
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA, REJECT_COLUMNS, STAGES
from conflictset.schemas.validation import ValidationFailed


def run_stage(name: str, fn: Callable[..., pl.DataFrame], *args, **kwargs):
    """Call a stage; unexpected exceptions become :class:`StageError` naming the stage."""
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; stages are {STAGES}")
    try:
        return fn(*args, **kwargs)
    except ValidationFailed as exc:
        exc.stage = exc.stage or name
        raise ValidationFailed(exc.table, exc.report, exc.stage) from None
    except ConflictsetError:
        raise
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise StageError(name, exc) from exc


def split_rejects(frame: pl.DataFrame, stage: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a stage's output into (good rows, quarantine rows).

    A stage marks a row it cannot use with a non-null ``reason`` (plus ``field``, ``message``,
    ``raw``, ``source_file``, ``source_row`` where known); good rows lose those columns.
    """
    if "reason" not in frame.columns:
        return frame, pl.DataFrame(schema=QUARANTINE_SCHEMA)
    bad_mask = pl.col("reason").is_not_null()
    good = frame.filter(~bad_mask).drop([c for c in REJECT_COLUMNS if c in frame.columns])
    bad = frame.filter(bad_mask)
    quarantine = bad.select(
        pl.lit(stage).alias("stage"),
        *[
            (pl.col(c) if c in bad.columns else pl.lit(None)).cast(dt).alias(c)
            for c, dt in QUARANTINE_SCHEMA.items() if c != "stage"
        ],
    )
    return good, quarantine
