"""Pre-labelling (placeholder until the rules land): adds the label columns as nulls."""

from __future__ import annotations

import polars as pl

PRELABEL_VERSION = "rules-0.0.0"

SPAN_DTYPE = pl.List(pl.Struct({"label": pl.String, "start": pl.Int64, "end": pl.Int64, "text": pl.String}))

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


def prelabel(sentences: pl.DataFrame) -> pl.DataFrame:
    return sentences.with_columns(
        [pl.lit(None, dtype=dt).alias(name) for name, dt in PRELABEL_COLUMNS.items() if name != "score"]
    ).with_columns(pl.lit(0.0).alias("score"), pl.lit(PRELABEL_VERSION).alias("prelabel_version"))
