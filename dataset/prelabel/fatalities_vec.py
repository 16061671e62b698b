"""Vectorised fatality counting: the rules of :mod:`.fatality_spec` on whole frames.

The padded lower-case text is split into words (offsets are exact because the padding maps one
character to one character); words and two/three-word phrases are classified by joining them to
the lexicon tables (number, death word, other word, qualifier such as "at least"); the nearest
cue after and before every number comes from ``join_asof``. A test checks that this gives the
same counts as the reference implementation in :mod:`dataset.prelabel.fatalities`.
"""

from __future__ import annotations

import functools

import polars as pl

from conflictset.dataset.prelabel import fatality_spec as spec
from conflictset.dataset.prelabel.lexicon import LANGUAGES
from conflictset.dataset.runs import first_in, run_cum_sum, run_first

ROW = "_row"


@functools.lru_cache(maxsize=1)
def phrase_table() -> pl.DataFrame:
    """lang, gram (1–3 words), n, kind (number/death/other/qual), value."""
    rows = []
    for lang in LANGUAGES:
        words = spec.fatality_words(lang)
        rows += [(lang, gram, "number", value) for gram, value in words.numbers]
        rows += [(lang, gram, kind, None) for kind, grams in (("death", words.death), ("other", words.not_death))
                 for gram in grams]
        # like the reference, every word of a qualifier phrase ("at", "least") is skipped on its own
        rows += [(lang, word, "qual", None) for word in sorted(words.qualifiers)]
    frame = pl.DataFrame(rows, schema={"_lang": pl.String, "gram": pl.String, "kind": pl.String,
                                       "value": pl.Int64}, orient="row")
    frame = frame.filter(pl.col("gram") != "").with_columns(pl.col("gram").str.count_matches(" ").add(1).alias("n"))
    return frame.filter(pl.col("n") <= 3).unique(maintain_order=True)


@functools.lru_cache(maxsize=1)
def first_words() -> frozenset[str]:
    return frozenset(phrase_table()["gram"].str.split(" ").list.first().to_list())


@functools.lru_cache(maxsize=1)
def including_phrases() -> dict[str, list[str]]:
    return {lang: [f" {p} " for p in spec.fatality_words(lang).including] for lang in LANGUAGES}


def _next(col: str, i: int = 1) -> pl.Expr:
    """Value ``i`` words ahead in the same sentence (rows of a sentence are contiguous)."""
    return pl.when(pl.col(ROW).shift(-i) == pl.col(ROW)).then(pl.col(col).shift(-i))


def _prev(col: str) -> pl.Expr:
    return pl.when(pl.col(ROW).shift(1) == pl.col(ROW)).then(pl.col(col).shift(1))


def _tokens(rows: pl.DataFrame) -> pl.DataFrame:
    # (eager with_columns computes a repeated subexpression again: shared values become columns)
    pieces = rows.select(ROW, "_lang", pl.col("_pl").str.split(" ").alias("tok")).explode("tok").with_columns(
        (pl.col("tok").str.len_chars().cast(pl.Int64) + 1).alias("_step"))
    # offset of every piece in the padded text, then keep the non-empty words with their index
    pieces = pieces.with_columns((pl.col("_step").cum_sum() - pl.col("_step")).alias("_pos"))
    toks = pieces.with_columns((pl.col("_pos") - run_first(pl.col("_pos"), ROW) - 1).alias("start")).filter(
        pl.col("_step") > 1)
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    toks = toks.with_columns((idx - run_first(idx, ROW)).alias("k"),
                             (pl.col("start") + pl.col("_step") - 1).alias("end")).drop("_step", "_pos")
    toks = toks.with_columns(
        _next("tok").alias("_t1"), _next("tok", 2).alias("_t2"), _next("start").alias("_nstart"),
        _next("end").alias("_e1"), _next("end", 2).alias("_e2"),
        pl.col("tok").str.contains(r"^\d+$").alias("_digits"))
    # only numbers and words that can start a lexicon phrase matter; the rest only count as positions
    candidate = pl.col("_digits") | pl.col("tok").is_in(list(first_words()))
    return toks.filter(candidate).with_columns(
        (pl.col("tok") + " " + pl.col("_t1")).alias("g2"),
        (pl.col("tok") + " " + pl.col("_t1") + " " + pl.col("_t2")).alias("g3"),
    )


@functools.cache
def phrase_flags(n: int) -> pl.DataFrame:
    """_lang, gram and the flags of the n-word phrases: death ``d<n>``, other ``o<n>``,
    qualifier ``q<n>`` and number value ``v<n>`` (one row per language and phrase)."""
    return phrase_table().filter(pl.col("n") == n).group_by("_lang", "gram", maintain_order=True).agg(
        (pl.col("kind") == "death").any().alias(f"d{n}"),
        (pl.col("kind") == "other").any().alias(f"o{n}"),
        (pl.col("kind") == "qual").any().alias(f"q{n}"),
        pl.col("value").filter(pl.col("kind") == "number").first().alias(f"v{n}"),
    )


def _classify(toks: pl.DataFrame) -> pl.DataFrame:
    out = toks
    for n, col in ((1, "tok"), (2, "g2"), (3, "g3")):
        # the shifts below need the (_row, k) order the words come in
        out = out.join(phrase_flags(n).rename({"gram": col}), on=["_lang", col], how="left", maintain_order="left")
    any_ = lambda p: pl.any_horizontal([pl.col(f"{p}{n}").fill_null(False) for n in (1, 2, 3)])  # noqa: E731
    digits = pl.col("_digits")
    year = ((pl.col("tok").str.len_chars() == spec.YEAR_DIGITS)
            & pl.col("tok").cast(pl.Int64, strict=False).is_between(*spec.YEARS))
    # "1,300": the separator became a space; join a 3-digit group that follows a digit group
    sep_group = (digits & pl.col("_t1").str.contains(rf"^{spec.GROUP}$") & (pl.col("_sep") == 1))
    word_n = pl.when(pl.col("v3").is_not_null()).then(3).when(pl.col("v2").is_not_null()).then(2).otherwise(1)
    out = out.with_columns(sep_group.alias("_sg"), word_n.alias("_wn"))
    sep_group, word_n = pl.col("_sg"), pl.col("_wn")
    word_value = pl.coalesce(pl.col("v3"), pl.col("v2"), pl.col("v1"))
    out = out.with_columns(
        pl.when(any_("o")).then(pl.lit("other")).when(any_("d")).then(pl.lit("death")).alias("cue"),
        any_("q").alias("qual"),
        pl.when(sep_group).then(pl.col("tok").cast(pl.Int64, strict=False) * 1000
                                + pl.col("_t1").cast(pl.Int64, strict=False))
        .when(digits & ~year).then(pl.col("tok").cast(pl.Int64, strict=False))
        .otherwise(word_value).alias("value"),
        pl.when(digits).then(1).otherwise(word_n).alias("n"),
        # a joined "1,300" is one word ending where its last group ends
        pl.when(sep_group).then(pl.col("_e1"))
        .when(~digits & (word_n == 3)).then(pl.col("_e2"))
        .when(~digits & (word_n == 2)).then(pl.col("_e1"))
        .otherwise(pl.col("end")).alias("end_num"),
        sep_group.fill_null(False).alias("_grp"),
    ).with_columns(
        # the 3-digit group after a joined number is not a word of its own
        (_prev("_grp").fill_null(False) & (_prev("k") == pl.col("k") - 1).fill_null(False)).alias("_cont"))
    # positions count the joined number once: shift later words of the row back by one per join
    out = out.with_columns(run_cum_sum(pl.col("_cont").cast(pl.Int64), ROW).alias("_shift"))
    return out.filter(~pl.col("_cont")).with_columns((pl.col("k") - pl.col("_shift")).alias("k"))


def counts(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows``: _row, _lang, _pl, text. Returns _row, value, start, end of the first death count."""
    toks = _tokens(rows)
    # character between this token and the next (to join "1,300")
    toks = toks.with_columns((pl.col("_nstart") - pl.col("end")).alias("_sep"))
    toks = toks.join(rows.select(ROW, "text"), on=ROW, how="left").with_columns(
        pl.when(pl.col("_sep") == 1).then(pl.col("text").str.slice(pl.col("end"), 1)).alias("_sepc")).with_columns(
        pl.when(pl.col("_sepc").is_in(list(spec.GROUP_SEPARATORS))).then(1).otherwise(0).alias("_sep")
    ).drop("text", "_sepc")
    toks = _classify(toks)
    # non-qualifier words up to each word (words that are not candidates are never qualifiers)
    toks = toks.with_columns(run_cum_sum(pl.col("qual").cast(pl.Int64), ROW).alias("_cq")).with_columns(
        (pl.col("k") + 1 - pl.col("_cq")).alias("c"))
    # numbers are read left to right; a number inside a longer one is skipped
    nums = toks.filter(pl.col("value").is_not_null()).sort(ROW, "k")
    nums = nums.with_columns((pl.col("k") + pl.col("n")).alias("k_end"), (pl.col("k") - pl.col("_cq")).alias("c_prev"))
    prev_end = _prev("k_end")
    nums = nums.filter(prev_end.is_null() | (pl.col("k") >= prev_end))
    cues = toks.filter(pl.col("cue").is_not_null()).select(ROW, "k", "cue", "c").sort(ROW, "k")
    after = nums.sort("k_end").join_asof(
        cues.rename({"k": "k_after", "cue": "cue_after", "c": "_ca"}).sort("k_after"),
        left_on="k_end", right_on="k_after", by=ROW, strategy="forward", check_sortedness=False)
    before = after.with_columns((pl.col("k") - 1).alias("k_m1")).sort("k_m1").join_asof(
        cues.rename({"k": "k_before", "cue": "cue_before", "c": "c_cue"}).sort("k_before"),
        left_on="k_m1", right_on="k_before", by=ROW, strategy="backward", check_sortedness=False)
    d_after = (pl.when(pl.col("k_after") - pl.col("k_end") < spec.WINDOW_AFTER)
               .then(pl.col("k_after") - pl.col("k_end")).otherwise(spec.NO_CUE)).fill_null(spec.NO_CUE)
    d_before = (pl.when(pl.col("k") - pl.col("k_before") <= spec.BEFORE_SPAN)
                .then(pl.col("c_prev") - pl.col("c_cue")).otherwise(spec.NO_CUE)).fill_null(spec.NO_CUE)
    kind = pl.when(d_after <= d_before).then(
        pl.when(d_after < spec.NO_CUE).then(pl.col("cue_after"))).otherwise(pl.col("cue_before"))
    found = before.with_columns(kind.alias("_kind")).filter(pl.col("_kind") == "death")
    first = found.sort(ROW, "k").filter(first_in(ROW))
    return first.select(ROW, "value", "start", pl.col("end_num").alias("end"))


def fatalities_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows``: _row, _lang, _pl, text, suicide (bool). Returns _row, fatalities, start, end
    (start/end null when the count is only the suicide bomber)."""
    found = counts(rows)
    # the "including" phrases matter only for suicide bombings: scan those rows alone
    including = pl.lit(False)
    for lang, phrases in including_phrases().items():
        if phrases:
            including = including | ((pl.col("_lang") == lang) & pl.col("_pl").str.contains_any(phrases))
    bombers = rows.filter(pl.col("suicide")).filter(~including)[ROW]
    bomber = pl.col(ROW).is_in(bombers.implode())
    value = pl.when(bomber).then(pl.col("value").fill_null(0) + 1).otherwise(pl.col("value"))
    out = rows.select(ROW).join(found, on=ROW, how="left")
    return out.select(ROW, value.alias("fatalities"), "start", "end").filter(pl.col("fatalities").is_not_null())
