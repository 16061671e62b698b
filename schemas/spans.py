"""Spans: the labelled stretches of a sentence (actors, places, fatality figures, dates).

Offsets are Python code points into the sentence text; ``text[start:end] == span.text``.
"""

from __future__ import annotations

import polars as pl

SPAN_LABELS = ("ACTOR", "LOCATION", "FATALITIES", "DATE")
SPAN_STRUCT = pl.Struct({"label": pl.String, "start": pl.Int64, "end": pl.Int64, "text": pl.String})
SPAN_DTYPE = pl.List(SPAN_STRUCT)
