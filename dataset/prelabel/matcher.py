"""Vectorised lexicon matching: which trigger terms and cues occur in each sentence.

One Aho–Corasick pass (polars ``str.extract_many``) per language over the lower-cased, padded
text, plus one case-sensitive pass for acronyms; matches are joined back to the lexicon table to
get their keys. No per-sentence Python.
"""

from __future__ import annotations

import polars as pl

from dataset.prelabel.lexicon import LANGUAGES, FALLBACK_LANGUAGE, key_bits, term_table
from dataset.prelabel.normalise import lower_of_padded, padded_cased

ROW = "_row"
MASKS = ("_mT", "_mW", "_mC")


def lexicon_language(language: pl.Expr) -> pl.Expr:
    """The lexicon a sentence is matched with (unknown languages fall back to English)."""
    lang = language.str.to_lowercase().str.slice(0, 2)
    return pl.when(lang.is_in(list(LANGUAGES))).then(lang).otherwise(pl.lit(FALLBACK_LANGUAGE))


def prepare(sentences: pl.DataFrame) -> pl.DataFrame:
    """``_row``, ``text``, ``_lang`` and the two padded forms of the text, computed once."""
    return sentences.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
        pl.col("text"),
        lexicon_language(pl.col("language").fill_null(FALLBACK_LANGUAGE)).alias("_lang"),
        padded_cased(pl.col("text")).alias("_pc"),
    ).with_columns(lower_of_padded(pl.col("_pc")).alias("_pl"))


def _hits(part: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    lower = table.filter(~pl.col("cased"))["pattern"].unique().to_list()
    cased = table.filter(pl.col("cased"))["pattern"].unique().to_list()
    exprs = []
    if lower:
        exprs.append(pl.col("_pl").str.extract_many(lower, overlapping=True).alias("l"))
    if cased:
        exprs.append(pl.col("_pc").str.extract_many(cased, overlapping=True).alias("c"))
    found = part.select(ROW, *exprs)
    frames = []
    for col, is_cased in (("l", False), ("c", True)):
        if col in found.columns:
            frames.append(found.select(ROW, pl.col(col).alias("pattern")).explode("pattern")
                          .drop_nulls("pattern").with_columns(pl.lit(is_cased).alias("cased")))
    hits = pl.concat(frames) if frames else pl.DataFrame(schema={ROW: pl.UInt32, "pattern": pl.String,
                                                                 "cased": pl.Boolean})
    return hits.join(table, on=["pattern", "cased"], how="inner")


def has(key: str) -> pl.Expr:
    """True where the sentence contains a term of lexicon ``key`` (a bit test on the masks)."""
    mask, bit = key_bits().get(key, ("_mC", 0))
    return (pl.col(mask) & pl.lit(bit, dtype=pl.UInt64)) != 0


def match(sentences: pl.DataFrame) -> pl.DataFrame:
    """Per row (``_row`` = position in ``sentences``): key bit masks ``_mT/_mW/_mC`` and ``terms``.

    ``sentences`` has ``text`` and ``language`` (or is already :func:`prepare`-d). ``terms`` are
    ``key=term`` strings for the evidence column.
    """
    frame = sentences if "_pl" in sentences.columns else prepare(sentences)
    parts = []
    for (lang,), part in frame.partition_by("_lang", as_dict=True).items():
        parts.append(_hits(part, term_table(lang)))
    hits = pl.concat(parts) if parts else pl.DataFrame(
        schema={ROW: pl.UInt32, "pattern": pl.String, "cased": pl.Boolean, "key": pl.String, "term": pl.String})
    bits = key_bits()
    hits = hits.with_columns(
        pl.col("key").replace_strict({k: v[0] for k, v in bits.items()}, return_dtype=pl.String).alias("_mask"),
        pl.col("key").replace_strict({k: v[1] for k, v in bits.items()}, return_dtype=pl.UInt64).alias("_bit"),
    )
    is_trigger = pl.col("_mask") != "_mC"
    per_row = hits.group_by(ROW).agg(
        *[pl.col("_bit").filter(pl.col("_mask") == m).unique().sum().alias(m) for m in MASKS],
        (pl.col("key") + "=" + pl.col("term")).filter(is_trigger).unique(maintain_order=True).alias("terms"),
    )
    return frame.select(ROW).join(per_row, on=ROW, how="left").with_columns(
        *[pl.col(m).fill_null(0).cast(pl.UInt64) for m in MASKS],
        pl.col("terms").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    ).sort(ROW)
