"""Vectorised lexicon matching: which trigger terms and cues occur in each sentence.

One Aho–Corasick pass (polars ``str.extract_many``) per language over the lower-cased, padded
text, plus one case-sensitive pass for acronyms; matches are joined back to the lexicon table to
get their keys. No per-sentence Python.
"""

from __future__ import annotations

import polars as pl

from dataset.prelabel.lexicon import LANGUAGES, FALLBACK_LANGUAGE, term_table
from dataset.prelabel.normalise import padded_cased, padded_lower

ROW = "_row"


def lexicon_language(language: pl.Expr) -> pl.Expr:
    """The lexicon a sentence is matched with (unknown languages fall back to English)."""
    lang = language.str.to_lowercase().str.slice(0, 2)
    return pl.when(lang.is_in(list(LANGUAGES))).then(lang).otherwise(pl.lit(FALLBACK_LANGUAGE))


def _hits(part: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    lower = table.filter(~pl.col("cased"))["pattern"].unique().to_list()
    cased = table.filter(pl.col("cased"))["pattern"].unique().to_list()
    exprs = []
    if lower:
        exprs.append(padded_lower(pl.col("text")).str.extract_many(lower, overlapping=True).alias("l"))
    if cased:
        exprs.append(padded_cased(pl.col("text")).str.extract_many(cased, overlapping=True).alias("c"))
    found = part.select(ROW, *exprs)
    frames = []
    for col, is_cased in (("l", False), ("c", True)):
        if col in found.columns:
            frames.append(found.select(ROW, pl.col(col).alias("pattern")).explode("pattern")
                          .drop_nulls("pattern").with_columns(pl.lit(is_cased).alias("cased")))
    hits = pl.concat(frames) if frames else pl.DataFrame(schema={ROW: pl.UInt32, "pattern": pl.String,
                                                                 "cased": pl.Boolean})
    return hits.join(table, on=["pattern", "cased"], how="inner")


def match(sentences: pl.DataFrame) -> pl.DataFrame:
    """Per row (``_row`` = position in ``sentences``): ``keys`` (unique lexicon keys) and ``terms``.

    ``terms`` are ``key=term`` strings for the evidence column.
    """
    frame = sentences.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
        pl.col("text"),
        lexicon_language(pl.col("language").fill_null(FALLBACK_LANGUAGE)).alias("_lang"),
    )
    parts = []
    for (lang,), part in frame.partition_by("_lang", as_dict=True).items():
        parts.append(_hits(part, term_table(lang)))
    hits = pl.concat(parts) if parts else pl.DataFrame(
        schema={ROW: pl.UInt32, "pattern": pl.String, "cased": pl.Boolean, "key": pl.String, "term": pl.String})
    per_row = hits.group_by(ROW).agg(
        pl.col("key").unique().alias("keys"),
        (pl.col("key") + "=" + pl.col("term")).unique(maintain_order=True).alias("terms"),
    )
    return frame.select(ROW).join(per_row, on=ROW, how="left").with_columns(
        pl.col("keys").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.col("terms").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    ).sort(ROW)
