"""Stage ``publish``: adjudicate, build the three release tables and validate them.

The tables: ``events`` (ACLED-style, one row per sentence with a final event), ``sentences``
(every sentence, final label or none, provenance, pre-label) and ``annotations`` (every review,
pseudonymous). Each is sorted by stable keys and validated against :mod:`schemas.release`; a
violation raises :class:`schemas.validation.ValidationFailed` whose report names the sentence
of every failing row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from conflictset.dataset.stages import run_stage
from conflictset.export.adjudicate import adjudicate, ties
from conflictset.schemas import taxonomy as tx
from conflictset.schemas.dtypes import columns
from conflictset.schemas.release import Event, FinalSentence, ReleaseAnnotation, expected_interaction, looks_like_email
from conflictset.schemas.spans import SPAN_DTYPE
from conflictset.schemas.validation import ValidationFailed, validate


@dataclass
class ReleaseTables:
    events: pl.DataFrame
    sentences: pl.DataFrame
    annotations: pl.DataFrame
    final: pl.DataFrame
    ties: pl.DataFrame
    orphan_annotations: int


def span_texts(spans: str, label: str) -> pl.Expr:
    """Texts of the ``label`` spans in ``spans``, in reading order."""
    ordered = pl.col(spans).list.eval(pl.element().sort_by(pl.element().struct.field("start")))
    return ordered.list.eval(pl.element().filter(pl.element().struct.field("label") == label)
                             .struct.field("text"))


def _nth(texts: pl.Expr, i: int) -> pl.Expr:
    return texts.list.get(i, null_on_oob=True)


def reviewed_attributes() -> list[pl.Expr]:
    """Actors, location and fatalities as the deciding reviewer left the spans.

    Per span label, when the reviewer's span texts equal the pre-label's, the pre-label's coded
    values stay (its actor order, inter codes, chosen place, fatality reading). When the reviewer
    changed them: actors are the ACTOR spans in reading order, each keeping the pre-label's inter
    code only if it is the same text (else null: nobody coded it); the location is the first
    LOCATION span (the country stays the pre-label's); fatalities are the first FATALITIES span
    when written in digits, 0 when the reviewer removed every FATALITIES span, else the pre-label's
    figure. Dates stay the pre-label's (a DATE span needs the publication date to be read).
    """
    reviewed = pl.col("label_source").is_in(["annotator", "consensus", "adjudicated"])
    out = []
    actors, pre_actors = span_texts("spans", "ACTOR"), span_texts("pre_spans", "ACTOR")
    same_actors = reviewed.not_() | (actors == pre_actors).fill_null(True)
    for i, (actor, inter) in enumerate((("actor1", "inter1"), ("actor2", "inter2"))):
        text = _nth(actors, i)
        inter_of_text = (pl.when(text == pl.col("actor1")).then(pl.col("inter1"))
                         .when(text == pl.col("actor2")).then(pl.col("inter2")).otherwise(None))
        out.append(pl.when(same_actors).then(pl.col(actor)).otherwise(text).alias(actor))
        out.append(pl.when(same_actors).then(pl.col(inter)).otherwise(inter_of_text).alias(inter))
    places = span_texts("spans", "LOCATION")
    same_places = reviewed.not_() | (places == span_texts("pre_spans", "LOCATION")).fill_null(True)
    out.append(pl.when(same_places).then(pl.col("location")).otherwise(_nth(places, 0)).alias("location"))
    deaths = span_texts("spans", "FATALITIES")
    written = _nth(deaths, 0).str.replace_all(r"[,.\s]", "")
    same_deaths = reviewed.not_() | (deaths == span_texts("pre_spans", "FATALITIES")).fill_null(True)
    out.append(
        pl.when(same_deaths).then(pl.col("fatalities"))
        .when(deaths.list.len() == 0).then(pl.lit(0))
        .when(written.str.contains(r"^\d{1,7}$")).then(written.cast(pl.Int64, strict=False))
        .otherwise(pl.col("fatalities")).alias("fatalities"))
    return out


def build_events(sentences: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
    """ACLED-style events: one per sentence with a final event label.

    Attributes come from the pre-label extraction, corrected by the deciding reviewer's spans
    (:func:`reviewed_attributes`; annotators label spans, not inter codes). Missing dates fall
    back to the article's publication date with ``time_precision`` 2 (the week is known, the
    day is not); no fatality figure means 0, as in ACLED.
    """
    pre = sentences.drop("event_type", "sub_event_type", "disorder_type").rename({"spans": "pre_spans"})
    dated = pl.col("event_date").is_not_null()
    return (
        final.filter(pl.col("event_type").is_not_null())
        .join(pre, on="sentence_id", how="left")
        .with_columns(reviewed_attributes())
        .with_columns(
            pl.concat_str([pl.lit("ev-"), pl.col("sentence_id")]).alias("event_id"),
            pl.when(dated).then(pl.col("event_date")).otherwise(pl.col("published_at")).alias("event_date"),
            pl.when(dated).then(pl.col("time_precision").fill_null(3))
            .when(pl.col("published_at").is_not_null()).then(pl.lit(2))
            .otherwise(None).cast(pl.Int8).alias("time_precision"),
            pl.col("fatalities").fill_null(0).cast(pl.Int64),
            expected_interaction().alias("interaction"),
            pl.col("text").alias("notes"),
        )
        .select(columns(Event))
        .sort("sentence_id")
    )


def build_sentences(sentences: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
    pre = sentences.select(
        "article_id", "sentence_id", "sentence_index", "text", "char_start", "char_end", "language", "role",
        "title", "source", "url", "published_at",
        pl.col("event_type").alias("prelabel_event_type"), pl.col("sub_event_type").alias("prelabel_sub_event_type"),
        pl.col("score").cast(pl.Float64).alias("prelabel_score"), "prelabel_version")
    labels = final.select("sentence_id", "event_type", "sub_event_type", "disorder_type",
                          pl.col("spans").fill_null(pl.lit([], dtype=SPAN_DTYPE)),
                          "label_source", "n_annotators", "agreement")
    return pre.join(labels, on="sentence_id", how="left").select(columns(FinalSentence)).sort("sentence_id")


def pseudonymise(annotators: pl.Series) -> dict[str, str]:
    """Defence in depth: e-mail-like annotator names are replaced before anything is published.

    ``conflictset pull`` already writes pseudonyms; this catches any table that did not.
    """
    emails = annotators.filter(annotators.str.contains(looks_like_email())).unique().sort()
    return {e: "redacted-" + hashlib.sha256(e.encode()).hexdigest()[:12] for e in emails}


def build_annotations(annotations: pl.DataFrame | None, sentence_ids: pl.DataFrame) -> pl.DataFrame:
    if annotations is None:
        annotations = pl.DataFrame(schema={c: pl.String for c in columns(ReleaseAnnotation)})
    if "prediction_accepted" not in annotations.columns:
        annotations = annotations.with_columns(pl.lit(None, dtype=pl.Boolean).alias("prediction_accepted"))
    no_event = pl.col("event_type").is_null() | (pl.col("event_type") == tx.NO_EVENT)
    return (
        annotations.join(sentence_ids, on="sentence_id", how="semi")
        .with_columns(
            pl.col("annotator").replace(pseudonymise(annotations["annotator"].cast(pl.String))),
            pl.when(no_event).then(None).otherwise(pl.col("event_type")).alias("event_type"),
            pl.col("task_id", "annotation_id").cast(pl.Int64),
            pl.col("lead_time").cast(pl.Float64),
            pl.col("was_cancelled", "ground_truth").cast(pl.Boolean).fill_null(False),
            pl.col("prediction_accepted").cast(pl.Boolean),
            pl.col("spans").cast(SPAN_DTYPE).fill_null(pl.lit([], dtype=SPAN_DTYPE)),
        )
        .select(columns(ReleaseAnnotation))  # created_at/updated_at stay private: they profile working hours
        .sort("sentence_id", "annotation_id")
    )


def _validated(frame: pl.DataFrame, model, table: str) -> pl.DataFrame:
    """Validate; name the sentence of every failing row so a person can find it."""
    try:
        return validate(frame, model, table=table, stage="validate")
    except ValidationFailed as exc:
        ids = frame.select(pl.int_range(pl.len()).alias("row"), "sentence_id")
        report = (
            exc.report.join(ids, on="row", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("column").is_null() & pl.col("reason").is_in(["hierarchy_mismatch"]))
                .then(pl.lit("sub_event_type"))
                .when(pl.col("column").is_null() & (pl.col("reason") == "disorder_mismatch"))
                .then(pl.lit("disorder_type"))
                .when(pl.col("column").is_null() & (pl.col("reason") == "interaction_mismatch"))
                .then(pl.lit("interaction"))
                .otherwise(pl.col("column")).alias("column"),
                pl.when(pl.col("sentence_id").is_not_null())
                .then(pl.format("sentence_id={}: {}", pl.col("sentence_id"), pl.col("failure_case")))
                .otherwise(pl.col("failure_case")).alias("failure_case"),
            )
        )
        raise ValidationFailed(table, report, "validate") from None


def publish(sentences: pl.DataFrame, annotations: pl.DataFrame | None) -> ReleaseTables:
    """Stage ``publish``: adjudicate, build the three release tables and validate them."""
    final = run_stage("adjudicate", adjudicate, sentences, annotations)
    ids = sentences.select("sentence_id")
    events = _validated(build_events(sentences, final), Event, "events")
    final_sentences = _validated(build_sentences(sentences, final), FinalSentence, "sentences")
    released = _validated(build_annotations(annotations, ids), ReleaseAnnotation, "annotations")
    orphans = 0 if annotations is None else annotations.join(ids, on="sentence_id", how="anti").height
    return ReleaseTables(events, final_sentences, released, final, ties(final), orphans)
