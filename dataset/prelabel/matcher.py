"""Vectorised lexicon matching: which trigger terms and cues occur in each sentence.

One Aho–Corasick pass (polars ``str.extract_many``) per language over the lower-cased, padded
text, plus one case-sensitive pass for acronyms. Each found pattern is looked up, inside the
per-sentence hit lists, in a table that holds what the pattern adds to its sentence (the bits of
its keys, its trigger terms). No per-sentence Python.
"""

from __future__ import annotations

import functools
import operator

import polars as pl

from dataset.prelabel.lexicon import LANGUAGES, FALLBACK_LANGUAGE, key_bits, term_table
from dataset.prelabel.normalise import lower_of_padded, padded_cased

ROW = "_row"
MASKS = ("_mT", "_mW", "_mC")
SEP = "\x1f"  # joins the terms of one pattern (a control character no lexicon term contains)


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


@functools.lru_cache(maxsize=None)
def pattern_table(language: str) -> pl.DataFrame:
    """One row per (pattern, cased) of :func:`term_table`: what one hit adds to its sentence —
    the OR of its keys' bits per mask and its trigger terms (``key=term``, joined by ``SEP``)."""
    bits = key_bits()
    table = term_table(language).with_columns(
        pl.col("key").replace_strict({k: v[0] for k, v in bits.items()}, return_dtype=pl.String).alias("_mask"),
        pl.col("key").replace_strict({k: v[1] for k, v in bits.items()}, return_dtype=pl.UInt64).alias("_bit"))
    is_trigger = pl.col("_mask") != "_mC"
    return table.group_by("pattern", "cased", maintain_order=True).agg(
        *[pl.col("_bit").filter(pl.col("_mask") == m).unique().sum().cast(pl.UInt64).alias(m) for m in MASKS],
        (pl.col("key") + "=" + pl.col("term")).filter(is_trigger).unique(maintain_order=True)
        .str.join(SEP).alias("terms"))


def _hits(part: pl.DataFrame, table: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[str, pl.DataFrame]]]:
    """Per row the list of patterns found: lower-case terms on ``_pl``, acronyms on ``_pc``."""
    passes = [(f"_h{int(cased)}", src, table.filter(pl.col("cased") == cased))
              for cased, src in ((False, "_pl"), (True, "_pc"))]
    passes = [(col, src, t) for col, src, t in passes if t.height]
    found = part.select(ROW, *[pl.col(src).str.extract_many(t["pattern"].to_list(), overlapping=True).alias(col)
                               for col, src, t in passes])
    return found, [(col, t) for col, _, t in passes]


def _row_keys(part: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """Masks and terms per row, computed inside the hit lists (no explode + group_by: 4× faster)."""
    found, passes = _hits(part, table)
    zero = pl.lit(0, dtype=pl.UInt64)

    def lookup(col: str, t: pl.DataFrame, value: str, default) -> pl.Expr:
        return pl.col(col).list.eval(pl.element().replace_strict(t["pattern"], t[value], default=default))

    masks = [functools.reduce(operator.or_, [lookup(col, t, m, zero).list.agg(pl.element().bitwise_or())
                                             .fill_null(zero) for col, t in passes], zero).alias(m)
             for m in MASKS]
    joined = pl.concat_str([lookup(col, t, "terms", pl.lit("")).list.join(SEP) for col, t in passes],
                           separator=SEP) if passes else pl.lit("")
    # a filter instead of when(joined == "") keeps polars on its fast path (10 s vs 0.02 s)
    terms = joined.str.split(SEP).list.filter(pl.element() != "").list.unique(maintain_order=True)
    return found.select(ROW, *masks, terms.fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("terms"))


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
    parts = [_row_keys(part, pattern_table(lang))
             for (lang,), part in frame.partition_by("_lang", as_dict=True).items()]
    if not parts:
        return frame.select(ROW, *[pl.lit(0, dtype=pl.UInt64).alias(m) for m in MASKS],
                            pl.lit([], dtype=pl.List(pl.String)).alias("terms"))
    return pl.concat(parts).sort(ROW)
