"""pandera model of a pre-labelled sentence: :class:`schemas.pipeline.Sentence` plus the columns
of ``dataset.prelabel.PRELABEL_COLUMNS``.

Checks: labels from the taxonomy (event_type, sub_event_type, disorder_type, inter1/inter2), the
hierarchy (sub-event type belongs to the event type; both null for no event), disorder_type
consistent with the sub-event type, score in [0, 1] and never null, fatalities ≥ 0,
time_precision 1–3, and every span inside its sentence with ``text[start:end] == span.text``
and a known label.
"""

from __future__ import annotations

import polars as pl
import pandera.polars as pa

from schemas.pipeline import Sentence
from schemas.reasons import Reason
from schemas.taxonomy import (DISORDER_OF, DISORDER_TYPES, EVENT_TYPES, INTER_NAMES, PARENT_OF,
                              SUB_EVENT_TYPE_NAMES)

SPAN_LABELS = ("ACTOR", "LOCATION", "FATALITIES", "DATE")


def _span_rows(data) -> pl.LazyFrame:
    """One row per span, and one (null span) per sentence without spans: polars 2 drops empty
    lists on explode, which would shift every later sentence's result and blame the wrong row."""
    no_spans = pl.col("spans").list.len().fill_null(0) == 0
    return (data.lazyframe.with_row_index("_i")
            .select("_i", "text", pl.when(no_spans).then(None).otherwise(pl.col("spans")).alias("spans"))
            .explode("spans")
            .with_columns(
                pl.col("spans").struct.field("label").alias("_label"),
                pl.col("spans").struct.field("start").alias("_start"),
                pl.col("spans").struct.field("end").alias("_end"),
                pl.col("spans").struct.field("text").alias("_text")))


def _per_row(rows: pl.LazyFrame, ok: pl.Expr) -> pl.LazyFrame:
    """Aggregate a per-span condition to one boolean per sentence, in row order."""
    return (rows.with_columns(ok.fill_null(True).alias("_ok")).group_by("_i").agg(pl.col("_ok").all())
            .sort("_i").select("_ok"))


class PrelabelledSentence(Sentence):
    event_type: str = pa.Field(nullable=True, isin=list(EVENT_TYPES))
    sub_event_type: str = pa.Field(nullable=True, isin=list(SUB_EVENT_TYPE_NAMES))
    disorder_type: str = pa.Field(nullable=True, isin=list(DISORDER_TYPES))
    score: float = pa.Field(ge=0.0, le=1.0)
    evidence: pl.List(pl.String) = pa.Field()
    fatalities: pl.Int64 = pa.Field(nullable=True, ge=0)
    actor1: str = pa.Field(nullable=True)
    inter1: str = pa.Field(nullable=True, isin=list(INTER_NAMES))
    actor2: str = pa.Field(nullable=True)
    inter2: str = pa.Field(nullable=True, isin=list(INTER_NAMES))
    location: str = pa.Field(nullable=True)
    country: str = pa.Field(nullable=True)
    event_date: pl.Date = pa.Field(nullable=True)
    time_precision: pl.Int8 = pa.Field(nullable=True, ge=1, le=3)
    spans: pl.List(pl.Struct({"label": pl.String, "start": pl.Int64, "end": pl.Int64, "text": pl.String})) = pa.Field()
    prelabel_version: str = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def hierarchy(cls, data) -> pl.LazyFrame:
        parent = pl.col("sub_event_type").replace_strict(PARENT_OF, default=None)
        return data.lazyframe.select(
            (pl.col("event_type").is_null() & pl.col("sub_event_type").is_null())
            | (parent == pl.col("event_type")).fill_null(False))

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def disorder_type_consistent(cls, data) -> pl.LazyFrame:
        expected = pl.col("sub_event_type").replace_strict(DISORDER_OF, default=None)
        return data.lazyframe.select(
            (expected.is_null() & pl.col("disorder_type").is_null())
            | (expected == pl.col("disorder_type")).fill_null(False))

    @pa.dataframe_check(error=Reason.BAD_OFFSETS.value)
    def spans_inside_sentence(cls, data) -> pl.LazyFrame:
        ok = ((pl.col("_start") >= 0) & (pl.col("_start") < pl.col("_end"))
              & (pl.col("_end") <= pl.col("text").str.len_chars()))
        return _per_row(_span_rows(data), pl.when(pl.col("spans").is_null()).then(True).otherwise(ok))

    @pa.dataframe_check(error=Reason.SPAN_TEXT_MISMATCH.value)
    def spans_slice_to_their_text(cls, data) -> pl.LazyFrame:
        sliced = pl.col("text").str.slice(pl.col("_start"), pl.col("_end") - pl.col("_start"))
        return _per_row(_span_rows(data), pl.when(pl.col("spans").is_null()).then(True)
                        .otherwise(sliced == pl.col("_text")))

    @pa.dataframe_check(error=Reason.UNKNOWN_LABEL.value)
    def span_labels_known(cls, data) -> pl.LazyFrame:
        return _per_row(_span_rows(data), pl.when(pl.col("spans").is_null()).then(True)
                        .otherwise(pl.col("_label").is_in(list(SPAN_LABELS))))
