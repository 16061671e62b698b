"""Stage ``clean``: split each article into segments and give every segment a role.

Roles: ``headline`` (first non-empty line), ``body``, ``caption`` (a line carrying a trailing
photo credit), ``credit`` (``Foto: AFP``, ``AFP PHOTO / NAME``, ``(c) Reuters``), ``heading``
(a short line without final punctuation between paragraphs), ``boilerplate`` (consent,
subscribe and share debris, separator lines, stray timestamps) and ``related`` (a teaser of
another article: from a marker such as ``Lees ook``/``Read more`` to the end of its paragraph).
Only ``SENTENCE_ROLES`` become sentences; every other segment carries a ``reason``. Nothing
is dropped: every non-blank piece of every article is a segment, and
``article.text[char_start:char_end] == segment.text`` (Python code points).

The phrase lists are data (``dataset/data/boilerplate/*.toml``, one file per language); all
languages' lists apply to every article, because pages mix languages (a Dutch page with an
English photo caption).

How: lines are exploded and classified with polars expressions (Aho–Corasick phrase search,
Rust regexes). Only lines that may hold glued timestamps or credits — a small minority — go
through a per-line Python splitter, which cuts ``Fallujah2016-05-23 19:01:33 A member …`` into
teaser, timestamp and caption and ``caption - Foto: AFP`` into caption and credit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

BOILERPLATE_DIR = Path(__file__).resolve().parent / "data" / "boilerplate"
SEGMENT_SCHEMA: dict[str, pl.DataType] = {
    "article_id": pl.String(), "segment_index": pl.Int64(), "text": pl.String(), "role": pl.String(),
    "reason": pl.String(), "char_start": pl.Int64(), "char_end": pl.Int64(),
}

#: a date (ISO or day-month-year) with an optional time, not inside a longer number
_DATE_TIME = re.compile(
    r"(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
    r"(?P<time>(?:,?[T ]\s*)\d{1,2}[:.]\d{2}(?::\d{2})?)?(?!\d)")
_DATE_HINT = r"\d{4}-\d{2}-\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"  # cheap Rust-side prefilter
_GLUE_BEFORE = set(".!?)\"”’»")
_FINAL_PUNCT = r"[.!?:;,…\"”’»)\]]$"
#: a trailing credit sits in a line's last few hundred characters; search only there
_TAIL = 300


@dataclass(frozen=True)
class Phrasebook:
    """The union of every language file's lists (lower-cased)."""

    phrases: tuple[str, ...]
    lines: tuple[str, ...]
    markers: tuple[str, ...]
    agencies: tuple[str, ...]
    keywords: tuple[str, ...]
    credit_full: re.Pattern
    credit_trailing: re.Pattern


def _union(books: list[dict], section: str, key: str) -> tuple[str, ...]:
    values = {v.strip().lower() for b in books for v in b.get(section, {}).get(key, []) if v.strip()}
    return tuple(sorted(values, key=lambda v: (-len(v), v)))  # longest first: regex alternation


@lru_cache(maxsize=8)
def phrasebook(directory: str | Path = BOILERPLATE_DIR) -> Phrasebook:
    """Load and merge every ``*.toml`` phrase file in ``directory``."""
    files = sorted(Path(directory).glob("*.toml"))
    if not files:
        raise FileNotFoundError(f"no boilerplate phrase files (*.toml) in {directory}")
    books = [tomllib.loads(f.read_text(encoding="utf-8")) for f in files]
    labels = "|".join(re.escape(v) for v in _union(books, "credit", "labels"))
    patterns = [p for b in books for p in b.get("credit", {}).get("patterns", [])]
    core = "|".join([rf"\b(?:{labels})\s*:\s*[^\n()]{{1,80}}", *patterns])
    full = re.compile(rf"\(?\s*(?:{core})\s*\)?\.?", re.I)
    trailing = re.compile(
        rf"(?:\s+[-–—|/•·]\s*|\s*[(\[]\s*|(?<=[.!?\"”’)])\s+)(?P<credit>{core})\s*[)\]]?\.?\s*$", re.I)
    return Phrasebook(
        phrases=_union(books, "boilerplate", "phrases"),
        lines=_union(books, "boilerplate", "lines"),
        markers=_union(books, "related", "markers"),
        agencies=_union(books, "credit", "agencies"),
        keywords=tuple(sorted(set(_union(books, "credit", "keywords")) | {"©", "(c)", "copyright"})),
        credit_full=full, credit_trailing=trailing,
    )


# ---------------------------------------------------------------------------- splitting

def _strip(line: str, start: int, end: int) -> tuple[int, int]:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return start, end


def _split_credit(line: str, start: int, end: int, book: Phrasebook) -> list[tuple[int, int, str]]:
    """A text piece → [(start, end, kind)] with kind text | credit | captioned."""
    piece = line[start:end]
    if len(piece) <= _TAIL and book.credit_full.fullmatch(piece):
        return [(start, end, "credit")]
    offset = max(0, len(piece) - _TAIL)
    match = book.credit_trailing.search(piece, offset)
    if match:
        before_end = start + match.start()
        s, e = _strip(line, start, before_end)
        if any(ch.isalnum() for ch in line[s:e]):
            cs, ce = _strip(line, start + match.start("credit"), start + match.end("credit"))
            return [(s, e, "captioned"), (cs, ce, "credit")]
    return [(start, end, "text")]


def split_line(line: str, book: Phrasebook | None = None) -> list[tuple[int, int, str]]:
    """Cut one stripped line into pieces ``(start, end, kind)``; kinds: text, timestamp,
    credit, captioned (text followed by its credit). Offsets index ``line``."""
    book = book or phrasebook()
    cuts: list[tuple[int, int]] = []
    for m in _DATE_TIME.finditer(line):
        s, e = m.span()
        glued_left = s > 0 and (line[s - 1].isalpha() or line[s - 1] in _GLUE_BEFORE)
        glued_right = e < len(line) and line[e].isalpha()
        at_start = not line[:s].strip()
        if glued_left or glued_right or at_start or m.group("time"):
            cuts.append((s, e))
    pieces: list[tuple[int, int, str]] = []
    pos = 0
    for s, e in cuts + [(len(line), len(line))]:
        ps, pe = _strip(line, pos, s)
        if pe > ps:
            pieces.extend(_split_credit(line, ps, pe, book))
        if e > s:
            pieces.append((s, e, "timestamp"))
        pos = e
    if len(pieces) > 1:  # separators between pieces (" - ", " / ") are not content
        pieces = [p for p in pieces if any(ch.isalnum() for ch in line[p[0]:p[1]])] or pieces[:1]
    return pieces or [(0, len(line), "text")]


# ---------------------------------------------------------------------------- frames

def _lines(articles: pl.DataFrame) -> pl.DataFrame:
    """Non-blank lines with their block (paragraph) number and stripped offsets."""
    lines = (
        articles.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_a"), "article_id",
                        pl.col("text").str.split("\n").alias("line"))
        .explode("line")
        .with_columns(pl.col("line").str.len_chars().cast(pl.Int64).alias("_len"))
        .with_columns(
            ((pl.col("_len") + 1).cum_sum() - (pl.col("_len") + 1)).over("_a").alias("_line_start"),
            (pl.col("line").str.strip_chars() == "").alias("_blank"),
            pl.int_range(pl.len(), dtype=pl.Int64).over("_a").alias("line_no"),
        )
        .with_columns(pl.col("_blank").cum_sum().over("_a").alias("block"))
        .filter(~pl.col("_blank"))
    )
    lead = pl.col("_len") - pl.col("line").str.strip_chars_start().str.len_chars().cast(pl.Int64)
    stripped = pl.col("line").str.strip_chars()
    return lines.select(
        "_a", "article_id", "block", "line_no",
        stripped.alias("text"),
        (pl.col("_line_start") + lead).alias("char_start"),
        (pl.col("_line_start") + lead + stripped.str.len_chars().cast(pl.Int64)).alias("char_end"),
        pl.col("line").str.slice(0, lead).alias("_head"),
        pl.col("line").str.slice(lead + stripped.str.len_chars()).alias("_tail"),
    )


def _pieces(lines: pl.DataFrame, book: Phrasebook) -> pl.DataFrame:
    """Lines → pieces; only candidate lines (dates, credit keywords) are split in Python."""
    candidate = (pl.col("text").str.contains(_DATE_HINT)
                 | pl.col("text").str.to_lowercase().str.contains_any(list(book.keywords)))
    lines = lines.with_columns(candidate.alias("_cand"))
    plain = lines.filter(~pl.col("_cand")).with_columns(
        pl.lit(0, pl.Int64).alias("piece_no"), pl.lit("text").alias("kind"), pl.lit(1, pl.Int64).alias("_n"))
    cands = lines.filter(pl.col("_cand"))
    if cands.height == 0:
        return plain.drop("_cand")
    rows: dict[str, list] = {"_i": [], "piece_no": [], "_s": [], "_e": [], "kind": [], "_n": []}
    for i, text in enumerate(cands["text"].to_list()):
        parts = split_line(text, book)
        for k, (s, e, kind) in enumerate(parts):
            for key, value in zip(rows, (i, k, s, e, kind, len(parts))):
                rows[key].append(value)
    parts = pl.DataFrame(rows, schema={"_i": pl.Int64, "piece_no": pl.Int64, "_s": pl.Int64, "_e": pl.Int64,
                                        "kind": pl.String, "_n": pl.Int64})
    split = (
        cands.with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64))
        .join(parts, on="_i", how="inner", maintain_order="right")
        .with_columns(
            pl.col("text").str.slice(pl.col("_s"), pl.col("_e") - pl.col("_s")).alias("text"),
            (pl.col("char_start") + pl.col("_e")).alias("char_end"),
            (pl.col("char_start") + pl.col("_s")).alias("char_start"),
        )
        .drop("_i", "_s", "_e")
    )
    return pl.concat([plain.drop("_cand"), split.select(plain.drop("_cand").columns)]).sort("_a", "char_start")


def _marker_regex(book: Phrasebook) -> str:
    alternation = "|".join(re.escape(m) for m in book.markers)
    return rf"(?i)^((?:{alternation}))(?:$|[^\p{{L}}\p{{N}}])"


def _roles(pieces: pl.DataFrame, book: Phrasebook) -> pl.DataFrame:
    text = pl.col("text")
    lower = text.str.to_lowercase()
    words = text.str.count_matches(r"\S+")
    bare = lower.str.strip_chars(" \t.:!?|•·-–—*>»«()[]")
    phrase = pl.when(lower.str.contains_any(list(book.phrases))).then(
        lower.str.extract_many(list(book.phrases)).list.first())
    marker = text.str.extract(_marker_regex(book), 1)
    frame = pieces.with_columns(
        phrase.alias("_phrase"),
        bare.is_in(list(book.lines)).alias("_bp_line"),
        ~text.str.contains(r"[\p{L}\p{N}]").alias("_no_alnum"),
        ((pl.col("kind") == "credit") | ((pl.col("_n") == 1) & bare.is_in(list(book.agencies)))).alias("_credit"),
        pl.when(pl.col("kind") == "text").then(marker).alias("_marker"),
        words.alias("_words"),
    )
    bp = pl.col("_phrase").is_not_null() | pl.col("_bp_line") | pl.col("_no_alnum")
    frame = frame.with_columns(
        bp.alias("_bp"),
        pl.col("_marker").forward_fill().over("_a", "block").alias("_related"),
    )
    # the headline is the first line that is not page debris (cookie walls can come first)
    first_line = pl.when(~pl.col("_bp")).then(pl.col("line_no")).min().over("_a")
    block_lines = pl.col("line_no").n_unique().over("_a", "block")
    is_first_of_block = pl.col("line_no") == pl.col("line_no").min().over("_a", "block")
    next_words = pl.col("_words").shift(-1).over("_a")
    next_same_block = (pl.col("block").shift(-1).over("_a") == pl.col("block"))
    short_title = (pl.col("_words").is_between(1, 4) & ~text.str.contains(_FINAL_PUNCT)
                   & text.str.contains(r"\p{L}") & ~text.str.contains(r"^\p{Ll}") & (pl.col("_n") == 1)
                   & (pl.col("kind") == "text"))
    heading = short_title & (pl.col("block") > pl.col("block").min().over("_a")) & (
        ((block_lines == 1) & (pl.col("block") < pl.col("block").max().over("_a")))
        | (is_first_of_block & next_same_block & (next_words >= 6)))
    debris_block = pl.col("_bp").any().over("_a", "block") & (pl.col("_words") <= 3)
    role = (
        pl.when(pl.col("_related").is_not_null()).then(pl.lit("related"))
        .when(pl.col("_bp")).then(pl.lit("boilerplate"))
        .when(pl.col("line_no") == first_line).then(
            pl.when(pl.col("_credit")).then(pl.lit("credit"))
            .when(pl.col("kind") == "timestamp").then(pl.lit("boilerplate"))
            .otherwise(pl.lit("headline")))
        .when(pl.col("_credit")).then(pl.lit("credit"))
        .when(pl.col("kind") == "timestamp").then(pl.lit("boilerplate"))
        .when(debris_block).then(pl.lit("boilerplate"))
        .when(pl.col("kind") == "captioned").then(pl.lit("caption"))
        .when(heading).then(pl.lit("heading"))
        .otherwise(pl.lit("body"))
    )
    reason = (
        pl.when(pl.col("_related").is_not_null()).then(
            pl.format("related-article teaser after marker '{}'", pl.col("_related")))
        .when(pl.col("_phrase").is_not_null()).then(pl.format("boilerplate phrase: '{}'", pl.col("_phrase")))
        .when(pl.col("_bp_line")).then(pl.format("boilerplate line: '{}'", bare))
        .when(pl.col("_no_alnum")).then(pl.lit("separator: no letters or digits"))
        .when(pl.col("_credit")).then(pl.lit("photo/agency credit"))
        .when(pl.col("kind") == "timestamp").then(pl.lit("timestamp"))
        .otherwise(pl.lit("short line in a paragraph of page debris"))
    )
    heading_reason = pl.lit("section heading: short line without final punctuation between paragraphs")
    return frame.with_columns(role.alias("role")).with_columns(
        pl.when(pl.col("role").is_in(["headline", "body", "caption"])).then(None)
        .when(pl.col("role") == "heading").then(heading_reason)
        .otherwise(reason).alias("reason"))


def _merge_wrapped(frame: pl.DataFrame) -> pl.DataFrame:
    """Join hard-wrapped body lines (a line ending mid-sentence continues on the next line)."""
    whole_body = (pl.col("role") == "body") & (pl.col("_n") == 1)
    prev = lambda c: pl.col(c).shift(1).over("_a")  # noqa: E731
    continues = (whole_body & prev("role").eq("body") & prev("_n").eq(1) & prev("block").eq(pl.col("block"))
                 & prev("line_no").eq(pl.col("line_no") - 1)
                 & ~prev("text").str.contains(r"[.!?…:;\"”’»)]$"))
    frame = frame.with_columns((~continues.fill_null(False)).cum_sum().alias("_g"))
    if frame["_g"].n_unique() == frame.height:
        return frame
    joiner = pl.when(pl.col("_g").shift(-1) == pl.col("_g")).then(
        pl.concat_str([pl.col("_tail"), pl.lit("\n"), pl.col("_head").shift(-1)])).otherwise(pl.lit(""))
    return (
        frame.with_columns(pl.concat_str([pl.col("text"), joiner]).alias("text"))
        .group_by("_g", maintain_order=True)
        .agg(pl.col("_a", "article_id", "role", "reason").first(), pl.col("text").str.join(""),
             pl.col("char_start").min(), pl.col("char_end").max())
    )


def clean(articles: pl.DataFrame) -> pl.DataFrame:
    """Article frame (``article_id``, ``text``) → Segment frame: ``article_id, segment_index,
    text, role, reason, char_start, char_end`` for every piece of every article, in order."""
    if articles.height == 0:
        return pl.DataFrame(schema=SEGMENT_SCHEMA)
    book = phrasebook()
    pieces = _pieces(_lines(articles.select("article_id", "text")), book)
    if pieces.height == 0:
        return pl.DataFrame(schema=SEGMENT_SCHEMA)
    segments = _merge_wrapped(_roles(pieces, book))
    return segments.select(
        "article_id",
        pl.int_range(pl.len(), dtype=pl.Int64).over("_a").alias("segment_index"),
        "text", "role", "reason", "char_start", "char_end",
    ).cast(SEGMENT_SCHEMA)


def has_article_text(text: str) -> bool:
    """True when ``text`` has at least one body/caption segment of some length (not only a
    title, navigation words and cookie notices). Used by ingest to reject debris-only pages."""
    segments = clean(pl.DataFrame({"article_id": ["page"], "text": [text]}))
    kept = segments.filter(pl.col("role").is_in(["body", "caption"]))
    long_enough = (kept["text"].str.count_matches(r"\S+") >= 4) | (kept["text"].str.len_chars() >= 25)
    return bool(long_enough.any())
