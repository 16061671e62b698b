"""``conflictset diff OLD NEW``: what changed between two releases.

Sentences are matched by ``sentence_id`` (deterministic from article id and position):
*added* (only in NEW), *removed* (only in OLD), *relabelled* (in both, final event type or
sub-event type differ; "No event" and "unresolved" count as labels). Per event-type category: the
counts in each release and the moves. Events are matched by ``event_id``: *added*, *removed*, and
*merged* (a NEW event made of the sentences of two or more OLD events). Agreement and pre-label
acceptance are recomputed from each release's own tables (not read from the manifest) and given
as deltas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conflictset.export.acceptance import ALL, acceptance
from conflictset.export.agreement import agreement
from conflictset.schemas import taxonomy as tx
from conflictset.schemas.release import UNRESOLVED, Event, FinalSentence, ReleaseAnnotation
from conflictset.schemas.tables import read_table

NONE_LABEL = tx.NO_EVENT


@dataclass
class ReleaseDiff:
    old: str
    new: str
    added: pl.DataFrame = field(repr=False)
    removed: pl.DataFrame = field(repr=False)
    relabelled: pl.DataFrame = field(repr=False)
    per_category: pl.DataFrame = field(repr=False)
    figures: dict = field(default_factory=dict)
    events_added: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"event_id": pl.String}),
                                       repr=False)
    events_removed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"event_id": pl.String}),
                                         repr=False)
    #: ``event_id`` (NEW) and ``merged_from`` (the OLD event ids it joins)
    events_merged: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"event_id": pl.String, "merged_from": pl.List(pl.String)}), repr=False)

    def to_dict(self) -> dict:
        return {
            "old": self.old, "new": self.new,
            "added": self.added["sentence_id"].to_list(),
            "removed": self.removed["sentence_id"].to_list(),
            "relabelled": self.relabelled.to_dicts(),
            "per_category": self.per_category.to_dicts(),
            "figures": self.figures,
            "events": {"added": self.events_added["event_id"].to_list(),
                       "removed": self.events_removed["event_id"].to_list(),
                       "merged": self.events_merged.to_dicts()},
        }

    def changed_categories(self) -> pl.DataFrame:
        """The rows of ``per_category`` whose count changed or that sentences moved in or out of."""
        moved = pl.col("added") + pl.col("removed") + pl.col("relabelled_in") + pl.col("relabelled_out")
        return self.per_category.filter((pl.col("n_old") != pl.col("n_new")) | (moved > 0))

    def lines(self) -> list[str]:
        out = [f"{self.old} → {self.new}: {self.added.height} added, {self.removed.height} removed, "
               f"{self.relabelled.height} relabelled"]
        out.append(f"  events: {self.events_added.height} added, {self.events_removed.height} removed, "
                   f"{self.events_merged.height} merged")
        for r in self.relabelled.iter_rows(named=True):
            out.append(f"  relabelled {r['sentence_id']}: {r['old_label']} → {r['new_label']} "
                       f"({r['old_label_source']} → {r['new_label_source']})")
        for r in self.changed_categories().iter_rows(named=True):
            out.append(f"  {r['category']}: {r['n_old']} → {r['n_new']} (+{r['added']} added, "
                       f"-{r['removed']} removed, +{r['relabelled_in']}/-{r['relabelled_out']} relabelled)")
        for name, d in self.figures.items():
            if "[" in name and d["delta"] == 0:
                continue  # unchanged per-category figures only clutter the text view (--json has all)
            out.append(f"  {name}: {figure_text(d['old'])} → {figure_text(d['new'])} "
                       f"(Δ {figure_text(d['delta'], signed=True)})")
        return out


def figure_text(v, signed: bool = False) -> str:
    if v is None:
        return "n/a"
    return f"{v:+.3f}" if signed else f"{v:.3f}"


_FIX = "pass a directory written by `conflictset release`"


def _read_release(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (read_table(path / "data" / "sentences.parquet", FinalSentence, fix=_FIX),
            read_table(path / "data" / "annotations.parquet", ReleaseAnnotation, fix=_FIX))


def event_sentences(path: Path) -> pl.DataFrame:
    """``event_id, sentence_id``: which sentences each event of a release is made of."""
    return read_table(path / "data" / "events.parquet", Event, fix=_FIX).select("event_id", "sentence_id")


def events_diff(old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(added, removed, merged) between two :func:`event_sentences` frames."""
    old_ids, new_ids = old.select("event_id").unique(), new.select("event_id").unique()
    added = new_ids.join(old_ids, on="event_id", how="anti").sort("event_id")
    removed = old_ids.join(new_ids, on="event_id", how="anti").sort("event_id")
    merged = (
        new.join(old.rename({"event_id": "old_event_id"}), on="sentence_id")
        .group_by("event_id").agg(pl.col("old_event_id").unique().sort().alias("merged_from"))
        .filter(pl.col("merged_from").list.len() > 1).sort("event_id")
    )
    return added, removed, merged


def _label() -> pl.Expr:
    return (
        pl.when(pl.col("label_source") == UNRESOLVED).then(pl.lit(UNRESOLVED))
        .when(pl.col("event_type").is_null()).then(pl.lit(NONE_LABEL))
        .otherwise(pl.concat_str([pl.col("event_type"), pl.col("sub_event_type")], separator=" / "))
    )


def _category() -> pl.Expr:
    return (pl.when(pl.col("label_source") == UNRESOLVED).then(pl.lit(UNRESOLVED))
            .otherwise(pl.col("event_type").fill_null(NONE_LABEL)))


def _figures(sentences: pl.DataFrame, annotations: pl.DataFrame) -> dict[str, float | None]:
    agree = agreement(annotations)
    prelabels = sentences.select("sentence_id", "prelabel_version",
                                 pl.col("prelabel_event_type").alias("event_type"),
                                 pl.col("prelabel_sub_event_type").alias("sub_event_type"))
    accept = acceptance(prelabels, sentences, annotations).per_category
    figures = {
        "alpha_event_type": agree.levels["event_type"].alpha,
        "alpha_sub_event_type": agree.levels["sub_event_type"].alpha,
        "alpha_hierarchy": agree.hierarchy.alpha,
        "observed_agreement_event_type": agree.levels["event_type"].observed,
    }
    for r in agree.per_category.filter(pl.col("level") == "event_type").iter_rows(named=True):
        figures[f"alpha_event_type[{r['category']}]"] = r["alpha"]
    pooled = (accept.group_by("level", "category")
              .agg(pl.col("n_accepted").sum(), pl.col("n_reviewed").sum())
              .filter(pl.col("n_reviewed") > 0).sort("level", "category"))
    for r in pooled.iter_rows(named=True):
        suffix = "" if r["category"] == ALL else f"[{r['category']}]"
        figures[f"acceptance_{r['level']}{suffix}"] = r["n_accepted"] / r["n_reviewed"]
    return figures


def diff(old: str | os.PathLike, new: str | os.PathLike) -> ReleaseDiff:
    old_path, new_path = Path(old), Path(new)
    old_s, old_a = _read_release(old_path)
    new_s, new_a = _read_release(new_path)
    cols = ["sentence_id", "label", "label_source", "category"]
    o = old_s.with_columns(_label().alias("label"), _category().alias("category"))
    n = new_s.with_columns(_label().alias("label"), _category().alias("category"))
    o, n = o.select(cols), n.select(cols)

    added = n.join(o, on="sentence_id", how="anti").sort("sentence_id")
    removed = o.join(n, on="sentence_id", how="anti").sort("sentence_id")
    both = o.join(n, on="sentence_id", suffix="_new")
    relabelled = (
        both.filter(pl.col("label") != pl.col("label_new"))
        .select("sentence_id", pl.col("label").alias("old_label"), pl.col("label_new").alias("new_label"),
                pl.col("category").alias("old_category"), pl.col("category_new").alias("new_category"),
                pl.col("label_source").alias("old_label_source"),
                pl.col("label_source_new").alias("new_label_source"))
        .sort("sentence_id")
    )

    def count(frame: pl.DataFrame, col: str, name: str) -> pl.DataFrame:
        return frame.group_by(pl.col(col).alias("category")).agg(pl.len().cast(pl.Int64).alias(name))

    categories = pl.DataFrame({"category": [*tx.EVENT_TYPES, NONE_LABEL, UNRESOLVED]})
    per_category = categories
    for frame, col, name in ((o, "category", "n_old"), (n, "category", "n_new"), (added, "category", "added"),
                             (removed, "category", "removed"), (relabelled, "new_category", "relabelled_in"),
                             (relabelled, "old_category", "relabelled_out")):
        per_category = per_category.join(count(frame, col, name), on="category", how="left",
                                         maintain_order="left")
    per_category = per_category.fill_null(0)

    old_f, new_f = _figures(old_s, old_a), _figures(new_s, new_a)
    figures = {}
    for key in sorted(set(old_f) | set(new_f)):
        a, b = old_f.get(key), new_f.get(key)
        figures[key] = {"old": a, "new": b, "delta": None if a is None or b is None else b - a}
    events = events_diff(event_sentences(old_path), event_sentences(new_path))
    return ReleaseDiff(str(old_path), str(new_path), added, removed, relabelled, per_category, figures, *events)
