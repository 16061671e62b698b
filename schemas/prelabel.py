"""pandera model of a pre-labelled sentence: :class:`Sentence` plus the pre-label columns
(:data:`PRELABEL_COLUMNS`, derived from the model: the one source of their dtypes).

Checks: labels from the taxonomy (event_type, sub_event_type, disorder_type, inter1/inter2), the
hierarchy (sub-event type belongs to the event type; both null for no event), disorder_type
consistent with the sub-event type, score in [0, 1] and never null, fatalities ≥ 0,
time_precision 1–3, and every span inside its sentence with ``text[start:end] == span.text``
and a known label.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.pipeline import Sentence
from conflictset.schemas.reasons import Reason
from conflictset.schemas.spans import SPAN_DTYPE, SPAN_LABELS
from conflictset.schemas.taxonomy import (
    DISORDER_OF,
    DISORDER_TYPES,
    EVENT_TYPES,
    INTER_NAMES,
    PARENT_OF,
    SUB_EVENT_TYPE_NAMES,
)

# The span checks stay row-level where they can: exploding the spans next to the sentence text
# copies every text once per span, and that was most of the validation cost of the build. Each
# check returns one boolean per sentence in row order (pandera blames failures by row index); a
# null field inside a span makes its comparison null, and a null comparison passes — only a
# span whose condition is False fails its sentence.
_field = pl.element().struct.field


def _all_spans(ok: pl.Expr) -> pl.Expr:
    """Per sentence: no span has ``ok`` False (null spans, empty and null lists pass)."""
    return pl.col("spans").list.eval(ok.fill_null(True)).list.all().fill_null(True)


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
    spans: SPAN_DTYPE = pa.Field()
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
        # 0 <= start < end <= len(text), Kleene and per span: False as soon as one part is False,
        # so the text's length only needs the largest end of the sentence (max skips nulls)
        start, end = _field("start"), _field("end")
        fits = pl.col("spans").list.eval(end).list.max() <= pl.col("text").str.len_chars()
        return data.lazyframe.select(_all_spans((start >= 0) & (start < end)) & fits.fill_null(True))

    @pa.dataframe_check(error=Reason.SPAN_TEXT_MISMATCH.value)
    def spans_slice_to_their_text(cls, data) -> pl.LazyFrame:
        # needs the text per span, so explode (row index, text, spans) and keep the mismatching
        # spans (a null comparison is filtered out: it passes). Rows are named by the row index,
        # not by position, so polars 2 dropping empty lists on explode shifts nothing; the left
        # join puts one boolean per sentence back in row order. A reversed span slices to "":
        # a negative length would make polars raise, and pandera report no row.
        rows = data.lazyframe.with_row_index("_i")
        span = pl.col("spans")
        start, end = span.struct.field("start"), span.struct.field("end")
        bad = (rows.select("_i", "text", "spans").explode("spans")
               .filter(pl.col("text").str.slice(start, (end - start).clip(lower_bound=0))
                       != span.struct.field("text"))
               .select("_i").unique().with_columns(pl.lit(False).alias("_ok")))
        return (rows.select("_i").join(bad, on="_i", how="left", maintain_order="left")
                .select(pl.col("_ok").fill_null(True)))

    @pa.dataframe_check(error=Reason.UNKNOWN_LABEL.value)
    def span_labels_known(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(_all_spans(_field("label").is_in(list(SPAN_LABELS))))


#: the columns pre-labelling adds to a sentence, with their dtypes
PRELABEL_COLUMNS: dict[str, pl.DataType] = {
    name: dtype for name, dtype in dtypes(PrelabelledSentence).items() if name not in dtypes(Sentence)}
