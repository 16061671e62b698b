"""pandera models (polars backend) for the build stages: articles, segments, sentences, quarantine.

Validate collected DataFrames (``Model.validate(df, lazy=True)``), never LazyFrames: a LazyFrame
only gets schema-level checks. Use :func:`conflictset.schemas.validation.validate` which turns failures
into a report with stable reason codes.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.reasons import Reason

SEGMENT_ROLES = ("headline", "body", "caption", "credit", "heading", "boilerplate", "related")
#: roles whose text becomes sentences; the others are kept in segments.parquet only
SENTENCE_ROLES = ("headline", "body", "caption")
STAGES = (
    "ingest", "clean", "segment", "prelabel", "to_label_studio", "from_label_studio",
    "adjudicate", "events", "validate", "publish",
)


class ArticleMeta(pa.DataFrameModel):
    """What an article carries besides its text (shared by the ingested and the built article)."""

    article_id: str = pa.Field(unique=True, str_length={"min_value": 1})
    title: str = pa.Field(nullable=True)
    url: str = pa.Field(nullable=True)
    source: str = pa.Field(nullable=True)
    published_at: pl.Date = pa.Field(nullable=True)
    #: the publication date as the input gave it (kept when it could not be read: published_at is then null)
    published_at_raw: str = pa.Field(nullable=True)
    #: the place of a dateline at the start of the text ("NAIROBI, June 25 (Reuters) -" → Nairobi)
    dateline_place: str = pa.Field(nullable=True)
    language: str = pa.Field(nullable=True)
    source_file: str
    source_row: int = pa.Field(ge=1)

    class Config:
        strict = False
        coerce = False


class Article(ArticleMeta):
    """One ingested article (stage ``ingest``); ``text`` is the normalised raw text (NFC, LF line ends)."""

    text: str = pa.Field(str_length={"min_value": 1})


class BuiltArticle(ArticleMeta):
    """A row of ``articles.parquet``: the article after cleaning and segmenting. ``clean_text`` is the
    kept segments joined with blank lines; ``language`` is the resolved one (declared, else detected)."""

    clean_text: str
    n_segments: int = pa.Field(ge=0)
    n_sentences: int = pa.Field(ge=0)


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


class SegmentedSentence(pa.DataFrameModel):
    """A sentence as the segmenter finds it; offsets index the cleaned article text (``clean_text``)."""

    article_id: str
    sentence_id: str = pa.Field(unique=True)
    sentence_index: int = pa.Field(ge=0)
    text: str = pa.Field(str_length={"min_value": 1})
    char_start: int = pa.Field(ge=0)
    char_end: int = pa.Field(ge=1)
    language: str = pa.Field(str_length={"min_value": 2, "max_value": 3})
    role: str = pa.Field(isin=SENTENCE_ROLES)

    class Config:
        strict = False

    @pa.dataframe_check(error=Reason.BAD_OFFSETS.value)
    def length_matches_offsets(cls, data) -> pl.LazyFrame:
        # a null text (a release's withheld text; FinalSentence allows it) has nothing to measure
        return data.lazyframe.select(
            pl.col("text").is_null() | ((pl.col("char_end") - pl.col("char_start")) == pl.col("text").str.len_chars())
        )


class SentenceInArticle(SegmentedSentence):
    """A sentence with its article's metadata (every table of sentences carries it)."""

    title: str = pa.Field(nullable=True)
    source: str = pa.Field(nullable=True)
    url: str = pa.Field(nullable=True)
    published_at: pl.Date = pa.Field(nullable=True)


class Sentence(SentenceInArticle):
    """A row of ``sentences.parquet`` before pre-labelling: the sentence, its article's metadata and
    the neighbouring sentences (context for reviewers)."""

    prev_text: str = pa.Field(nullable=True)
    next_text: str = pa.Field(nullable=True)


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


QUARANTINE_SCHEMA: dict[str, pl.DataType] = dtypes(Quarantine)
#: the columns a stage adds to a row it rejects (the rest of the quarantine row says where it came from)
REJECT_COLUMNS = ("reason", "field", "message", "raw")
#: what ``ingest`` gives back: articles, and rejected records marked by a non-null ``reason``
INGESTED_SCHEMA: dict[str, pl.DataType] = {**dtypes(Article), **{c: QUARANTINE_SCHEMA[c] for c in REJECT_COLUMNS}}
