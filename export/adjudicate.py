"""Stage ``adjudicate``: one final label per sentence, with provenance.

Rules (a label is the pair event_type/sub_event_type; "No event" is a label too):

* no usable annotation → the pre-label, ``label_source="prelabel"``;
* one annotator → that annotation, ``annotator``;
* two or more annotators who all agree → ``consensus``, ``agreement=True``;
* disagreement and a ground-truth annotation (an adjudicator's decision in Label Studio)
  → the ground truth, ``adjudicated``, ``agreement=False``;
* disagreement, no ground truth, one label chosen by more than half of the annotators →
  that label, ``consensus``, ``agreement=False`` (the flag keeps the dissent visible);
* anything else is a tie: ``label_source="unresolved"``, no final label, and the competing
  labels in ``candidate_labels`` — never resolved silently. ``conflictset push --adjudicate``
  sends them back to Label Studio, where a ground-truth annotation decides them.

Cancelled (skipped) annotations are not votes. An annotator who submitted twice for the same
sentence counts once, with the latest annotation.
"""

from __future__ import annotations

import polars as pl

from conflictset.schemas import taxonomy as tx
from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.release import UNRESOLVED, AdjudicatedLabel
from conflictset.schemas.spans import SPAN_DTYPE

_SEP = " / "

FINAL_SCHEMA: dict[str, pl.DataType] = dtypes(AdjudicatedLabel)


def label_key(event: str = "event_type", sub: str = "sub_event_type") -> pl.Expr:
    """One comparable string per label; "No event" when both parts are null."""
    return (
        pl.when(pl.col(event).is_null() & pl.col(sub).is_null())
        .then(pl.lit(tx.NO_EVENT))
        .otherwise(pl.concat_str([pl.col(event).fill_null("?"), pl.col(sub).fill_null("?")], separator=_SEP))
    )


def normalise_annotations(annotations: pl.DataFrame | None) -> pl.DataFrame:
    """Usable annotations: not cancelled, "No event" as null labels, ``key`` added."""
    if annotations is None or annotations.is_empty():
        return pl.DataFrame(schema={
            "sentence_id": pl.String, "annotation_id": pl.Int64, "annotator": pl.String,
            "event_type": pl.String, "sub_event_type": pl.String, "spans": SPAN_DTYPE,
            "ground_truth": pl.Boolean, "lead_time": pl.Float64, "key": pl.String})
    no_event = pl.col("event_type").is_null() | (pl.col("event_type") == tx.NO_EVENT)
    order = [c for c in ("updated_at", "annotation_id") if c in annotations.columns]
    return (
        annotations
        .filter(~pl.col("was_cancelled").fill_null(False))
        .with_columns(
            pl.when(no_event).then(None).otherwise(pl.col("event_type")).alias("event_type"),
            pl.when(no_event).then(None).otherwise(pl.col("sub_event_type")).alias("sub_event_type"),
            pl.col("ground_truth").fill_null(False),
            pl.col("annotation_id").cast(pl.Int64),
            # an annotation whose author is unknown (deleted user) still counts as its own voter
            pl.col("annotator").fill_null(pl.concat_str([pl.lit("unknown-"), pl.col("annotation_id")])),
        )
        .with_columns(label_key().alias("key"))
        .sort(["sentence_id", "annotator", *order])
    )


def one_vote_per_annotator(usable: pl.DataFrame) -> pl.DataFrame:
    """An annotator who submitted twice for a sentence counts once, with the latest annotation."""
    order = [c for c in ("sentence_id", "annotator", "updated_at", "annotation_id") if c in usable.columns]
    return usable.sort(order).unique(subset=["sentence_id", "annotator"], keep="last", maintain_order=True)


def _votes(votes: pl.DataFrame, usable: pl.DataFrame) -> pl.DataFrame:
    """Per sentence: annotator count, label counts, the majority label, the ground truth."""
    per_label = (
        votes.group_by("sentence_id", "key")
        .agg(pl.len().alias("n"), pl.col("annotation_id").min().alias("first_id"))
        .sort(["sentence_id", "n", "key"], descending=[False, True, False])
    )
    summary = per_label.group_by("sentence_id", maintain_order=True).agg(
        pl.col("n").sum().alias("n_annotators"),
        pl.len().alias("n_labels"),
        pl.col("key").first().alias("top_key"),
        pl.col("n").first().alias("top_n"),
        pl.col("first_id").first().alias("top_id"),
        pl.concat_str([pl.col("key"), pl.lit(" ×"), pl.col("n").cast(pl.String)]).alias("candidate_labels"),
    )
    truth = (
        usable.filter(pl.col("ground_truth"))
        .sort("sentence_id", "annotation_id")
        .group_by("sentence_id", maintain_order=True)
        .agg(pl.col("key").n_unique().alias("n_truths"), pl.col("key").last().alias("truth_key"),
             pl.col("annotation_id").last().alias("truth_id"))
    )
    return summary.join(truth, on="sentence_id", how="left")


def adjudicate(sentences: pl.DataFrame, annotations: pl.DataFrame | None) -> pl.DataFrame:
    """Final label per sentence (see the module doc); one row per input sentence, same order."""
    usable = normalise_annotations(annotations).join(sentences.select("sentence_id"), on="sentence_id",
                                                       how="semi")
    votes = one_vote_per_annotator(usable)
    # a ground-truth mark can sit on any annotation, so it is read before de-duplication
    tally = _votes(votes, usable)

    agree = pl.col("n_labels") == 1
    truth = (pl.col("n_truths") == 1).fill_null(False)
    majority = (pl.col("top_n") * 2 > pl.col("n_annotators"))
    source = (
        pl.when(pl.col("n_annotators").is_null()).then(pl.lit("prelabel"))
        .when(pl.col("n_annotators") == 1).then(pl.lit("annotator"))
        .when(agree).then(pl.lit("consensus"))
        .when(truth).then(pl.lit("adjudicated"))
        .when(majority).then(pl.lit("consensus"))
        .otherwise(pl.lit(UNRESOLVED))
    )
    decided = (
        sentences.select("sentence_id", pl.col("event_type").alias("pre_event"),
                         pl.col("sub_event_type").alias("pre_sub"), pl.col("disorder_type").alias("pre_disorder"),
                         pl.col("spans").alias("pre_spans"))
        .join(tally, on="sentence_id", how="left", maintain_order="left")
        .with_columns(source.alias("label_source"))
        .with_columns(
            pl.when(pl.col("label_source") == "adjudicated").then(pl.col("truth_id"))
            .when(pl.col("label_source").is_in(["annotator", "consensus"])).then(pl.col("top_id"))
            .otherwise(None).alias("decided_by"),
            pl.when(pl.col("n_annotators") >= 2).then(agree).otherwise(None).alias("agreement"),
            pl.when(pl.col("label_source") == UNRESOLVED).then(pl.col("candidate_labels"))
            .otherwise(None).alias("candidate_labels"),
        )
    )
    chosen = usable.select(pl.col("annotation_id").alias("decided_by"),
                          pl.col("event_type").alias("ann_event"), pl.col("sub_event_type").alias("ann_sub"),
                          pl.col("spans").alias("ann_spans"))
    prelabel = pl.col("label_source") == "prelabel"
    unresolved = pl.col("label_source") == UNRESOLVED
    final = (
        decided.join(chosen, on="decided_by", how="left", maintain_order="left")
        .with_columns(
            pl.when(prelabel).then(pl.col("pre_event")).when(unresolved).then(None)
            .otherwise(pl.col("ann_event")).alias("event_type"),
            pl.when(prelabel).then(pl.col("pre_sub")).when(unresolved).then(None)
            .otherwise(pl.col("ann_sub")).alias("sub_event_type"),
            pl.when(prelabel).then(pl.col("pre_spans")).when(unresolved).then(None)
            .otherwise(pl.col("ann_spans")).alias("spans"),
            pl.col("n_annotators").fill_null(0),
        )
        # reviewers do not code the disorder type: it follows their sub-event type. A pre-label keeps
        # its own, so an inconsistent input is caught by the release checks instead of hidden
        .with_columns(
            pl.when(prelabel).then(pl.col("pre_disorder"))
            .otherwise(pl.col("sub_event_type").replace_strict(tx.DISORDER_OF, default=None,
                                                               return_dtype=pl.String)).alias("disorder_type"))
    )
    return final.select([pl.col(c).cast(dt) for c, dt in FINAL_SCHEMA.items()])


def ties(final: pl.DataFrame) -> pl.DataFrame:
    """The sentences left unresolved, with their competing labels (for ``push --adjudicate``)."""
    return final.filter(pl.col("label_source") == UNRESOLVED).select(
        "sentence_id", "n_annotators", "candidate_labels")
