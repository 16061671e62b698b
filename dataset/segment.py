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

import polars as pl
import sentencex

from dataset.language import UNDETERMINED, detect, normalise_code
from schemas.pipeline import SENTENCE_ROLES

SEPARATOR = "\n\n"
#: sentencex panics (Rust byte-slicing) on multi-byte whitespace such as U+00A0 or U+2028 next
#: to a period; we hand it a copy with those replaced by a plain space (same code point count)
_WIDE_SPACE = re.compile(r"[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
#: how much of an article's text decides its language when no language is given
_ARTICLE_SAMPLE = 3000

SENTENCE_COLUMNS = ("article_id", "sentence_id", "sentence_index", "text", "char_start",
                    "char_end", "language", "role")


def kept_segments(segments: pl.DataFrame) -> pl.DataFrame:
    """Kept segments in article order (first appearance) and segment order, with their offsets
    into the clean text (``seg_start``) and the article's position (``art_idx``)."""
    kept = segments.filter(pl.col("role").is_in(SENTENCE_ROLES)).select("article_id", "segment_index", "text", "role")
    step = pl.col("text").str.len_chars() + len(SEPARATOR)
    return (
        kept.with_row_index("_row")
        .with_columns(pl.col("_row").min().over("article_id").alias("_first"))
        .sort(["_first", "segment_index"])
        .with_columns(pl.col("_first").rank("dense").cast(pl.Int64).sub(1).alias("art_idx"))
        .with_columns((step.cum_sum().over("art_idx") - step).alias("seg_start"))
        .drop("_row", "_first")
    )


def _clean_texts(kept: pl.DataFrame) -> pl.DataFrame:
    return kept.group_by("art_idx", maintain_order=True).agg(
        pl.col("article_id").first(), pl.col("text").str.join(SEPARATOR).alias("clean_text"))


def clean_text(segments: pl.DataFrame) -> pl.DataFrame:
    """``article_id, clean_text`` for every article with at least one kept segment."""
    return _clean_texts(kept_segments(segments)).select("article_id", "clean_text")


def _split(language: str, text: str) -> list[str]:
    """sentencex pieces of ``text`` (their concatenation is ``text``)."""
    if _WIDE_SPACE.search(text) is None:
        return sentencex.segment(language, text)
    # rare path: split a copy, then cut the original at the same lengths
    pieces, pos = [], 0
    for piece in sentencex.segment(language, _WIDE_SPACE.sub(" ", text)):
        pieces.append(text[pos:pos + len(piece)])
        pos += len(piece)
    return pieces


def article_languages(texts: pl.DataFrame, given: pl.DataFrame | None) -> pl.Series:
    """Language of each article: the given ``language`` field (normalised) when present, else
    detected from the start of its clean text; ``und`` when neither says."""
    frame = texts.select("article_id", pl.col("clean_text").str.slice(0, _ARTICLE_SAMPLE).str.replace_all(r"\s+", " "))
    detected = detect(frame.get_column("clean_text"))
    frame = frame.with_columns(detected.alias("detected"))
    if given is not None and "language" in given.columns:
        frame = frame.join(
            given.select("article_id", normalise_code(pl.col("language")).alias("given")).unique("article_id"),
            on="article_id", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("given"))
    return frame.select(
        pl.coalesce("given", pl.when(pl.col("detected") != UNDETERMINED).then(pl.col("detected")), pl.lit(UNDETERMINED))
    ).to_series().rename("language")


def segment_articles(segments: pl.DataFrame, articles: pl.DataFrame | None = None
                     ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split kept segments into sentences.

    Returns ``(texts, sentences)``: ``texts`` has ``article_id, clean_text, language,
    n_sentences`` per article with a kept segment; ``sentences`` has :data:`SENTENCE_COLUMNS`.
    ``articles`` (optional, ``article_id, language``) gives each article's declared language.
    """
    kept = kept_segments(segments)
    texts = _clean_texts(kept)
    texts = texts.with_columns(article_languages(texts, articles).alias("language"))

    # sentencex needs a language it knows; an undetermined article is split with English rules
    split_lang = texts.get_column("language").replace(UNDETERMINED, "en").to_list()
    pieces = [_split(lang, text) for lang, text in zip(split_lang, texts.get_column("clean_text").to_list())]

    # Explode from a frame that holds no article text: exploding next to a big text column
    # copies it into every row (measured 8× slower).
    length = pl.col("piece").str.len_chars()
    stripped = pl.col("piece").str.strip_chars()
    lead = length - pl.col("piece").str.strip_chars_start().str.len_chars()
    trail = pl.col("piece").str.strip_chars_start().str.len_chars() - stripped.str.len_chars()
    sentences = (
        pl.DataFrame({"art_idx": texts.get_column("art_idx"),
                      "piece": pl.Series(pieces, dtype=pl.List(pl.String))})
        .explode("piece")
        .with_columns(pl.col("piece").str.split("\n", inclusive=True))
        .explode("piece")
        .drop_nulls("piece")
        .with_columns(length.cum_sum().over("art_idx").alias("end"), length.alias("len"))
        .with_columns(
            (pl.col("end") - pl.col("len") + lead).alias("char_start"),
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
    sentences = sentences.join(texts.select("art_idx", "article_id", pl.col("language").alias("_article_lang")),
                               on="art_idx", how="left", maintain_order="left")
    detected = detect(sentences.get_column("text"))
    sentences = sentences.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).over("art_idx").alias("sentence_index"),
        detected.alias("_detected"),
    )
    sentences = sentences.with_columns(
        pl.format("{}-{}", "article_id", pl.col("sentence_index").cast(pl.String).str.zfill(5)).alias("sentence_id"),
        pl.coalesce("_detected", "_article_lang").alias("language"),
    ).select(SENTENCE_COLUMNS)

    counts = sentences.group_by("article_id").agg(pl.len().cast(pl.Int64).alias("n_sentences"))
    texts = (texts.join(counts, on="article_id", how="left", maintain_order="left")
             .with_columns(pl.col("n_sentences").fill_null(0))
             .select("article_id", "clean_text", "language", "n_sentences"))
    return texts, sentences


def segment(segments: pl.DataFrame, articles: pl.DataFrame | None = None) -> pl.DataFrame:
    """Segment frame → sentences: ``article_id, sentence_id, sentence_index, text, char_start,
    char_end, language, role``, only from segments whose role is in ``SENTENCE_ROLES``.

    Offsets index the article's clean text (see :func:`clean_text`);
    ``sentence_id = f"{article_id}-{sentence_index:05d}"``.
    """
    return segment_articles(segments, articles)[1]
