"""pandera models (polars backend) for the build stages: articles, segments, sentences, quarantine.

Validate collected DataFrames (``Model.validate(df, lazy=True)``), never LazyFrames: a LazyFrame
only gets schema-level checks. Use :func:`schemas.validation.validate` which turns failures
into a report with stable reason codes.
"""

from __future__ import annotations

import polars as pl
import pandera.polars as pa
from pandera.typing.polars import Series  # noqa: F401  (re-exported for models)

from conflictset.schemas.reasons import Reason

SEGMENT_ROLES = ("headline", "body", "caption", "credit", "heading", "boilerplate", "related")
#: roles whose text becomes sentences; the others are kept in segments.parquet only
SENTENCE_ROLES = ("headline", "body", "caption")
STAGES = (
    "ingest", "clean", "segment", "prelabel", "to_label_studio", "from_label_studio",
    "adjudicate", "validate", "publish",
)


class Article(pa.DataFrameModel):
    """One ingested article; ``text`` is the normalised raw text (NFC, LF line ends)."""

    article_id: str = pa.Field(unique=True, str_length={"min_value": 1})
    title: str = pa.Field(nullable=True)
    text: str = pa.Field(str_length={"min_value": 1})
    url: str = pa.Field(nullable=True)
    source: str = pa.Field(nullable=True)
    published_at: pl.Date = pa.Field(nullable=True)
    language: str = pa.Field(nullable=True)
    source_file: str
    source_row: int = pa.Field(ge=1)

    class Config:
        strict = False
        coerce = False


class Segment(pa.DataFrameModel):
    """A block of an article with its role; offsets index ``Article.text``."""

    article_id: str
    segment_index: int = pa.Field(ge=0)
    text: str
    role: str = pa.Field(isin=SEGMENT_ROLES)
    reason: str = pa.Field(nullable=True)
    char_start: int = pa.Field(ge=0)
    char_end: int = pa.Field(ge=0)

    class Config:
        strict = False

    @pa.dataframe_check(error=Reason.BAD_OFFSETS.value)
    def offsets_ordered(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("char_end") >= pl.col("char_start"))

    @pa.dataframe_check(error=Reason.CHECK_FAILED.value)
    def dropped_segments_have_reason(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("role").is_in(SENTENCE_ROLES) | pl.col("reason").is_not_null()
        )


class Sentence(pa.DataFrameModel):
    """A sentence; offsets index the cleaned article text (``articles.parquet`` ``clean_text``)."""

    article_id: str
    sentence_id: str = pa.Field(unique=True)
    sentence_index: int = pa.Field(ge=0)
    text: str = pa.Field(str_length={"min_value": 1})
    char_start: int = pa.Field(ge=0)
    char_end: int = pa.Field(ge=1)
    language: str = pa.Field(str_length={"min_value": 2, "max_value": 3})
    role: str = pa.Field(isin=SENTENCE_ROLES)
    title: str = pa.Field(nullable=True)
    source: str = pa.Field(nullable=True)
    url: str = pa.Field(nullable=True)
    published_at: pl.Date = pa.Field(nullable=True)
    prev_text: str = pa.Field(nullable=True)
    next_text: str = pa.Field(nullable=True)

    class Config:
        strict = False

    @pa.dataframe_check(error=Reason.BAD_OFFSETS.value)
    def length_matches_offsets(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("char_end") - pl.col("char_start")) == pl.col("text").str.len_chars()
        )


class Quarantine(pa.DataFrameModel):
    """A rejected record: where it came from, why, and the raw content (nothing is lost)."""

    stage: str = pa.Field(isin=STAGES)
    source_file: str = pa.Field(nullable=True)
    source_row: int = pa.Field(nullable=True, ge=0)
    field: str = pa.Field(nullable=True)
    reason: str = pa.Field(isin=[r.value for r in Reason])
    message: str
    raw: str = pa.Field(nullable=True)

    class Config:
        strict = True


QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "stage": pl.String(),
    "source_file": pl.String(),
    "source_row": pl.Int64(),
    "field": pl.String(),
    "reason": pl.String(),
    "message": pl.String(),
    "raw": pl.String(),
}


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)
