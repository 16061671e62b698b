"""Stage ``prelabel``: a rule-based ACLED guess for every sentence, with spans.

``prelabel(sentences)`` adds the columns of :data:`PRELABEL_COLUMNS` (dtype source of truth).
Pipeline: vectorised lexicon matching (:mod:`.matcher`) → labelling functions (:mod:`.rules`)
→ one decision per sentence (:mod:`.decide`, where the precedence and score are documented)
→ spans for actors, places, fatalities and dates (:mod:`.spans`).

No-event rows have null labels; their ``score`` is the confidence that there is no event
(0.85 when nothing fired, 0.6 when evidence was vetoed or too weak), so one sort key serves
review queues: low scores first, whatever the proposal.
"""

from __future__ import annotations

import polars as pl

PRELABEL_VERSION = "rules-1.0.0"

SPAN_DTYPE = pl.List(pl.Struct({"label": pl.String, "start": pl.Int64, "end": pl.Int64, "text": pl.String}))
SPAN_LABELS = ("ACTOR", "LOCATION", "FATALITIES", "DATE")

PRELABEL_COLUMNS: dict[str, pl.DataType] = {
    "event_type": pl.String(),
    "sub_event_type": pl.String(),
    "disorder_type": pl.String(),
    "score": pl.Float64(),
    "evidence": pl.List(pl.String),
    "fatalities": pl.Int64(),
    "actor1": pl.String(),
    "inter1": pl.String(),
    "actor2": pl.String(),
    "inter2": pl.String(),
    "location": pl.String(),
    "country": pl.String(),
    "event_date": pl.Date(),
    "time_precision": pl.Int8(),
    "spans": SPAN_DTYPE,
    "prelabel_version": pl.String(),
}

REQUIRED_INPUT = ("text", "language", "role")


def prelabel(sentences: pl.DataFrame) -> pl.DataFrame:
    """Add the pre-label columns to a sentences frame (input columns are kept unchanged)."""
    from conflictset.dataset.prelabel.pipeline import run

    return run(sentences)


__all__ = ["prelabel", "PRELABEL_VERSION", "PRELABEL_COLUMNS", "SPAN_DTYPE", "SPAN_LABELS"]
