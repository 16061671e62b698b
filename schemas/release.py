"""pandera models for the release tables: ``Event``, ``FinalSentence``, ``ReleaseAnnotation``.

Besides types and ranges, the models check codebook consistency row by row, each with its own
stable reason code: the sub-event type belongs to the event type (``hierarchy_mismatch``), the
disorder type is the one the codebook gives the sub-event type (``disorder_mismatch``) and the
interaction is the one :func:`schemas.taxonomy.interaction` gives the two inter names
(``interaction_mismatch``). All vocabularies come from :mod:`schemas.taxonomy`.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from conflictset.schemas import taxonomy as tx
from conflictset.schemas.pipeline import SentenceInArticle
from conflictset.schemas.reasons import Reason
from conflictset.schemas.spans import SPAN_DTYPE

#: where a final label came from (see export/adjudicate.py)
LABEL_SOURCES = ("prelabel", "annotator", "consensus", "adjudicated")
#: a sentence whose reviewers disagree with no majority and no ground truth: listed, never guessed
UNRESOLVED = "unresolved"
SCHEMA_VERSION = "1.0"

_NULL = "\x00"  # stands for a missing inter name in the interaction lookup key
#: every (inter1, inter2) pair → interaction, computed by the taxonomy's own function
_INTERACTION_BY_KEY: dict[str, str | None] = {
    f"{a or _NULL}|{b or _NULL}": tx.interaction(a, b)
    for a in (*tx.INTER_NAMES, None)
    for b in (*tx.INTER_NAMES, None)
}
_EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"


def hierarchy_ok(event: str = "event_type", sub: str = "sub_event_type") -> pl.Expr:
    """Both null (no event), or the sub-event type's codebook parent is the event type."""
    parent = pl.col(sub).replace_strict(tx.PARENT_OF, default=None, return_dtype=pl.String)
    both_null = pl.col(event).is_null() & pl.col(sub).is_null()
    return both_null | (parent.is_not_null() & (parent == pl.col(event))).fill_null(False)


def disorder_ok() -> pl.Expr:
    expected = pl.col("sub_event_type").replace_strict(tx.DISORDER_OF, default=None, return_dtype=pl.String)
    return (expected.is_null() & pl.col("disorder_type").is_null()) | (
        expected == pl.col("disorder_type")).fill_null(False)


def expected_interaction() -> pl.Expr:
    key = pl.concat_str([pl.col("inter1").fill_null(_NULL), pl.col("inter2").fill_null(_NULL)], separator="|")
    return key.replace_strict(_INTERACTION_BY_KEY, default=None, return_dtype=pl.String)


def interaction_ok() -> pl.Expr:
    expected = expected_interaction()
    return (expected.is_null() & pl.col("interaction").is_null()) | (
        expected == pl.col("interaction")).fill_null(False)


class Event(pa.DataFrameModel):
    """One ACLED-style event per sentence that has a final event label."""

    event_id: str = pa.Field(unique=True)
    article_id: str
    sentence_id: str = pa.Field(unique=True)
    event_date: pl.Date = pa.Field(nullable=True)
    time_precision: pl.Int8 = pa.Field(nullable=True, in_range={"min_value": 1, "max_value": 3})
    disorder_type: str = pa.Field(isin=tx.DISORDER_TYPES)
    event_type: str = pa.Field(isin=tx.EVENT_TYPES)
    sub_event_type: str = pa.Field(isin=tx.SUB_EVENT_TYPE_NAMES)
    actor1: str = pa.Field(nullable=True)
    inter1: str = pa.Field(nullable=True, isin=tx.INTER_NAMES)
    actor2: str = pa.Field(nullable=True)
    inter2: str = pa.Field(nullable=True, isin=tx.INTER_NAMES)
    interaction: str = pa.Field(nullable=True)
    location: str = pa.Field(nullable=True)
    country: str = pa.Field(nullable=True)
    fatalities: int = pa.Field(ge=0)
    source: str = pa.Field(nullable=True)
    url: str = pa.Field(nullable=True)
    notes: str = pa.Field(nullable=True, str_length={"min_value": 1})  # null: release --text-policy ids
    language: str
    label_source: str = pa.Field(isin=LABEL_SOURCES)
    n_annotators: int = pa.Field(ge=0)
    agreement: bool = pa.Field(nullable=True)
    prelabel_version: str = pa.Field(nullable=True)

    class Config:
        strict = True

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def sub_event_type_belongs_to_event_type(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(hierarchy_ok())

    @pa.dataframe_check(error=Reason.DISORDER_MISMATCH.value)
    def disorder_type_follows_sub_event_type(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(disorder_ok())

    @pa.dataframe_check(error=Reason.INTERACTION_MISMATCH.value)
    def interaction_follows_inter_codes(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(interaction_ok())

    @pa.dataframe_check(error=Reason.NULL_VALUE.value)
    def dated_events_have_precision(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("event_date").is_null() | pl.col("time_precision").is_not_null())


class FinalSentence(SentenceInArticle):
    """Every sentence with its final label (or none) and the pre-label it started from."""

    #: null when `release --text-policy` withholds it (the offsets still say where it is)
    text: str = pa.Field(nullable=True, str_length={"min_value": 1})
    event_type: str = pa.Field(nullable=True, isin=tx.EVENT_TYPES)
    sub_event_type: str = pa.Field(nullable=True, isin=tx.SUB_EVENT_TYPE_NAMES)
    disorder_type: str = pa.Field(nullable=True, isin=tx.DISORDER_TYPES)
    label_source: str = pa.Field(isin=(*LABEL_SOURCES, UNRESOLVED))
    n_annotators: int = pa.Field(ge=0)
    agreement: bool = pa.Field(nullable=True)
    prelabel_event_type: str = pa.Field(nullable=True, isin=tx.EVENT_TYPES)
    prelabel_sub_event_type: str = pa.Field(nullable=True, isin=tx.SUB_EVENT_TYPE_NAMES)
    prelabel_score: float = pa.Field(nullable=True)
    prelabel_version: str = pa.Field(nullable=True)
    spans: SPAN_DTYPE

    class Config:
        strict = False

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def final_label_follows_hierarchy(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(hierarchy_ok())

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def prelabel_follows_hierarchy(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(hierarchy_ok("prelabel_event_type", "prelabel_sub_event_type"))

    @pa.dataframe_check(error=Reason.DISORDER_MISMATCH.value)
    def disorder_type_follows_sub_event_type(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(disorder_ok())

    @pa.dataframe_check(error=Reason.CHECK_FAILED.value)
    def unresolved_sentences_have_no_label(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("label_source") != UNRESOLVED) | pl.col("event_type").is_null())


class AdjudicatedLabel(pa.DataFrameModel):
    """Stage ``adjudicate``: the final label of every sentence and how it was reached."""

    sentence_id: str = pa.Field(unique=True)
    event_type: str = pa.Field(nullable=True, isin=tx.EVENT_TYPES)
    sub_event_type: str = pa.Field(nullable=True, isin=tx.SUB_EVENT_TYPE_NAMES)
    disorder_type: str = pa.Field(nullable=True, isin=tx.DISORDER_TYPES)
    spans: SPAN_DTYPE = pa.Field(nullable=True)
    label_source: str = pa.Field(isin=(*LABEL_SOURCES, UNRESOLVED))
    n_annotators: int = pa.Field(ge=0)
    agreement: bool = pa.Field(nullable=True)
    #: the annotation that decided the label (ground truth or adjudication), else null
    decided_by: int = pa.Field(nullable=True)
    #: the competing labels of an unresolved tie
    candidate_labels: pl.List(pl.String) = pa.Field(nullable=True)

    class Config:
        strict = True


class ReleaseAnnotation(pa.DataFrameModel):
    """One reviewer annotation, with a pseudonymous annotator (never an e-mail address)."""

    sentence_id: str
    task_id: int = pa.Field(nullable=True)
    annotation_id: int = pa.Field(unique=True)
    annotator: str = pa.Field(nullable=True, str_length={"min_value": 1})  # null: deleted user
    event_type: str = pa.Field(nullable=True, isin=tx.EVENT_TYPES)
    sub_event_type: str = pa.Field(nullable=True, isin=tx.SUB_EVENT_TYPE_NAMES)
    spans: SPAN_DTYPE
    lead_time: float = pa.Field(nullable=True, ge=0)
    was_cancelled: bool
    ground_truth: bool
    prediction_accepted: bool = pa.Field(nullable=True)
    prelabel_version: str = pa.Field(nullable=True)

    class Config:
        strict = False

    @pa.dataframe_check(error=Reason.HIERARCHY_MISMATCH.value)
    def label_follows_hierarchy(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(hierarchy_ok())

    @pa.dataframe_check(error=Reason.CHECK_FAILED.value)
    def annotator_is_not_an_email(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(~pl.col("annotator").str.contains(_EMAIL).fill_null(False))


def looks_like_email() -> str:
    """The pattern used to catch e-mail addresses before anything is published."""
    return _EMAIL
