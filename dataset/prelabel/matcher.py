"""Vectorised lexicon matching: which trigger terms and cues occur in each sentence.

One Aho–Corasick pass (polars ``str.extract_many``) per language over the lower-cased, padded
text, plus one case-sensitive pass for acronyms over all rows; the passes also look for the
names of :mod:`.entities`, whose hits they hand on to the span step. Each found pattern is looked up, inside the
per-sentence hit lists, in a table of the bits its keys add to the sentence's masks (the three
masks packed in one UInt128, so one OR per sentence); only the evidence terms go through an
explode and a join, and are grouped back by sentence once for all languages. No per-sentence
Python.
"""

from __future__ import annotations

import difflib
import functools
import operator

import polars as pl

from conflictset.dataset.prelabel.entities import entity_table
from conflictset.dataset.prelabel.lexicon import (
    FALLBACK_LANGUAGE,
    LANGUAGES,
    LEXICON_DIR,
    LexiconError,
    key_bits,
    term_table,
)
from conflictset.dataset.prelabel.normalise import lower_of_padded, padded_cased

ROW = "_row"
MASKS = ("_mT", "_mW", "_mC")
#: the column holding a row's hits of the pass over each padded text
HITS = {"_pl": "_hits_lower", "_pc": "_hits_cased"}


def lexicon_language(language: pl.Expr) -> pl.Expr:
    """The lexicon a sentence is matched with (unknown languages fall back to English)."""
    lang = language.str.to_lowercase().str.slice(0, 2)
    return pl.when(lang.is_in(list(LANGUAGES))).then(lang).otherwise(pl.lit(FALLBACK_LANGUAGE))


def prepare(sentences: pl.DataFrame) -> pl.DataFrame:
    """``_row``, ``text``, ``_lang`` and the two padded forms of the text, computed once."""
    # a batch has a handful of language codes: map those, not every row's string
    languages = sentences["language"].cast(pl.String).fill_null(FALLBACK_LANGUAGE)
    distinct = languages.unique()
    lexicons = distinct.to_frame("language").select(lexicon_language(pl.col("language"))).to_series()
    return sentences.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
        pl.col("text"),
        pl.lit(languages.replace_strict(distinct, lexicons)).alias("_lang"),
        padded_cased(pl.col("text")).alias("_pc"),
    ).with_columns(lower_of_padded(pl.col("_pc")).alias("_pl"))


@functools.lru_cache(maxsize=1)
def _offsets() -> dict[str, int]:
    """Where each key mask sits in the one UInt128 a hit's key bits are OR-ed into: one OR per
    sentence instead of three (strong and weak triggers have a bit per sub-event type, cues up
    to 64)."""
    n_subs = sum(1 for mask, _ in key_bits().values() if mask == "_mT")
    if 2 * n_subs + 64 > 128:
        raise ValueError(f"{n_subs} sub-event types: the trigger masks do not fit beside the cue mask")
    return {"_mT": 0, "_mW": n_subs, "_mC": 2 * n_subs}


@functools.cache
def pattern_table(language: str) -> pl.DataFrame:
    """One row per (pattern, cased) of :func:`term_table`: what one hit adds to its sentence —
    ``bits``, the OR of its keys' bits, each mask at its :func:`_offsets` place."""
    bits, offsets = key_bits(), _offsets()
    keys = list(bits)
    packed = pl.Series([bits[k][1] << offsets[bits[k][0]] for k in keys], dtype=pl.UInt128)
    table = term_table(language).with_columns(pl.col("key").replace_strict(keys, packed).alias("bits"))
    return table.group_by("pattern", "cased", maintain_order=True).agg(pl.col("bits").unique().sum())


@functools.cache
def evidence_table(language: str) -> pl.DataFrame:
    """The trigger rows of :func:`term_table` with their evidence string ``key=term`` and its
    number ``term_id`` in the language (built once per language instead of once per hit; cues and
    death words are not evidence)."""
    is_trigger = pl.col("key").str.starts_with("T:") | pl.col("key").str.starts_with("W:")
    table = term_table(language).filter(is_trigger).select(
        "pattern", "cased", (pl.col("key") + "=" + pl.col("term")).alias("evidence"))
    return table.with_columns(pl.col("evidence").rank("dense").cast(pl.UInt32).alias("term_id"))


@functools.cache
def _tables(language: str) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]]:
    """Per pass (``_pl`` lower-case terms, ``_pc`` acronyms) the :func:`pattern_table` and
    :func:`evidence_table` rows of a language."""
    table, evidence = pattern_table(language), evidence_table(language)
    return {src: (table.filter(pl.col("cased") == cased).drop("cased"),
                  evidence.filter(pl.col("cased") == cased).drop("cased"))
            for cased, src in ((False, "_pl"), (True, "_pc"))}


@functools.cache
def _lower_patterns(language: str) -> pl.Expr:
    """The lower-case pass of a language: its terms and the span step's names (one scan serves
    both), as one list literal (turning ~13k Python strings into a literal costs ~2 ms a call)."""
    both = pl.concat([_tables(language)["_pl"][0]["pattern"], _entity_patterns(language, False)])
    return pl.lit(both.unique(maintain_order=True).implode())


@functools.lru_cache(maxsize=1)
def _cased_patterns() -> pl.Expr:
    """The case-sensitive pass, the same for every row: the acronyms of all languages and the
    span step's acronyms and places (building the automaton of the gazetteer costs as much as
    scanning a batch, so it is built once)."""
    terms = [_tables(lang)["_pc"][0]["pattern"] for lang in LANGUAGES]
    both = pl.concat([*terms, _entity_patterns(FALLBACK_LANGUAGE, True)])
    return pl.lit(both.unique(maintain_order=True).implode())


def _entity_patterns(language: str, cased: bool) -> pl.Series:
    return entity_table(language).filter(pl.col("cased") == cased)["pattern"]


def _key_masks(found: pl.DataFrame, language: str) -> pl.DataFrame:
    """Key masks per row, computed inside the hit lists (no explode + join + group_by): each hit's
    bits are looked up and OR-ed in one UInt128, then split into the three masks (the hits of
    names and of other languages' acronyms add nothing)."""
    zero = pl.lit(0, dtype=pl.UInt128)
    ors = [pl.col(HITS[src]).list.eval(pl.element().replace_strict(t["pattern"], t["bits"], default=zero))
           .list.agg(pl.element().bitwise_or()).fill_null(zero)
           for src, (t, _) in _tables(language).items() if t.height]
    offsets = _offsets()
    width = {"_mT": offsets["_mW"], "_mW": offsets["_mW"], "_mC": 64}
    packed = found.select(ROW, functools.reduce(operator.or_, ors, zero).alias("_m"))
    return packed.select(ROW, *[(pl.col("_m") // pl.lit(1 << offsets[m], dtype=pl.UInt128)
                                 % pl.lit(1 << width[m], dtype=pl.UInt128)).cast(pl.UInt64).alias(m) for m in MASKS])


def _term_hits(found: pl.DataFrame, language: str) -> pl.DataFrame:
    """``_row`` and ``evidence`` of every trigger hit, in the order found (lower-case pass, then
    acronyms; each in text order), once per row and term. The join keeps that order explicitly:
    left to itself its output order follows the sizes of its inputs, so a sentence's evidence
    would depend on the batch it was pre-labelled in."""
    hits = pl.concat([found.select(ROW, pl.col(HITS[src]).alias("pattern")).explode("pattern", keep_nulls=False)
                      .join(e, on="pattern", how="inner", maintain_order="left_right")
                      for src, (_, e) in _tables(language).items()])
    # one integer per (row, term) finds the repeats faster than hashing the strings
    first = (pl.col(ROW).cast(pl.UInt64) * (1 << 32) + pl.col("term_id")).is_first_distinct()
    return hits.filter(first).select(ROW, "evidence")


def has(key: str) -> pl.Expr:
    """True where the sentence contains a term of lexicon ``key`` (a bit test on the masks).

    An unknown key raises :class:`.lexicon.LexiconError`: a rule reading a misspelt key would
    otherwise never fire, without a word."""
    bits = key_bits()
    if key not in bits:
        raise LexiconError(_unknown_key(key, bits))
    mask, bit = bits[key]
    return (pl.col(mask) & pl.lit(bit, dtype=pl.UInt64)) != 0


def _unknown_key(key: str, bits: dict) -> str:
    """What :func:`has` says about ``key``: the known keys of its kind (prefix) and the fix."""
    prefix = key.partition(":")[0] + ":" if ":" in key else ""
    known = sorted(k for k in bits if prefix and k.startswith(prefix)) or sorted(bits)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"unknown lexicon key {key!r}{hint}; known keys: {', '.join(known)} — fix: use a known key, or add "
            f"its terms to the lexicons in {LEXICON_DIR} (T:/W: take the exact sub-event type names of "
            f"conflictset.schemas.taxonomy, C: a group under [cues])")


def match(sentences: pl.DataFrame) -> pl.DataFrame:
    """Per row (``_row`` = position in ``sentences``): key bit masks ``_mT/_mW/_mC``, ``terms`` and
    the patterns found in each pass (:data:`HITS`, in found order), which the span step reads.

    ``sentences`` has ``text`` and ``language`` (or is already :func:`prepare`-d). ``terms`` are
    ``key=term`` strings for the evidence column.
    """
    frame = sentences if "_pl" in sentences.columns else prepare(sentences)
    cased = frame.select(ROW, "_lang", "_pl", pl.col("_pc").str.extract_many(_cased_patterns(), overlapping=True)
                         .alias(HITS["_pc"]))
    masks, hits = [], []
    for (lang,), part in cased.partition_by("_lang", as_dict=True).items():
        found = part.select(ROW, pl.col("_pl").str.extract_many(_lower_patterns(lang), overlapping=True)
                            .alias(HITS["_pl"]), HITS["_pc"])
        masks.append(_key_masks(found, lang).with_columns(found[HITS["_pl"]]))
        hits.append(_term_hits(found, lang))
    empty = pl.DataFrame(schema={ROW: pl.UInt32, **{m: pl.UInt64 for m in MASKS}, HITS["_pl"]: pl.List(pl.String)})
    out = pl.concat([empty, *masks]).sort(ROW)
    # every row once with a null, so the groups are the rows, in order (sorted: the fast path)
    flat = pl.concat([frame.select(ROW, pl.lit(None, dtype=pl.String).alias("evidence")), *hits])
    terms = flat.sort(ROW, maintain_order=True).group_by(ROW, maintain_order=True).agg(
        pl.col("evidence").drop_nulls().alias("terms"))
    return out.with_columns(terms["terms"], cased[HITS["_pc"]]).select(ROW, *MASKS, "terms", *HITS.values())
