"""pandera models for what ``conflictset pull`` writes: annotations and tasks.

Validate collected frames through :func:`schemas.validation.validate`.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

from conflictset.schemas.reasons import Reason
from conflictset.schemas.spans import SPAN_STRUCT
from conflictset.schemas.taxonomy import EVENT_TYPES, PARENT_OF, SUB_EVENT_TYPE_NAMES

TASK_STATUSES = ("annotated", "unannotated", "skipped")
ANNOTATOR_PATTERN = r"^ann-[0-9a-f]{10}$"


class Annotation(pa.DataFrameModel):
    """One Label Studio annotation (a skip is an annotation with ``was_cancelled``)."""

    sentence_id: str
    task_id: int
    annotation_id: int = pa.Field(unique=True)
    annotator: str = pa.Field(nullable=True, str_matches=ANNOTATOR_PATTERN)  # pseudonym, never an e-mail
    event_type: str = pa.Field(nullable=True, isin=EVENT_TYPES)  # null = "No event" (or skipped)
    sub_event_type: str = pa.Field(nullable=True, isin=SUB_EVENT_TYPE_NAMES)
    spans: Annotated[pl.List, SPAN_STRUCT]
    lead_time: float = pa.Field(nullable=True, ge=0)
    was_cancelled: bool
    ground_truth: bool
    created_at: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(nullable=True)
    updated_at: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(nullable=True)
    prediction_accepted: bool = pa.Field(nullable=True)  # null when the task had no pre-label
    prelabel_version: str = pa.Field(nullable=True)

    class Config:
        strict = True

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def sub_event_type_belongs_to_event_type(cls, data) -> pl.LazyFrame:
        parent = pl.col("sub_event_type").replace_strict(PARENT_OF, default=None, return_dtype=pl.String)
        return data.lazyframe.select(
            (pl.col("event_type").is_null() & pl.col("sub_event_type").is_null())
            | (parent == pl.col("event_type")).fill_null(False)
        )


class Task(pa.DataFrameModel):
    """Every task of the project with its review status, one per sentence (a duplicate task is set
    aside by the pull); with the push ledger, pushed = annotated + unannotated + skipped + deleted."""

    task_id: int = pa.Field(unique=True)
    sentence_id: str = pa.Field(unique=True)
    project_id: int
    status: str = pa.Field(isin=TASK_STATUSES)
    n_annotations: int = pa.Field(ge=0)
    n_cancelled: int = pa.Field(ge=0)
    prelabel_version: str = pa.Field(nullable=True)

    class Config:
        strict = True

    @pa.dataframe_check(error=Reason.CHECK_FAILED.value)
    def status_matches_counts(cls, data) -> pl.LazyFrame:
        n, c = pl.col("n_annotations"), pl.col("n_cancelled")
        expected = (pl.when(n == 0).then(pl.lit("unannotated"))
                    .when(n == c).then(pl.lit("skipped")).otherwise(pl.lit("annotated")))
        return data.lazyframe.select((pl.col("status") == expected) & (c <= n))


class PushLedger(pa.DataFrameModel):
    """``pushed.parquet`` in a build directory: which task each pushed sentence became."""

    project_id: int
    sentence_id: str
    task_id: int

    class Config:
        strict = True
