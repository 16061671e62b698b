"""Stage ``segment``: kept segments → sentences with offsets into the article's clean text.

The clean text of an article is its kept segments (roles in ``SENTENCE_ROLES``) joined with
``"\\n\\n"`` in segment order. sentencex (Rust, no model download) splits text into paragraphs at
blank lines and each paragraph on its own, so it is called per kept segment, and only where the
segment can hold more than one sentence (a terminator before its end, a list marker, a
language without a checked shortcut); articles whose segments touch a paragraph edge, or where
sentencex panics, are split whole. Its pieces are consecutive and concatenate to the input, so
offsets are cumulative lengths, computed in polars. Pieces are then split at every newline —
separate lines of one body segment are separate sentences, and no sentence can cross a
segment — and stripped by moving the offsets. The Python loop only calls sentencex; nothing
in Python runs per sentence.

Offsets are Python code points (polars ``len_chars`` counts the same unit), so
``clean_text[char_start:char_end] == text`` for every sentence.
"""

from __future__ import annotations

import re
from itertools import chain

import polars as pl
import sentencex

from conflictset.dataset.language import UNDETERMINED, detect, normalise_code
from conflictset.dataset.runs import first_in, run_first
from conflictset.schemas.dtypes import columns
from conflictset.schemas.pipeline import SENTENCE_ROLES, SegmentedSentence

SEPARATOR = "\n\n"
#: sentencex panics (Rust byte-slicing) on multi-byte whitespace such as U+00A0 or U+2028 next
#: to a period; we hand it a copy with those replaced by a plain space (same code point count)
_WIDE_SPACES = ["\u0085", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200b)), "\u2028", "\u2029",
                "\u202f", "\u205f", "\u3000"]
_WIDE_SPACE = re.compile("[" + "".join(_WIDE_SPACES) + "]")
#: how much of an article's text decides its language when no language is given
_ARTICLE_SAMPLE = 400

SENTENCE_COLUMNS = columns(SegmentedSentence)


def zero_padded(index: pl.Expr, width: int = 5) -> pl.Expr:
    """``str(index).zfill(width)`` for a non-negative integer; shorter numbers are offset by
    10**width and lose the leading 1 (about half the cost of ``str.zfill``)."""
    bound = 10 ** width
    return (pl.when(index < bound).then((index + bound).cast(pl.String).str.slice(1))
            .otherwise(index.cast(pl.String)))


def kept_segments(segments: pl.DataFrame) -> pl.DataFrame:
    """Kept segments in article order (first appearance) and segment order, with their offsets
    into the clean text (``seg_start``) and the article's position (``art_idx``)."""
    kept = segments.select("article_id", "segment_index", "text", "role").filter(pl.col("role").is_in(SENTENCE_ROLES))
    run_start = first_in("article_id")
    in_order = kept.select(
        # each article's segments are contiguous and ascending (what clean emits): no sort needed
        (run_start.sum() == pl.col("article_id").n_unique())
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
        # ascending by construction: flagged sorted, group-bys on it skip hashing
        (run_start.cum_sum().cast(pl.Int64) - 1).set_sorted().alias("art_idx"),
        (total - run_first(total, "article_id")).alias("seg_start"),
    )


def _clean_texts(kept: pl.DataFrame) -> pl.DataFrame:
    # gathered into lists, then joined: a str.join aggregation costs ~5x more
    return kept.group_by("art_idx", maintain_order=True).agg(
        pl.col("article_id").first(), pl.col("text").alias("clean_text"),
    ).with_columns(pl.col("clean_text").list.join(SEPARATOR))


def clean_text(segments: pl.DataFrame) -> pl.DataFrame:
    """``article_id, clean_text`` for every article with at least one kept segment."""
    return _clean_texts(kept_segments(segments)).select("article_id", "clean_text")


class _Panic(Exception):
    """sentencex panicked (a Rust panic arrives as pyo3's PanicException, a BaseException)."""


def _sentencex(language: str, text: str, wide: bool) -> list[str]:
    """sentencex pieces of ``text``; their concatenation is ``text``. Raises :class:`_Panic`."""
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
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise _Panic from None


def _split(language: str, text: str, wide: bool) -> list[str]:
    """Pieces of a whole clean text; after a sentencex panic its lines (the article is kept)."""
    try:
        return _sentencex(language, text, wide)
    except _Panic:
        return text.splitlines(keepends=True)


#: month abbreviations whose period is no sentence end before a day or year ("3 jan. 2016")
_MONTH_ABBREVIATION = (r"(?i)\b(jan|feb|febr|mrt|mar|apr|jun|jul|aug|sep|sept|okt|oct|nov|dec|"
                       r"janv|févr|avr|juil|déc|ene|dic)\.$")


#: a segment made only of these characters, with sentence-ending punctuation at most at its
#: very end, is one sentence for sentencex in these languages: its breaks need a terminator or a
#: list marker such as "1)" (tests/dataset/test_segment.py fuzzes this against sentencex)
_ONE_SENTENCE = r"^[\p{L}\p{M}\p{N} ,:;'\"«»“”‘’/&%\-–—]*[.!?]*$"
_ONE_SENTENCE_LANGUAGES = ("en", "nl", "fr", "de", "es", "it", "pt", "ar")


def _called_pieces(units: pl.DataFrame, split) -> tuple[pl.DataFrame, list[int]]:
    """Call ``split(language, text, wide)`` on each unit (``art_idx, origin, text, lang``):
    rows ``art_idx, piece, start`` (``origin`` + the piece's offset in the unit), and the
    articles whose call panicked."""
    wide = units.get_column("text").str.contains_any(_WIDE_SPACES).to_list()
    found, counts, panicked = [], [], []
    for art, lang, text, is_wide in zip(units.get_column("art_idx").to_list(), units.get_column("lang").to_list(),
                                        units.get_column("text").to_list(), wide):
        try:
            pieces = split(lang, text, is_wide)
        except _Panic:
            panicked.append(art)
            pieces = []
        found.append(pieces)
        counts.append(len(pieces))
    # pieces concatenate to their unit: offsets are running sums of lengths, shifted per unit
    origin = units.get_column("origin") - (units.get_column("text").str.len_chars().cast(pl.Int64).cum_sum()
                                           - units.get_column("text").str.len_chars().cast(pl.Int64))
    repeat = pl.Series(counts, dtype=pl.Int64)
    pieces = pl.DataFrame({
        "art_idx": units.get_column("art_idx").repeat_by(repeat).explode(),
        "piece": pl.Series(list(chain.from_iterable(found)), dtype=pl.String),
        "_shift": origin.repeat_by(repeat).explode(),
    }).drop_nulls("piece")
    length = pl.col("piece").str.len_chars().cast(pl.Int64)
    return pieces.select("art_idx", "piece", (length.cum_sum() - length + pl.col("_shift")).alias("start")), panicked


def _split_pieces(kept: pl.DataFrame, texts: pl.DataFrame, language: pl.Series) -> pl.DataFrame:
    """sentencex pieces of each article's clean text (rows ``art_idx, piece, start``, in text order,
    without the "\n\n" between segments).

    sentencex cuts its input into paragraphs at blank lines and splits each on its own, so
    splitting every kept segment alone gives the pieces of the whole text; segments that are
    one sentence (:data:`_ONE_SENTENCE`) need no call. Articles with a segment at a paragraph
    edge, or where sentencex panicked, are split whole (after a panic: into lines)."""
    segs = kept.select("art_idx", pl.col("seg_start").alias("origin"), "text",
                       language.gather(kept.get_column("art_idx")).alias("lang"))
    text = pl.col("text")
    # an empty segment, or one that starts or ends with a line break, would fuse with the "\n\n"
    # separator into a different paragraph break: such articles are split whole
    edge = (text.str.len_bytes() == 0) | text.str.starts_with("\n") | text.str.starts_with("\r") \
        | text.str.ends_with("\n") | text.str.ends_with("\r")
    whole = segs.filter(edge).get_column("art_idx").unique()
    if whole.len():
        segs = segs.filter(~pl.col("art_idx").is_in(whole.implode()))
    segs = segs.with_columns((pl.col("lang").is_in(_ONE_SENTENCE_LANGUAGES) & text.str.contains(_ONE_SENTENCE))
                             .alias("_one"))
    one = pl.col("_one")
    single = segs.filter(one).select("art_idx", pl.col("text").alias("piece"), pl.col("origin").alias("start"))
    called, panicked = _called_pieces(segs.filter(~one), _sentencex)
    if panicked:
        whole = pl.concat([whole, pl.Series(panicked, dtype=whole.dtype)]).unique()
        single = single.filter(~pl.col("art_idx").is_in(whole.implode()))
        called = called.filter(~pl.col("art_idx").is_in(whole.implode()))
    parts = [single, called]
    if whole.len():
        articles = texts.with_columns(language.alias("lang")).filter(pl.col("art_idx").is_in(whole.implode()))
        articles = articles.select("art_idx", pl.lit(0, pl.Int64).alias("origin"), pl.col("clean_text").alias("text"),
                                   "lang")
        parts.append(_called_pieces(articles, _split)[0])
    # one integer key (article, then offset: offsets are far below 2^32) sorts ~9x faster than
    # two columns; stable, so pieces at one offset keep their found order
    return pl.concat(parts).sort(pl.col("art_idx").cast(pl.Int64) * (1 << 32) + pl.col("start"), maintain_order=True)


def _rejoin_abbreviations(pieces: pl.DataFrame) -> pl.DataFrame:
    """Merge pieces sentencex cut after an abbreviation (it splits "o.a. om" and "jan. 2016").

    A sentence in news text does not start with a lower-case letter, so a piece that does
    continues the previous one (right before it, not in another segment) when that one ended with
    a period on the same line; so does a
    number after a month abbreviation. Only the few pieces that start with a lower-case letter
    or a digit are examined further (anchored checks and short tails keep this cheap).
    """
    head = pl.col("piece").str.strip_chars_start().str.slice(0, 1)
    candidates = pieces.with_row_index("_row").filter(
        head.str.contains(r"^[\p{Ll}\d]") & (pl.col("_row") > 0)
    ).select("_row", "art_idx", "start", head.str.contains(r"^\d").alias("_digit"))
    if candidates.height == 0:
        return pieces
    prev_rows = candidates.get_column("_row") - 1
    prev = pl.DataFrame({
        "art": pieces.get_column("art_idx").gather(prev_rows),
        "prev_end": pieces.get_column("end").gather(prev_rows),
        # the previous piece without trailing spaces/tabs (a newline there means a line end)
        "tail": pieces.get_column("piece").gather(prev_rows).str.strip_chars_end(" \t").str.tail(8),
    })
    cont_rows = pl.concat([candidates, prev], how="horizontal").filter(
        (pl.col("art") == pl.col("art_idx")) & (pl.col("prev_end") == pl.col("start"))
        & pl.col("tail").str.ends_with(".")
        & (~pl.col("_digit") | pl.col("tail").str.contains(_MONTH_ABBREVIATION))
    ).get_column("_row")
    if cont_rows.len() == 0:
        return pieces
    cont = pl.int_range(pl.len(), dtype=cont_rows.dtype).is_in(cont_rows.implode())
    return (
        pieces.with_columns((~cont).cum_sum().alias("_group"))
        .group_by("_group", maintain_order=True)
        .agg(pl.col("art_idx").first(), "piece", pl.col("start").first(), pl.col("end").last())
        .with_columns(pl.col("piece").list.join(""))  # (cheaper than a str.join aggregation)
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
    split_lang = declared.select(pl.coalesce("given", "guess", pl.lit("en"))).to_series()
    pieces = _split_pieces(kept, texts, split_lang)
    # Each piece is cut at its newlines (inclusive); a sub-piece's end offset is the running
    # sum of lengths plus its piece's shift (no per-group window, no article text in the frame)
    length = pl.col("piece").str.len_chars().cast(pl.Int64)
    pieces = (
        pieces.with_columns((pl.col("start") - (length.cum_sum() - length)).alias("_shift"))
        .with_columns(pl.col("piece").str.split("\n", inclusive=True))
        .explode("piece")
        .drop_nulls("piece")
        .with_columns(length.alias("len"))
        .with_columns((pl.col("len").cum_sum() + pl.col("_shift")).alias("end"))
        .with_columns((pl.col("end") - pl.col("len")).alias("start"))
        .select("art_idx", "piece", "len", "end", "start")
    )
    pieces = _rejoin_abbreviations(pieces)

    # stripped in steps (eager frames do not share common subexpressions): the leading and the
    # trailing whitespace move the offsets
    chars = lambda c: pl.col(c).str.len_chars().cast(pl.Int64)  # noqa: E731
    sentences = (
        pieces.with_columns(pl.col("piece").str.strip_chars_start().alias("_lstrip"))
        .with_columns(pl.col("_lstrip").str.strip_chars_end().alias("text"))
        .with_columns(chars("piece").alias("_n"), chars("_lstrip").alias("_nl"), chars("text").alias("_nt"))
        .with_columns(
            (pl.col("start") + pl.col("_n") - pl.col("_nl")).alias("char_start"),
            (pl.col("end") - (pl.col("_nl") - pl.col("_nt"))).alias("char_end"),
        )
        .filter(pl.col("_nt") > 0)
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
    detected = detect(sentences.get_column("text"))
    # the article's language: declared, else the majority of its clear sentences, else the
    # profile of its text; it is the fallback of the sentences that are not clear on their own
    given = declared.get_column("given")
    # (the vote is skipped when every article declares its language: it could not change one)
    votes = [_majority(art_idx, detected, texts.height)] if given.null_count() else []
    texts = texts.with_columns(
        pl.coalesce(given, *votes, declared.get_column("guess"), pl.lit(UNDETERMINED)).alias("language"))
    sentences = sentences.with_columns(
        (row - run_first(row, "art_idx")).alias("sentence_index"),
        texts.get_column("article_id").gather(art_idx).alias("article_id"),
        pl.coalesce(detected, texts.get_column("language").gather(art_idx)).alias("language"),
    ).with_columns(
        pl.format("{}-{}", "article_id", zero_padded(pl.col("sentence_index"))).alias("sentence_id"),
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
