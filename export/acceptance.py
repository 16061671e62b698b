"""Pre-label acceptance: how often reviewers kept what the rules proposed, and what it saved.

Over the *reviewed* sentences (final label from annotators: ``annotator``, ``consensus`` or
``adjudicated``; unresolved ties are left out and counted), per ``prelabel_version``, level
(``event_type`` / ``sub_event_type``) and pre-label category ("No event" included):

* ``acceptance`` — share of sentences whose final label equals the pre-label at that level;
* ``precision`` / ``recall`` of the pre-label against the final label for that category;
* ``median_lead_time_accepted`` / ``_corrected`` — Label Studio's ``lead_time`` (seconds) of the
  annotations that kept the pre-label at that level vs those that changed it. The gap is the
  review time the pre-labeller saves per sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from conflictset.export.adjudicate import normalise_annotations
from conflictset.export.agreement import LEVELS, _round, level_label
from conflictset.schemas.release import UNRESOLVED

REVIEWED = ("annotator", "consensus", "adjudicated")
ALL = "(all)"

SCHEMA = {
    "prelabel_version": pl.String, "level": pl.String, "category": pl.String,
    "n_reviewed": pl.Int64, "n_accepted": pl.Int64, "acceptance": pl.Float64,
    "n_final": pl.Int64, "precision": pl.Float64, "recall": pl.Float64,
    "median_lead_time_accepted": pl.Float64, "median_lead_time_corrected": pl.Float64,
}


@dataclass
class AcceptanceReport:
    n_reviewed: int
    n_unresolved: int
    per_category: pl.DataFrame = field(repr=False)  # rows with category ALL are the totals

    def overall(self, level: str = "event_type") -> pl.DataFrame:
        return self.per_category.filter((pl.col("category") == ALL) & (pl.col("level") == level))

    def to_dict(self) -> dict:
        return {"n_reviewed": self.n_reviewed, "n_unresolved": self.n_unresolved,
                "per_category": [_round(r) for r in self.per_category.iter_rows(named=True)]}


def _long(frame: pl.DataFrame, pre: dict[str, str], other: dict[str, str]) -> pl.DataFrame:
    """One row per (item, level): ``pre_cat`` and ``other_cat`` at that level."""
    parts = []
    for level in LEVELS:
        parts.append(frame.select(
            "prelabel_version", pl.lit(level).alias("level"),
            level_label(pre[level]).alias("pre_cat"), level_label(other[level]).alias("other_cat"),
            *[c for c in ("lead_time",) if c in frame.columns]))
    return pl.concat(parts)


def acceptance(sentences: pl.DataFrame, final: pl.DataFrame,
               annotations: pl.DataFrame | None) -> AcceptanceReport:
    pre = {"event_type": "pre_event_type", "sub_event_type": "pre_sub_event_type"}
    fin = {"event_type": "event_type", "sub_event_type": "sub_event_type"}
    prelabels = sentences.select(
        "sentence_id", pl.col("prelabel_version").fill_null("(none)"),
        pl.col("event_type").alias("pre_event_type"), pl.col("sub_event_type").alias("pre_sub_event_type"))
    judged = prelabels.join(final.select("sentence_id", "label_source", "event_type", "sub_event_type"),
                            on="sentence_id")
    reviewed = judged.filter(pl.col("label_source").is_in(REVIEWED))
    n_unresolved = judged.filter(pl.col("label_source") == UNRESOLVED).height

    long = _long(reviewed, pre, fin).with_columns((pl.col("pre_cat") == pl.col("other_cat")).alias("kept"))
    both = pl.concat([long, long.with_columns(pl.lit(ALL).alias("pre_cat"), pl.lit(ALL).alias("other_cat"))])
    keys = ["prelabel_version", "level", "category"]
    by_pre = both.group_by("prelabel_version", "level", pl.col("pre_cat").alias("category")).agg(
        pl.len().alias("n_reviewed"), pl.col("kept").sum().alias("n_accepted"))
    by_final = both.group_by("prelabel_version", "level", pl.col("other_cat").alias("category")).agg(
        pl.len().alias("n_final"))

    ann = normalise_annotations(annotations).join(prelabels, on="sentence_id")
    times = (
        _long(ann, pre, fin)
        .filter(pl.col("lead_time").is_not_null())
        .with_columns((pl.col("pre_cat") == pl.col("other_cat")).alias("kept"))
    )
    times = pl.concat([times, times.with_columns(pl.lit(ALL).alias("pre_cat"))])
    medians = times.group_by("prelabel_version", "level", pl.col("pre_cat").alias("category")).agg(
        pl.col("lead_time").filter(pl.col("kept")).median().alias("median_lead_time_accepted"),
        pl.col("lead_time").filter(~pl.col("kept")).median().alias("median_lead_time_corrected"))

    table = (
        by_pre.join(by_final, on=keys, how="full", coalesce=True)
        .join(medians, on=keys, how="left")
        .with_columns(pl.col("n_reviewed", "n_accepted", "n_final").fill_null(0))
        .with_columns(
            (pl.col("n_accepted") / pl.col("n_reviewed")).alias("acceptance"),
            (pl.col("n_accepted") / pl.col("n_reviewed")).alias("precision"),
            (pl.col("n_accepted") / pl.col("n_final")).alias("recall"),
        )
        .with_columns(pl.when(pl.col("n_reviewed") > 0).then(pl.col(c)).otherwise(None).alias(c)
                      for c in ("acceptance", "precision"))
        .with_columns(pl.when(pl.col("n_final") > 0).then(pl.col("recall")).otherwise(None).alias("recall"))
        .sort(["prelabel_version", "level", pl.col("category") != ALL, "category"])
    )
    return AcceptanceReport(
        n_reviewed=reviewed.height, n_unresolved=n_unresolved,
        per_category=table.select([pl.col(c).cast(dt) for c, dt in SCHEMA.items()]),
    )
