"""Stage ``segment``: kept segments → sentences with offsets into the article's clean text.

The clean text of an article is its kept segments (roles in ``SENTENCE_ROLES``) joined with
``"\\n\\n"`` in segment order. sentencex (Rust, no model download) splits each article's clean
text in one call; its pieces are consecutive and concatenate to the input, so offsets are
cumulative lengths, computed in polars. Pieces are then split at every newline — separate lines
of one body segment are separate sentences, and no sentence can cross a segment — and
stripped by moving the offsets. The per-article Python loop only calls sentencex; nothing in
Python runs per sentence.

Offsets are Python code points (polars ``len_chars`` counts the same unit), so
``clean_text[char_start:char_end] == text`` for every sentence.
"""

from __future__ import annotations

import re
from itertools import chain

import polars as pl
import sentencex

from dataset.language import UNDETERMINED, detect, normalise_code
from schemas.pipeline import SENTENCE_ROLES

SEPARATOR = "\n\n"
#: sentencex panics (Rust byte-slicing) on multi-byte whitespace such as U+00A0 or U+2028 next
#: to a period; we hand it a copy with those replaced by a plain space (same code point count)
_WIDE_SPACES = ["\u0085", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200b)), "\u2028", "\u2029",
                "\u202f", "\u205f", "\u3000"]
_WIDE_SPACE = re.compile("[" + "".join(_WIDE_SPACES) + "]")
#: how much of an article's text decides its language when no language is given
_ARTICLE_SAMPLE = 400

SENTENCE_COLUMNS = ("article_id", "sentence_id", "sentence_index", "text", "char_start",
                    "char_end", "language", "role")


def kept_segments(segments: pl.DataFrame) -> pl.DataFrame:
    """Kept segments in article order (first appearance) and segment order, with their offsets
    into the clean text (``seg_start``) and the article's position (``art_idx``)."""
    kept = segments.filter(pl.col("role").is_in(SENTENCE_ROLES)).select("article_id", "segment_index", "text", "role")
    run_start = pl.col("article_id") != pl.col("article_id").shift(1)
    in_order = kept.select(
        # each article's segments are contiguous and ascending (what clean emits): no sort needed
        (run_start.fill_null(True).sum() == pl.col("article_id").n_unique())
        & (run_start | (pl.col("segment_index") > pl.col("segment_index").shift(1))).fill_null(True).all()
    ).item() if kept.height else True
    if not in_order:
        kept = (kept.with_row_index("_row")
                .with_columns(pl.col("_row").min().over("article_id").alias("_first"))
                .sort(["_first", "segment_index"])
                .drop("_row", "_first"))
    step = pl.col("text").str.len_chars().cast(pl.Int64) + len(SEPARATOR)
    # running sums without per-group windows: subtract the running total at the article's start
    total = step.cum_sum() - step
    return kept.with_columns(
        (run_start.fill_null(True).cum_sum().cast(pl.Int64) - 1).alias("art_idx"),
        (total - pl.when(run_start.fill_null(True)).then(total).forward_fill()).alias("seg_start"),
    )


def _clean_texts(kept: pl.DataFrame) -> pl.DataFrame:
    return kept.group_by("art_idx", maintain_order=True).agg(
        pl.col("article_id").first(), pl.col("text").str.join(SEPARATOR).alias("clean_text"))


def clean_text(segments: pl.DataFrame) -> pl.DataFrame:
    """``article_id, clean_text`` for every article with at least one kept segment."""
    return _clean_texts(kept_segments(segments)).select("article_id", "clean_text")


def _split(language: str, text: str, wide: bool) -> list[str]:
    """sentencex pieces of ``text``; their concatenation is ``text``."""
    try:
        if not wide:
            return sentencex.segment(language, text)
        # rare path: split a copy with plain spaces, then cut the original at the same lengths
        pieces, pos = [], 0
        for piece in sentencex.segment(language, _WIDE_SPACE.sub(" ", text)):
            pieces.append(text[pos:pos + len(piece)])
            pos += len(piece)
        return pieces
    except Exception:
        raise
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException (a BaseException)
        if type(exc).__name__ != "PanicException":
            raise
        # keep the article: whole lines become the sentences
        return text.splitlines(keepends=True)


#: month abbreviations whose period is no sentence end before a day or year ("3 jan. 2016")
_MONTH_ABBREVIATION = (r"(?i)\b(jan|feb|febr|mrt|mar|apr|jun|jul|aug|sep|sept|okt|oct|nov|dec|"
                       r"janv|févr|avr|juil|déc|ene|dic)\.$")


def _rejoin_abbreviations(pieces: pl.DataFrame) -> pl.DataFrame:
    """Merge pieces sentencex cut after an abbreviation (it splits "o.a. om" and "jan. 2016").

    A sentence in news text does not start with a lower-case letter, so a piece that does
    continues the previous one when that one ended with a period on the same line; so does a
    number after a month abbreviation. Only the few pieces that start with a lower-case letter
    or a digit are examined further (anchored checks and short tails keep this cheap).
    """
    head = pl.col("piece").str.strip_chars_start().str.slice(0, 1)
    candidates = pieces.with_row_index("_row").filter(
        head.str.contains(r"^[\p{Ll}\d]") & (pl.col("_row") > 0)
    ).select("_row", "art_idx", head.str.contains(r"^\d").alias("_digit"))
    if candidates.height == 0:
        return pieces
    prev_rows = candidates.get_column("_row") - 1
    prev = pl.DataFrame({
        "art": pieces.get_column("art_idx").gather(prev_rows),
        # the previous piece without trailing spaces/tabs (a newline there means a line end)
        "tail": pieces.get_column("piece").gather(prev_rows).str.strip_chars_end(" \t").str.tail(8),
    })
    cont_rows = pl.concat([candidates, prev], how="horizontal").filter(
        (pl.col("art") == pl.col("art_idx")) & pl.col("tail").str.ends_with(".")
        & (~pl.col("_digit") | pl.col("tail").str.contains(_MONTH_ABBREVIATION))
    ).get_column("_row")
    if cont_rows.len() == 0:
        return pieces
    cont = pl.int_range(pl.len(), dtype=cont_rows.dtype).is_in(cont_rows.implode())
    return (
        pieces.with_columns((~cont).cum_sum().alias("_group"))
        .group_by("_group", maintain_order=True)
        .agg(pl.col("art_idx").first(), pl.col("piece").str.join(""),
             pl.col("start").first(), pl.col("end").last())
        .drop("_group")
    )


def article_languages(texts: pl.DataFrame, given: pl.DataFrame | None) -> pl.DataFrame:
    """``given`` (the declared ``language`` field, normalised) and, for articles without one,
    ``guess`` (the stopword profile's best language over the start of the clean text, no
    margin required) per article."""
    frame = texts.select("article_id")
    if given is not None and "language" in given.columns:
        frame = frame.join(
            given.select("article_id", normalise_code(pl.col("language")).alias("given")).unique("article_id"),
            on="article_id", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("given"))
    frame = frame.with_row_index("_row")
    undeclared = frame.filter(pl.col("given").is_null()).get_column("_row")
    guess = pl.Series("guess", [None] * frame.height, dtype=pl.String)
    if undeclared.len():
        sample = (texts.get_column("clean_text").gather(undeclared).str.slice(0, _ARTICLE_SAMPLE)
                  .str.replace_all("\n", " ", literal=True))
        found = detect(sample, min_margin=1.0)
        guess = guess.scatter(undeclared, found.replace(UNDETERMINED, None))
    return frame.select("given").with_columns(guess)


def _majority(art_idx: pl.Series, detected: pl.Series, n_articles: int) -> pl.Series:
    """Most frequent clearly detected language per article (ties: alphabetical), else null."""
    best = (
        pl.DataFrame({"art_idx": art_idx, "lang": detected})
        .filter(pl.col("lang").is_not_null() & (pl.col("lang") != UNDETERMINED))
        .group_by("art_idx", "lang").len()
        .sort(["art_idx", "len", "lang"], descending=[False, True, False])
        .unique("art_idx", keep="first")
    )
    return (pl.DataFrame({"art_idx": pl.int_range(n_articles, dtype=art_idx.dtype, eager=True)})
            .join(best, on="art_idx", how="left", maintain_order="left").get_column("lang"))


def segment_articles(segments: pl.DataFrame, articles: pl.DataFrame | None = None
                     ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split kept segments into sentences.

    Returns ``(texts, sentences)``: ``texts`` has ``article_id, clean_text, language,
    n_sentences`` per article with a kept segment; ``sentences`` has :data:`SENTENCE_COLUMNS`.
    ``articles`` (optional, ``article_id, language``) gives each article's declared language.
    """
    kept = kept_segments(segments)
    texts = _clean_texts(kept)
    declared = article_languages(texts, articles)

    # sentencex needs a language it knows; an undetermined article is split with English rules
    split_lang = declared.select(pl.coalesce("given", "guess", pl.lit("en"))).to_series().to_list()
    wide = texts.get_column("clean_text").str.contains_any(_WIDE_SPACES).to_list()
    split = [_split(lang, text, is_wide)
             for lang, text, is_wide in zip(split_lang, texts.get_column("clean_text").to_list(), wide)]
    # one flat string column plus a count per article: building a list column from Python
    # lists costs ~3× more than the split itself
    counts = pl.Series([len(p) for p in split], dtype=pl.Int64)
    flat = pl.Series("piece", list(chain.from_iterable(split)), dtype=pl.String)
    # where each article's text starts if all texts of the batch were laid end to end
    base = (texts.get_column("clean_text").str.len_chars().cast(pl.Int64).cum_sum()
            - texts.get_column("clean_text").str.len_chars().cast(pl.Int64))

    # Work in a frame that holds no article text: exploding next to a big text column copies
    # it into every row (measured 8× slower). Pieces are consecutive, so a running sum of
    # lengths minus the article's base is each piece's end offset (no per-group window).
    pieces = (
        pl.DataFrame({"art_idx": texts.get_column("art_idx").repeat_by(counts).explode(), "piece": flat})
        .with_columns(pl.col("piece").str.split("\n", inclusive=True))
        .explode("piece")
        .drop_nulls("piece")
        .with_columns(pl.col("piece").str.len_chars().cast(pl.Int64).alias("len"))
        .with_columns((pl.col("len").cum_sum() - pl.lit(base).gather(pl.col("art_idx"))).alias("end"))
        .with_columns((pl.col("end") - pl.col("len")).alias("start"))
    )
    pieces = _rejoin_abbreviations(pieces)

    length = pl.col("piece").str.len_chars()
    stripped = pl.col("piece").str.strip_chars()
    lead = length - pl.col("piece").str.strip_chars_start().str.len_chars()
    trail = pl.col("piece").str.strip_chars_start().str.len_chars() - stripped.str.len_chars()
    sentences = (
        pieces.with_columns(
            (pl.col("start") + lead).alias("char_start"),
            (pl.col("end") - trail).alias("char_end"),
            stripped.alias("text"),
        )
        .filter(pl.col("text").str.len_chars() > 0)
        .select("art_idx", "text", pl.col("char_start").cast(pl.Int64), pl.col("char_end").cast(pl.Int64))
    )

    # role: the kept segment each sentence starts in (sentences never cross segments)
    key = pl.col("art_idx") * (1 << 32)
    sentences = sentences.with_columns((key + pl.col("char_start")).alias("_key")).join_asof(
        kept.select((key + pl.col("seg_start")).alias("_key"), "role"), on="_key", strategy="backward",
    )
    # rows are ordered by article: the index is the row number minus the article's first row
    art_idx = sentences.get_column("art_idx")
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = pl.col("art_idx") != pl.col("art_idx").shift(1).fill_null(-1)
    detected = detect(sentences.get_column("text"))
    # the article's language: declared, else the majority of its clear sentences, else the
    # profile of its text; it is the fallback of the sentences that are not clear on their own
    texts = texts.with_columns(
        pl.coalesce(declared.get_column("given"), _majority(art_idx, detected, texts.height),
                    declared.get_column("guess"), pl.lit(UNDETERMINED)).alias("language"))
    sentences = sentences.with_columns(
        (row - pl.when(first).then(row).forward_fill()).alias("sentence_index"),
        texts.get_column("article_id").gather(art_idx).alias("article_id"),
        pl.coalesce(detected, texts.get_column("language").gather(art_idx)).alias("language"),
    ).with_columns(
        pl.format("{}-{}", "article_id", pl.col("sentence_index").cast(pl.String).str.zfill(5)).alias("sentence_id"),
    ).select(SENTENCE_COLUMNS)

    n_sentences = art_idx.value_counts(name="n_sentences")
    texts = (texts.join(n_sentences, on="art_idx", how="left", maintain_order="left")
             .with_columns(pl.col("n_sentences").fill_null(0).cast(pl.Int64))
             .select("article_id", "clean_text", "language", "n_sentences"))
    return texts, sentences


def segment(segments: pl.DataFrame, articles: pl.DataFrame | None = None) -> pl.DataFrame:
    """Segment frame → sentences: ``article_id, sentence_id, sentence_index, text, char_start,
    char_end, language, role``, only from segments whose role is in ``SENTENCE_ROLES``.

    Offsets index the article's clean text (see :func:`clean_text`);
    ``sentence_id = f"{article_id}-{sentence_index:05d}"``.
    """
    return segment_articles(segments, articles)[1]
