"""Vectorised lexicon matching: which trigger terms and cues occur in each sentence.

One Aho–Corasick pass (polars ``str.extract_many``) per language over the lower-cased, padded
text, plus one case-sensitive pass for acronyms. Each found pattern is looked up, inside the
per-sentence hit lists, in a table of the bits its keys add to the sentence's masks; only the
evidence terms go through an explode and a join. No per-sentence Python.
"""

from __future__ import annotations

import functools
import operator

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


@functools.lru_cache(maxsize=None)
def pattern_table(language: str) -> pl.DataFrame:
    """One row per (pattern, cased) of :func:`term_table`: what one hit adds to its sentence —
    the OR of its keys' bits per mask."""
    bits = key_bits()
    table = term_table(language).with_columns(
        pl.col("key").replace_strict({k: v[0] for k, v in bits.items()}, return_dtype=pl.String).alias("_mask"),
        pl.col("key").replace_strict({k: v[1] for k, v in bits.items()}, return_dtype=pl.UInt64).alias("_bit"))
    return table.group_by("pattern", "cased", maintain_order=True).agg(
        *[pl.col("_bit").filter(pl.col("_mask") == m).unique().sum().cast(pl.UInt64).alias(m) for m in MASKS])


def _hits(part: pl.DataFrame, table: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[str, pl.DataFrame]]]:
    """Per row the list of patterns found: lower-case terms on ``_pl``, acronyms on ``_pc``."""
    passes = [(f"_h{int(cased)}", src, table.filter(pl.col("cased") == cased))
              for cased, src in ((False, "_pl"), (True, "_pc"))]
    passes = [(col, src, t) for col, src, t in passes if t.height]
    found = part.select(ROW, *[pl.col(src).str.extract_many(t["pattern"].to_list(), overlapping=True).alias(col)
                               for col, src, t in passes])
    return found, [(col, t) for col, _, t in passes]


@functools.lru_cache(maxsize=None)
def evidence_table(language: str) -> pl.DataFrame:
    """The trigger rows of :func:`term_table` with their evidence string ``key=term`` (built once
    per language instead of once per hit; cues and death words are not evidence)."""
    is_trigger = pl.col("key").str.starts_with("T:") | pl.col("key").str.starts_with("W:")
    return term_table(language).filter(is_trigger).select(
        "pattern", "cased", (pl.col("key") + "=" + pl.col("term")).alias("evidence"))


def _row_terms(found: pl.DataFrame, passes: list[tuple[str, pl.DataFrame]], language: str) -> pl.DataFrame:
    """Trigger terms (``key=term``) per row with trigger hits, in the order found (lower-case pass,
    then acronyms; each in text order). The join keeps that order explicitly: left to itself its
    output order follows the sizes of its inputs, so a sentence's evidence would depend on the
    batch it was pre-labelled in."""
    frames = [found.select(ROW, pl.col(col).alias("pattern")).explode("pattern").drop_nulls("pattern")
              .with_columns(pl.lit(col == "_h1").alias("cased")) for col, _ in passes]
    hits = pl.concat(frames).join(evidence_table(language), on=["pattern", "cased"], how="inner",
                                  maintain_order="left_right")
    return hits.group_by(ROW).agg(pl.col("evidence").unique(maintain_order=True).alias("terms"))


def _row_keys(part: pl.DataFrame, language: str) -> pl.DataFrame:
    """Key masks per row, computed inside the hit lists (no explode + join + group_by), and terms."""
    table = pattern_table(language)
    found, passes = _hits(part, table)
    zero = pl.lit(0, dtype=pl.UInt64)

    def mask(col: str, t: pl.DataFrame, m: str) -> pl.Expr:
        bits = pl.col(col).list.eval(pl.element().replace_strict(t["pattern"], t[m], default=zero))
        return bits.list.agg(pl.element().bitwise_or()).fill_null(zero)

    masks = [functools.reduce(operator.or_, [mask(col, t, m) for col, t in passes], zero).alias(m) for m in MASKS]
    out = found.select(ROW, *masks)
    if not passes:
        return out.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("terms"))
    return out.join(_row_terms(found, passes, language), on=ROW, how="left").with_columns(
        pl.col("terms").fill_null(pl.lit([], dtype=pl.List(pl.String))))


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
    parts = [_row_keys(part, lang)
             for (lang,), part in frame.partition_by("_lang", as_dict=True).items()]
    if not parts:
        return frame.select(ROW, *[pl.lit(0, dtype=pl.UInt64).alias(m) for m in MASKS],
                            pl.lit([], dtype=pl.List(pl.String)).alias("terms"))
    return pl.concat(parts).sort(ROW)
