"""Vectorised fatality counting: the rules of :mod:`dataset.prelabel.fatalities` on whole frames.

The padded lower-case text is split into words (offsets are exact because the padding maps one
character to one character); words and two/three-word phrases are classified by joining them to
the lexicon tables (number, death word, other word, qualifier such as "at least"); the nearest
cue after and before every number comes from ``join_asof``. A test checks that this gives the
same counts as the reference implementation in :mod:`dataset.prelabel.fatalities`.
"""

from __future__ import annotations

import functools

import polars as pl

from dataset.prelabel.fatalities import WINDOW_AFTER, WINDOW_BEFORE
from dataset.prelabel.lexicon import LANGUAGES, lexicon_for
from dataset.prelabel.normalise import normalise_term

ROW = "_row"
#: the reference scans this many positions before a number (qualifiers included)
BEFORE_SPAN = WINDOW_BEFORE + 3


@functools.lru_cache(maxsize=1)
def phrase_table() -> pl.DataFrame:
    """lang, gram (1–3 words), n, kind (number/death/other/qual), value."""
    rows = []
    for lang in LANGUAGES:
        lex = lexicon_for(lang).fatalities
        for word, value in lex.get("words", {}).items():
            rows.append((lang, normalise_term(word), "number", int(value)))
        for kind, key in (("death", "death"), ("other", "not_death")):
            for term in lex.get(key, []):
                rows.append((lang, normalise_term(term), kind, None))
        # like the reference, every word of a qualifier phrase ("at", "least") is skipped on its own
        for word in {w for term in lex.get("at_least", []) for w in normalise_term(term).split()}:
            rows.append((lang, word, "qual", None))
    frame = pl.DataFrame(rows, schema={"_lang": pl.String, "gram": pl.String, "kind": pl.String,
                                       "value": pl.Int64}, orient="row")
    frame = frame.filter(pl.col("gram") != "").with_columns(pl.col("gram").str.count_matches(" ").add(1).alias("n"))
    return frame.filter(pl.col("n") <= 3).unique(maintain_order=True)


@functools.lru_cache(maxsize=1)
def including_phrases() -> dict[str, list[str]]:
    return {lang: [f" {normalise_term(p)} " for p in lexicon_for(lang).fatalities.get("including", [])]
            for lang in LANGUAGES}


def _tokens(rows: pl.DataFrame) -> pl.DataFrame:
    toks = rows.select(ROW, "_lang", pl.col("_pl").str.split(" ").alias("tok"))
    toks = toks.with_columns(
        pl.col("tok").list.eval((pl.element().str.len_chars() + 1).cum_sum() - pl.element().str.len_chars() - 1)
        .alias("pstart"))
    toks = toks.explode(["tok", "pstart"]).filter(pl.col("tok") != "")
    toks = toks.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(ROW).alias("k"),
                             (pl.col("pstart") - 1).alias("start"))
    nxt = lambda c, i: pl.col(c).shift(-i).over(ROW)  # noqa: E731
    return toks.with_columns(
        (pl.col("tok") + " " + nxt("tok", 1)).alias("g2"),
        (pl.col("tok") + " " + nxt("tok", 1) + " " + nxt("tok", 2)).alias("g3"),
        (pl.col("start") + pl.col("tok").str.len_chars()).alias("end"),
    )


def _classify(toks: pl.DataFrame) -> pl.DataFrame:
    table = phrase_table()
    out = toks
    for n, col in ((1, "tok"), (2, "g2"), (3, "g3")):
        t = table.filter(pl.col("n") == n)
        flags = t.group_by("_lang", "gram").agg(
            (pl.col("kind") == "death").any().alias(f"d{n}"),
            (pl.col("kind") == "other").any().alias(f"o{n}"),
            (pl.col("kind") == "qual").any().alias(f"q{n}"),
            pl.col("value").filter(pl.col("kind") == "number").first().alias(f"v{n}"),
        ).rename({"gram": col})
        out = out.join(flags, on=["_lang", col], how="left")
    any_ = lambda p: pl.any_horizontal([pl.col(f"{p}{n}").fill_null(False) for n in (1, 2, 3)])  # noqa: E731
    digits = pl.col("tok").str.contains(r"^\d+$")
    year = (pl.col("tok").str.len_chars() == 4) & pl.col("tok").cast(pl.Int64, strict=False).is_between(1900, 2100)
    # "1,300": the separator became a space; join a 3-digit group that follows a digit group
    sep_group = (digits & pl.col("tok").shift(-1).over(ROW).str.contains(r"^\d{3}$")
                 & (pl.col("_sep") == 1))
    word_value = pl.coalesce(pl.col("v3"), pl.col("v2"), pl.col("v1"))
    word_n = pl.when(pl.col("v3").is_not_null()).then(3).when(pl.col("v2").is_not_null()).then(2).otherwise(1)
    return out.with_columns(
        pl.when(any_("o")).then(pl.lit("other")).when(any_("d")).then(pl.lit("death")).alias("cue"),
        any_("q").alias("qual"),
        pl.when(sep_group).then(pl.col("tok").cast(pl.Int64, strict=False) * 1000
                                + pl.col("tok").shift(-1).over(ROW).cast(pl.Int64, strict=False))
        .when(digits & ~year).then(pl.col("tok").cast(pl.Int64, strict=False))
        .otherwise(word_value).alias("value"),
        pl.when(digits).then(1).otherwise(word_n).alias("n"),
        # a joined "1,300" is one word ending where its last group ends
        pl.when(sep_group).then(pl.col("end").shift(-1).over(ROW)).otherwise(pl.col("end")).alias("end"),
        sep_group.fill_null(False).shift(1).over(ROW).fill_null(False).alias("_cont"),
    ).filter(~pl.col("_cont")).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(ROW).alias("k"))


def counts(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows``: _row, _lang, _pl, text. Returns _row, value, start, end of the first death count."""
    toks = _tokens(rows)
    # character between this token and the next (to join "1,300")
    toks = toks.with_columns((pl.col("start").shift(-1).over(ROW) - pl.col("end")).alias("_sep"))
    toks = toks.join(rows.select(ROW, "text"), on=ROW, how="left").with_columns(
        pl.when(pl.col("_sep") == 1).then(pl.col("text").str.slice(pl.col("end"), 1)).alias("_sepc")).with_columns(
        pl.when(pl.col("_sepc").is_in([",", "."])).then(1).otherwise(0).alias("_sep")).drop("text", "_sepc")
    toks = _classify(toks)
    # numbers are read left to right; a number inside a longer one is skipped
    nums = toks.filter(pl.col("value").is_not_null()).sort(ROW, "k")
    nums = nums.with_columns((pl.col("k") + pl.col("n")).alias("k_end"))
    prev_end = pl.col("k_end").shift(1).over(ROW)
    nums = nums.filter(prev_end.is_null() | (pl.col("k") >= prev_end))
    # non-qualifier count up to each token, for the distance before a number
    toks = toks.with_columns((~pl.col("qual")).cast(pl.Int64).cum_sum().over(ROW).alias("c"))
    cues = toks.filter(pl.col("cue").is_not_null()).select(ROW, "k", "cue", "c").sort(ROW, "k")
    c_before = toks.select(ROW, (pl.col("k") + 1).alias("k"), pl.col("c").alias("c_prev"))
    nums = nums.join(c_before, on=[ROW, "k"], how="left").with_columns(pl.col("c_prev").fill_null(0))
    after = nums.sort("k_end").join_asof(
        cues.rename({"k": "k_after", "cue": "cue_after", "c": "_ca"}).sort("k_after"),
        left_on="k_end", right_on="k_after", by=ROW, strategy="forward", check_sortedness=False)
    before = after.with_columns((pl.col("k") - 1).alias("k_m1")).sort("k_m1").join_asof(
        cues.rename({"k": "k_before", "cue": "cue_before", "c": "c_cue"}).sort("k_before"),
        left_on="k_m1", right_on="k_before", by=ROW, strategy="backward", check_sortedness=False)
    d_after = (pl.when(pl.col("k_after") - pl.col("k_end") < WINDOW_AFTER)
               .then(pl.col("k_after") - pl.col("k_end")).otherwise(99))
    d_before = (pl.when(pl.col("k") - pl.col("k_before") <= BEFORE_SPAN)
                .then(pl.col("c_prev") - pl.col("c_cue")).otherwise(99))
    kind = pl.when(d_after.fill_null(99) <= d_before.fill_null(99)).then(
        pl.when(d_after.fill_null(99) < 99).then(pl.col("cue_after"))).otherwise(pl.col("cue_before"))
    found = before.with_columns(kind.alias("_kind")).filter(pl.col("_kind") == "death")
    first = found.sort(ROW, "k").group_by(ROW, maintain_order=True).first()
    last_tok = toks.select(ROW, pl.col("k").alias("_kl"), pl.col("end").alias("_end"))
    first = first.with_columns((pl.col("k_end") - 1).alias("_kl")).join(last_tok, on=[ROW, "_kl"], how="left")
    return first.select(ROW, "value", "start", pl.col("_end").alias("end"))


def fatalities_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows``: _row, _lang, _pl, text, suicide (bool). Returns _row, fatalities, start, end
    (start/end null when the count is only the suicide bomber)."""
    found = counts(rows)
    out = rows.select(ROW, "_lang", "_pl", "suicide").join(found, on=ROW, how="left")
    including = pl.lit(False)
    for lang, phrases in including_phrases().items():
        if phrases:
            including = including | ((pl.col("_lang") == lang) & pl.col("_pl").str.contains_any(phrases))
    bomber = pl.col("suicide") & ~including
    value = pl.when(bomber).then(pl.col("value").fill_null(0) + 1).otherwise(pl.col("value"))
    return out.select(ROW, value.alias("fatalities"), "start", "end").filter(pl.col("fatalities").is_not_null())
