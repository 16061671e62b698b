"""The prelabel stage: match → rules → decide → spans, all on whole frames."""

from __future__ import annotations

import polars as pl

from dataset.errors import InputError
from dataset.prelabel import PRELABEL_COLUMNS, PRELABEL_VERSION, REQUIRED_INPUT
from dataset.prelabel.decide import decide
from dataset.prelabel.matcher import ROW, match, prepare
from dataset.prelabel.spans import extract


def run(sentences: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in REQUIRED_INPUT if c not in sentences.columns]
    if missing:
        raise InputError(f"sentences frame lacks column(s) {missing}; found {sentences.columns}",
                         fix="pass the output of the segment stage (text, language, role, published_at)")
    base = sentences.drop([c for c in PRELABEL_COLUMNS if c in sentences.columns])
    if base.height == 0:
        return base.with_columns([pl.lit(None, dtype=dt).alias(c) for c, dt in PRELABEL_COLUMNS.items()])
    inputs = base.select(
        pl.col("text").cast(pl.String).fill_null(""),
        pl.col("language").cast(pl.String),
        pl.col("role").cast(pl.String),
        (pl.col("published_at").cast(pl.Date) if "published_at" in base.columns
         else pl.lit(None, dtype=pl.Date)).alias("published_at"),
    )
    prepared = prepare(inputs)
    matched = match(prepared)
    work = pl.concat([inputs, prepared.select("_lang", "_pl", "_pc"), matched.drop(ROW)], how="horizontal")
    labelled = decide(work)
    ents = extract(pl.concat([work, labelled], how="horizontal"))
    out = pl.concat([base, labelled, ents], how="horizontal").with_columns(
        pl.lit(PRELABEL_VERSION).alias("prelabel_version"))
    return out.select(*base.columns, *[pl.col(c).cast(dt) for c, dt in PRELABEL_COLUMNS.items()])
