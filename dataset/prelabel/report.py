"""Labelling-function analysis over a built corpus (``conflictset rules-report``).

Like snorkel's ``LFAnalysis``: for every rule, on the sentences of a build,

- ``coverage``: share of sentences where the rule votes (does not abstain);
- ``overlaps``: share where it votes and at least one other rule votes too;
- ``conflicts``: share where it votes and another rule votes a different sub-event type
  (each rule votes one sub-event type, so every overlap is a sub-type conflict);
- ``event_type_conflicts``: the same, counting only rules of another event type (the conflicts
  the precedence order has to settle);
- ``wins``: share where its label is the final one; ``vetoed``: share where it voted but a cue
  (speculation, negation, question headline, non-conflict context) removed the vote;
- ``top_terms``: the trigger terms that made it fire most often (what to look at when a rule
  misfires).

Votes are recomputed from the text with the current lexicons (``rule_votes``), so the report
also works on a build made with an older pre-labeller version.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conflictset.dataset.prelabel.decide import ORDERED_RULES, THRESHOLD, decide, factor
from conflictset.dataset.prelabel.matcher import ROW, match, prepare
from conflictset.schemas.pipeline import Sentence
from conflictset.schemas.tables import read_table
from conflictset.schemas.taxonomy import PARENT_OF

REQUIRED = ("text", "language")


def load_sentences(path: str | Path) -> pl.DataFrame:
    """The sentences of a build directory, or of a sentences Parquet file."""
    path = Path(path)
    target = path / "sentences.parquet" if path.is_dir() else path
    frame = read_table(target, Sentence, need=REQUIRED,
                       fix="give a build directory (with sentences.parquet) or a sentences Parquet file")
    if "role" not in frame.columns:
        frame = frame.with_columns(pl.lit("body").alias("role"))
    return frame


def rule_votes(sentences: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence, one column per rule: the sub-event type it votes for, or null
    (abstain); plus ``_vetoed_<rule>`` booleans, the final ``sub_event_type`` and ``terms``."""
    inputs = sentences.select(pl.col("text").cast(pl.String).fill_null(""), pl.col("language").cast(pl.String),
                              pl.col("role").cast(pl.String))
    prepared = prepare(inputs)
    matched = match(prepared)
    work = pl.concat([inputs, matched.drop(ROW)], how="horizontal")
    raw = work.with_columns([r.expr.alias(r.name) for r in ORDERED_RULES]).with_columns(
        pl.max_horizontal([r.name for r in ORDERED_RULES]).alias("_raw_max")).with_columns(factor().alias("_f"))
    final = decide(work)
    return raw.select(
        *[pl.when(pl.col(r.name) > 0).then(pl.lit(r.sub_event_type)).alias(r.name) for r in ORDERED_RULES],
        *[((pl.col(r.name) > 0) & (pl.col(r.name) * pl.col("_f") < THRESHOLD)).alias(f"_vetoed_{r.name}")
          for r in ORDERED_RULES],
        pl.col("terms"),
    ).with_columns(final["sub_event_type"].alias("sub_event_type"))


def lf_summary(votes: pl.DataFrame) -> pl.DataFrame:
    names = [r.name for r in ORDERED_RULES]
    n = max(votes.height, 1)
    voted = {name: pl.col(name).is_not_null() for name in names}
    n_voting = pl.sum_horizontal([v.cast(pl.Int32) for v in voted.values()])
    rows = []
    for r in ORDERED_RULES:
        parent = PARENT_OF[r.sub_event_type]
        other_type = pl.sum_horizontal([voted[o.name].cast(pl.Int32) for o in ORDERED_RULES
                                        if PARENT_OF[o.sub_event_type] != parent]) > 0
        stats = votes.select(
            voted[r.name].sum().alias("votes"),
            (voted[r.name] & (n_voting > 1)).sum().alias("overlaps"),
            (voted[r.name] & other_type).sum().alias("event_type_conflicts"),
            (pl.col("sub_event_type") == r.sub_event_type).fill_null(False).sum().alias("wins"),
            pl.col(f"_vetoed_{r.name}").sum().alias("vetoed"),
        ).row(0, named=True)
        terms = (votes.filter(voted[r.name]).select(pl.col("terms")).explode("terms").drop_nulls()
                 .filter(pl.col("terms").str.contains(f":{r.sub_event_type}=", literal=True))
                 .select(pl.col("terms").str.split("=").list.last().alias("term"))
                 .group_by("term").len().sort(["len", "term"], descending=[True, False]).head(5))
        rows.append({
            "rule": r.name,
            "sub_event_type": r.sub_event_type,
            "event_type": parent,
            "coverage": round(stats["votes"] / n, 4),
            "overlaps": round(stats["overlaps"] / n, 4),
            "conflicts": round(stats["overlaps"] / n, 4),
            "event_type_conflicts": round(stats["event_type_conflicts"] / n, 4),
            "wins": round(stats["wins"] / n, 4),
            "vetoed": round(stats["vetoed"] / n, 4),
            "n_votes": stats["votes"],
            "top_terms": [f"{t} ({c})" for t, c in terms.iter_rows()],
        })
    return pl.DataFrame(rows)


def rules_report(path: str | Path) -> dict:
    """Per-rule coverage/overlap/conflict over the sentences of a build (see module docstring)."""
    sentences = load_sentences(path)
    votes = rule_votes(sentences)
    summary = lf_summary(votes)
    labelled = votes["sub_event_type"].is_not_null().sum()
    return {
        "source": str(path),
        "n_sentences": sentences.height,
        "labelled_rate": round(labelled / max(sentences.height, 1), 4),
        "rules": summary.to_dicts(),
    }
