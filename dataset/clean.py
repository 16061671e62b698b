"""Stage ``clean``: split each article into segments and give every segment a role.

Roles: ``headline`` (first non-empty line), ``body``, ``caption`` (a line carrying a trailing
photo credit), ``credit`` (``Foto: AFP``, ``AFP PHOTO / NAME``, ``(c) Reuters``), ``heading``
(a short line without final punctuation between paragraphs), ``boilerplate`` (consent,
subscribe and share debris, separator lines, stray timestamps) and ``related`` (a teaser of
another article: from a marker such as ``Lees ook``/``Read more`` to the end of its paragraph).
Only ``SENTENCE_ROLES`` become sentences; every other segment carries a ``reason``. Nothing
is dropped: every non-blank piece of every article is a segment (only separators such as
" - " between a caption and its credit fall between segments), and
``article.text[char_start:char_end] == segment.text`` (Python code points).

The phrase lists are data (``dataset/data/boilerplate/*.toml``, one file per language); all
languages' lists apply to every article, because pages mix languages (a Dutch page with an
English photo caption).

How: articles are exploded into lines and everything is decided with polars expressions
(Aho–Corasick phrase search, Rust regexes, shifts and fills over runs of sorted rows instead of
window functions). A trailing credit (``caption - Foto: AFP``) is cut off with regex groups on
the few lines that mention a credit label. Only lines holding a glued date — rare — go through
a Python splitter, which cuts ``Fallujah2016-05-23 19:01:33 A member …`` into teaser,
timestamp and caption.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from conflictset.dataset.runs import first_in, last_in, run_any, run_cum_sum, run_first, run_last
from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.pipeline import Segment

BOILERPLATE_DIR = Path(__file__).resolve().parent / "data" / "boilerplate"
SEGMENT_SCHEMA: dict[str, pl.DataType] = dtypes(Segment)

#: a date (ISO or day-month-year) with an optional time, not inside a longer number
_DATE = r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
_TIME = r"(?:,?[T ]\s*\d{1,2}[:.]\d{2}(?::\d{2})?)"
# (no leading look-behind: a pattern starting with a digit class lets `re` skip ahead fast;
# a date inside a longer number is rejected in code)
_DATE_TIME = re.compile(rf"{_DATE}(?:{_TIME})?")
_DATE_ONLY = re.compile(_DATE)
#: Rust-side prefilter: the line has a date the splitter would cut out (glued to a letter or
#: punctuation, at the line start, followed by a letter, or carrying a time)
_GLUE_HINT = rf"(?:^|[\p{{L}}.!?)\"”’»]){_DATE}|{_DATE}(?:{_TIME}|\p{{L}})"
#: every date has a separator right before a digit: this regex opens with a byte set the engine
#: finds fast, while _GLUE_HINT (letter classes first) costs 5× as much, so it only sees these lines
_DATE_HINT = r"[-/.]\d"
#: a credit is short; longer matches are prose that happens to start with "Photo:" etc.
#: (checked in code: bounded repeats such as {1,100} make the regexes slow to compile)
MAX_CREDIT_CHARS = 100
_GLUE_BEFORE = set(".!?)\"”’»")
_FINAL_PUNCT = r"[.!?:;,…\"”’»)\]]$"
@dataclass(frozen=True)
class Phrasebook:
    """The union of every language file's lists (lower-cased) and the regexes built from them."""

    phrases: tuple[str, ...]
    lines: tuple[str, ...]
    markers: tuple[str, ...]
    agencies: tuple[str, ...]
    credit_full: str              # Rust regex: the whole piece is a credit
    credit_after_separator: str   # Rust regex: caption, " - " / " / " / "(", credit to the end
    credit_after_sentence: str    # Rust regex: caption ending a sentence, space, credit to the end
    label_hint: str               # Rust regex: "<label>:" somewhere in the line
    label_words: tuple[str, ...]  # the labels, for a fast prefilter of label_hint
    keywords: tuple[str, ...]     # substrings of credit patterns (lower-case)
    hint: str                     # Rust regex: a phrase or keyword may be in the line (see _pieces)
    marker_regex: str             # Rust regex: a related-article marker at the start of a piece
    longest_line: int             # longest entry of `lines`/`agencies` (shorter pieces are looked up)
    cue_regex: str                # Rust regex: a cue (at a word start) that makes a SHORT line debris
    cue_literals: tuple[str, ...]  # the cues, for a fast Aho–Corasick prefilter
    staff: tuple[str, ...]        # whole-line bylines ("Redactie", "Staff reporter")
    caption_labels: tuple[str, ...]  # whole-line image-caption labels; the next line is the caption
    byline_regex: str             # Rust regex: "By / Par / Door / Von / Por / بقلم" + a name
    timestamp_words: str          # Rust regex: date/time words and time-like numbers (lower-case text)
    timestamp_strip: str          # Rust regex: what a timestamp line may consist of besides one word
    agency_end: str               # Rust regex: a short line ending in an agency ("Le Monde avec AFP")


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
    comma_labels = "|".join(re.escape(v) for v in _union(books, "credit", "comma_labels"))
    # "<label>: <name>"; the few "source" labels also take a comma ("Image source, Reuters")
    labelled = rf"(?:{labels})\s*:\s*[^\n()]+" + (rf"|(?:{comma_labels})\s*[:,،]\s*[^\n()]+" if comma_labels else "")
    # credits: "<label>: <name>" or a pattern from the files (Rust regex syntax, no look-around)
    core = "|".join([labelled, *patterns])
    end = r"\s*[)\]]?\.?\s*$"  # closing bracket, full stop
    keywords = sorted(set(_union(books, "credit", "keywords")) | {"©", "(c)", "copyright"})
    markers = _union(books, "related", "markers")
    lines = _union(books, "boilerplate", "lines")
    agencies = _union(books, "credit", "agencies")
    phrases = _union(books, "boilerplate", "phrases")
    prefixes = "|".join(re.escape(v) for v in _union(books, "byline", "prefixes"))
    words = _union(books, "timestamp", "words")
    connectors = _union(books, "timestamp", "connectors")
    word_alt = "|".join(re.escape(w) for w in words)
    # a time (14:32, 08h12, 9.15), a numeric date, or a date/time word
    time_like = r"\d{1,2}[:.h]\d{2}|\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}"
    strip_words = "|".join(re.escape(w) for w in words + connectors + agencies)
    return Phrasebook(
        phrases=phrases, lines=lines, markers=markers, agencies=agencies,
        credit_full=rf"(?i)^\(?\s*(?:{core}){end}",
        # unanchored at the start: the engine finds the span fast, groups are resolved only there
        credit_after_separator=rf"(?i)(?P<sep>\s+[-–—|/•·]\s*|\s*[(\[]\s*)(?P<credit>{core})(?P<end>{end})",
        credit_after_sentence=rf"(?i)[.!?\"”’)](?P<sep>\s+)(?P<credit>{core})(?P<end>{end})",
        label_hint=rf"(?i)\b(?:{labels})\s*:" + (rf"|\b(?:{comma_labels})\s*[,،]" if comma_labels else ""),
        keywords=tuple(keywords),
        label_words=_union(books, "credit", "labels") + _union(books, "credit", "comma_labels"),
        hint="(?i)" + "|".join(map(re.escape, phrases + tuple(keywords))),
        marker_regex="(?i)^((?:" + "|".join(map(re.escape, markers)) + r"))(?:$|[^\p{L}\p{N}])",
        longest_line=max(map(len, lines + agencies + _union(books, "byline", "staff")
                             + _union(books, "caption", "labels"))) + 4,
        cue_regex=r"(?i)\b(?:" + "|".join(map(re.escape, _union(books, "boilerplate", "cues"))) + ")",
        cue_literals=_union(books, "boilerplate", "cues"), staff=_union(books, "byline", "staff"),
        caption_labels=_union(books, "caption", "labels"),
        # the prefix ignores case; a name (a capital, or a letter of a caseless script) must follow
        byline_regex=rf"^(?i:{prefixes})\s*[:：]?\s+\S",
        timestamp_words=rf"{time_like}|\b(?:{word_alt})\b",
        agency_end=r"\s(?:" + "|".join(map(re.escape, agencies)) + r")\)?$",
        timestamp_strip=rf"\b(?:{strip_words})\b|\d+\p{{L}}{{0,3}}|[^\p{{L}}\d]+",
    )


# ---------------------------------------------------------------------------- splitting

def _strip(line: str, start: int, end: int) -> tuple[int, int]:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return start, end


def split_glued(line: str, dates: list[str] | None = None) -> list[tuple[int, int, str]]:
    """Cut glued timestamps out of one stripped line: ``(start, end, kind)`` pieces with kind
    text or timestamp, offsets into ``line``. ``centrum Fallujah2016-05-23 19:01:33 A member``
    → ``centrum Fallujah`` | ``2016-05-23 19:01:33`` | ``A member``.

    ``dates``: the date(-time) matches in order, if already found (by polars, which scans far
    faster than ``re``); located here with ``str.find``."""
    if dates is None:
        dates = [m.group() for m in _DATE_TIME.finditer(line)]
    cuts: list[tuple[int, int]] = []
    pos = 0
    for date in dates:
        s = line.find(date, pos)
        if s < 0:
            continue
        e = pos = s + len(date)
        if (s > 0 and line[s - 1].isdigit()) or (e < len(line) and line[e].isdigit()):
            continue  # part of a longer number
        glued_left = s > 0 and (line[s - 1].isalpha() or line[s - 1] in _GLUE_BEFORE)
        glued_right = e < len(line) and line[e].isalpha()
        at_start = s == 0  # lines come stripped (a slice here would be quadratic on huge lines)
        has_time = _DATE_ONLY.fullmatch(date) is None
        if glued_left or glued_right or at_start or has_time:
            cuts.append((s, e))
    pieces: list[tuple[int, int, str]] = []
    pos = 0
    for s, e in cuts + [(len(line), len(line))]:
        ps, pe = _strip(line, pos, s)
        if pe > ps and any(ch.isalnum() for ch in line[ps:pe]):  # drop bare " - " separators
            pieces.append((ps, pe, "text"))
        if e > s:
            pieces.append((s, e, "timestamp"))
        pos = e
    return pieces or [(0, len(line), "text")]


# ---------------------------------------------------------------------------- frames
# Rows stay sorted by article, line and piece, so "per article" and "per paragraph" values are
# run values (:mod:`dataset.runs`).

def _lines(articles: pl.DataFrame) -> pl.DataFrame:
    """Non-blank lines with their paragraph (``_blk``, unique over the frame) and stripped offsets."""
    exploded = (
        articles.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_a"), "article_id",
                        pl.col("text").str.split("\n").alias("line"))
        .explode("line")
        .with_columns(pl.col("line").str.len_chars().cast(pl.Int64).alias("_len"),
                      pl.int_range(pl.len(), dtype=pl.Int64).alias("_l"),
                      ~pl.col("line").str.contains(r"\S").alias("_blank"))
    )
    step = pl.col("_len") + 1
    before = step.cum_sum() - step  # characters before this line, counted over the whole frame
    lines = exploded.with_columns(
        (before - run_first(before, "_a")).alias("_line_start"),
        (pl.col("_l") - run_first(pl.col("_l"), "_a")).alias("line_no"),
        (pl.col("_blank") | first_in("_a")).cum_sum().alias("_blk"),
    ).filter(~pl.col("_blank"))
    lead = pl.col("_len") - pl.col("line").str.strip_chars_start().str.len_chars().cast(pl.Int64)
    # eager frames do not share common subexpressions: strip and count once, in steps
    lines = lines.with_columns(lead.alias("_lead"), pl.col("line").str.strip_chars().alias("text")) \
        .with_columns(pl.col("text").str.len_chars().cast(pl.Int64).alias("_chars"))
    return lines.select(
        "_a", "article_id", "_blk", "line_no", "_l", "text",
        (pl.col("_line_start") + pl.col("_lead")).alias("char_start"),
        (pl.col("_line_start") + pl.col("_lead") + pl.col("_chars")).alias("char_end"),
        pl.col("line").str.slice(0, pl.col("_lead")).alias("_head"),
        pl.col("line").str.slice(pl.col("_lead") + pl.col("_chars")).alias("_tail"),
    )


def _none(n: int) -> pl.Series:
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True)


def _replace_rows(frame: pl.DataFrame, mask: pl.Series, new_rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``frame`` where ``mask`` is true are replaced by ``new_rows`` (column ``_at``: the
    position of the row they replace, in order). Only this rarer path pays for a sort."""
    if new_rows.height == 0:
        return frame
    columns = frame.columns + ["_at"]
    keep = frame.lazy().with_row_index("_at").with_columns(pl.col("_at").cast(pl.Int64)).filter(~mask)
    return (pl.concat([keep.select(columns), new_rows.lazy().select(columns)])  # one query
            .sort("_at", maintain_order=True).drop("_at").collect(engine="in-memory"))


def _split_glued_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines → pieces; only lines with a glued date (rare) go through the Python splitter."""
    pieces = lines.with_columns(pl.lit(0, pl.Int64).alias("piece_no"), pl.lit("text").alias("kind"))
    dated = pieces["text"].str.contains(_DATE_HINT)
    cands = (pieces.filter(dated).with_columns(dated.arg_true().cast(pl.Int64).alias("_at"))
             .filter(pl.col("text").str.contains(_GLUE_HINT)))
    if cands.height == 0:
        return pieces
    rows: dict[str, list] = {"_at": [], "piece_no": [], "_s": [], "_e": [], "kind": [], "text": []}
    dates = cands.select(pl.col("text").str.extract_all(_DATE_TIME.pattern)).to_series().to_list()
    for i, text, found in zip(cands["_at"].to_list(), cands["text"].to_list(), dates):
        for k, (s, e, kind) in enumerate(split_glued(text, found)):
            # sliced here: polars slices by characters from the string start (quadratic on huge lines)
            for key, value in zip(rows, (i, k, s, e, kind, text[s:e])):
                rows[key].append(value)
    parts = pl.DataFrame(rows, schema={"_at": pl.Int64, "piece_no": pl.Int64, "_s": pl.Int64, "_e": pl.Int64,
                                        "kind": pl.String, "text": pl.String})
    split = (
        cands.drop("piece_no", "kind", "text")
        .join(parts, on="_at", how="inner", maintain_order="right")
        .with_columns(
            (pl.col("char_start") + pl.col("_e")).alias("char_end"),
            (pl.col("char_start") + pl.col("_s")).alias("char_start"),
        )
    )
    changed = split.filter(pl.col("_at").is_in(
        split.filter((pl.col("piece_no") > 0) | (pl.col("kind") != "text") | (pl.col("_s") > 0))["_at"]
        .implode()))
    mask = _none(pieces.height).scatter(changed["_at"].unique(), True) if changed.height else _none(pieces.height)
    return _replace_rows(pieces, mask, changed)


def _split_credits(pieces: pl.DataFrame, book: Phrasebook) -> pl.DataFrame:
    """A piece that is a credit becomes kind ``credit``; a piece ending in one (``caption -
    Foto: AFP``) becomes a ``captioned`` piece and a ``credit`` piece. Vectorised: cheap
    keyword scans pick the few candidate pieces, Rust regexes with groups give the offsets."""
    text = pl.col("text")
    # the label regex (case-insensitive, word boundaries) is slow on every line: an Aho–Corasick
    # scan for the label words picks the lines it runs on
    named = text.str.contains_any(list(book.label_words), ascii_case_insensitive=True)
    cands = (pieces.with_row_index("_at").with_columns(pl.col("_at").cast(pl.Int64))
             .filter((pl.col("kind") == "text") & (named | pl.col("_hit")))
             .with_columns((named & text.str.contains(book.label_hint)).alias("_label"))
             .filter(pl.col("_label") | text.str.contains_any(list(book.keywords), ascii_case_insensitive=True)))
    if cands.height == 0:
        return pieces
    cands = cands.with_columns(
        (text.str.contains(book.credit_full) & (text.str.len_chars() <= MAX_CREDIT_CHARS + 4)).alias("_full"),
        # a non-match gives a struct of nulls (not a null struct), so choose on a field
        pl.when(text.str.contains(book.credit_after_separator))
        .then(text.str.extract_groups(book.credit_after_separator))
        .otherwise(text.str.extract_groups(book.credit_after_sentence)).alias("_m"),
    ).with_columns(  # the caption is everything before the separator
        (text.str.len_chars() - pl.col("_m").struct.field("sep").str.len_chars()
         - pl.col("_m").struct.field("credit").str.len_chars()
         - pl.col("_m").struct.field("end").str.len_chars()).cast(pl.Int64).alias("_bl"),
        pl.col("_m").struct.field("credit").str.strip_chars_end().alias("_credit"),
    ).with_columns(
        text.str.slice(0, pl.col("_bl")).str.strip_chars_end().alias("_before"),
        (pl.col("_bl") + pl.col("_m").struct.field("sep").str.len_chars().cast(pl.Int64)).alias("_cs"),
    ).with_columns(
        (~pl.col("_full") & pl.col("_credit").is_not_null()
         & (pl.col("_credit").str.len_chars() <= MAX_CREDIT_CHARS)
         & pl.col("_before").str.contains(r"[\p{L}\p{N}]").fill_null(False)).alias("_split"),
    )
    full_at = cands.filter(pl.col("_full"))["_at"]
    if full_at.len():  # whole-piece credits only change their kind
        kind = pieces["kind"].scatter(full_at, "credit")
        pieces = pieces.with_columns(kind)
    split = cands.filter(pl.col("_split"))
    if split.height == 0:
        return pieces
    captions = split.with_columns(
        pl.col("piece_no") * 2, pl.lit("captioned").alias("kind"), pl.col("_before").alias("text"),
        (pl.col("char_start") + pl.col("_before").str.len_chars().cast(pl.Int64)).alias("char_end"))
    credits = split.with_columns(
        pl.col("piece_no") * 2 + 1, pl.lit("credit").alias("kind"), pl.col("_credit").alias("text"),
        (pl.col("char_start") + pl.col("_cs")).alias("char_start"),
        (pl.col("char_start") + pl.col("_cs") + pl.col("_credit").str.len_chars().cast(pl.Int64)).alias("char_end"))
    new_rows = pl.concat([captions.select(pieces.columns + ["_at"]), credits.select(pieces.columns + ["_at"])]) \
        .sort("_at", "piece_no")
    mask = _none(pieces.height).scatter(split["_at"], True)
    return _replace_rows(pieces, mask, new_rows)


def _pieces(lines: pl.DataFrame, book: Phrasebook) -> pl.DataFrame:
    # one scan for phrases and credit keywords together (a case-insensitive Rust regex matches
    # wherever the ASCII-case-insensitive lookups would); pieces are parts of their line, so only
    # pieces of the lines it flags (``_hit``) are searched for either
    lines = lines.with_columns(pl.col("text").str.contains(book.hint).alias("_hit"))
    pieces = _split_credits(_split_glued_lines(lines), book)
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    # pieces per line: single-piece lines can be headings, agency names, wrapped body lines
    return pieces.with_columns(index.alias("_p")).with_columns(
        (run_last(pl.col("_p"), "_l") - run_first(pl.col("_p"), "_l") + 1).alias("_n")).drop("_p")


def _where(frame: pl.DataFrame, rows: pl.Series, expr: pl.Expr) -> pl.Series:
    """``expr`` on the ``rows`` of ``frame`` only, null on the others: costly scans skip the
    pieces that cannot need them."""
    # lazy: only the columns ``expr`` reads are filtered
    found = frame.lazy().filter(rows).select(expr).collect().to_series()
    return pl.repeat(None, frame.height, dtype=found.dtype, eager=True).scatter(rows.arg_true(), found)


#: a short line that is only a name list ("Ruth Maclean in Dakar", "Jane Doe and John Roe")
_NAME_LINE = (r"^\p{Lu}[\p{L}'’.-]*(?:\s+(?:\p{Lu}[\p{L}'’.-]*|in|and|en|et|und|y|e|de|da|di|van|von|der|den|al|el"
              r"|bin|le|la|du))+$")
#: an e-mail address, an international phone number, or a phone label
_CONTACT = (r"[\w.+-]+@[\w-]+\.\w|\+\d{1,3}[\s\d()./-]{6,}|(?i:\b(?:tel|tél|phone|telefon|téléphone|teléfono"
            r"|fax|hotline)\b\.?\s*:)")
#: a line ending a sentence (debris rarely does; labels and buttons never)
_SENTENCE_END = r"[.!?…؟][\"”’»)]*$"
#: headings may end with a question mark ("Who is fighting in Sudan?"), not with other punctuation
_HEADING_BAD_END = r"[.!:;,…\"”’»)\]]$"
#: at most this many words (or characters) for the line-level signals: longer lines are prose
SHORT_WORDS, SHORT_CHARS = 12, 120


def _line_signals(pieces: pl.DataFrame, book: Phrasebook) -> pl.DataFrame:
    """Per-piece debris signals that generalise across outlets, each computed only on the short
    pieces a cheap prefilter lets through: timestamps (date/time words and numbers plus at most
    one other word), short lines with a button/paywall cue, contact details, bylines, name lines
    and short lines ending in an agency name."""
    text = pl.col("text")
    lower = text.str.to_lowercase()
    n_words, kind = pieces.get_column("_words"), pieces.get_column("kind")
    short = (n_words <= SHORT_WORDS) & (pieces.get_column("_chars") <= SHORT_CHARS) & (kind == "text")
    # one pass of cheap literal scans picks the rows each costlier regex needs to see
    pre = pieces.lazy().filter(short).select(
        text.str.contains(r"\d").alias("digit"),
        text.str.contains_any(list(book.cue_literals), ascii_case_insensitive=True).alias("cue"),
        text.str.contains_any(["@", "+", ":"]).alias("contact"),
        text.str.contains(_SENTENCE_END).alias("ends"),
    ).collect()
    at = short.arg_true()

    def spread(values: pl.Series, default: bool) -> pl.Series:
        return pl.repeat(default, pieces.height, dtype=pl.Boolean, eager=True).scatter(at, values)

    digit, ends = spread(pre["digit"], False), spread(pre["ends"], True)
    rest = lower.str.replace_all(book.timestamp_strip, " ").str.count_matches(r"\p{L}+")
    # a lone other word (a place, "Nieuwsbericht") only beside a number: "A second line." is prose
    timestamp = lower.str.contains(book.timestamp_words) & ((rest == 0) | ((rest <= 1) & pl.col("_digit")))
    pieces = pieces.with_columns(digit.alias("_digit"), ends.alias("ends"))
    flags = {
        "ts": (short & (n_words <= 12) & (digit | (n_words <= 4)), timestamp),
        "cue": (spread(pre["cue"], False) & (n_words <= 12) & (~ends | (n_words <= 6)),
                text.str.contains(book.cue_regex)),
        "contact": (spread(pre["contact"], False), text.str.contains(_CONTACT)),
        "byline": (short & (n_words <= 10) & ~ends,
                   text.str.contains(book.byline_regex) & text.str.slice(1).str.contains(r"[\p{Lu}\p{Lo}]")),
        "name": (short & n_words.is_between(2, 6) & ~ends, text.str.contains(_NAME_LINE)),
        "agency_end": (short & n_words.is_between(2, 5) & ~ends, lower.str.contains(book.agency_end)),
    }
    return pieces.with_columns(_where(pieces, rows, expr).fill_null(False).alias(name)
                               for name, (rows, expr) in flags.items()).drop("_digit")


def _roles(pieces: pl.DataFrame, book: Phrasebook) -> pl.DataFrame:
    text = pl.col("text")
    pieces = pieces.with_columns(text.str.len_chars().alias("_chars"),
                                 (text.str.slice(0, 80).str.count_matches(" ", literal=True) + 1).alias("_words"))
    chars, words = pieces.get_column("_chars"), pieces.get_column("_words")
    # phrases (lower-case) only in pieces of lines the hint flagged; ASCII-case-insensitive
    # Aho–Corasick on the original text saves lower-casing every line
    phrase = text.str.extract_many(list(book.phrases), ascii_case_insensitive=True).list.first().str.to_lowercase()
    # whole-line lists only matter for short pieces: never scan long paragraphs
    bare = text.str.to_lowercase().str.strip_chars(" \t.:!?|•·-–—*>»«()[],،")
    title_rows = (words.is_between(1, 10) & (chars <= 80) & (pieces.get_column("_n") == 1)
                  & (pieces.get_column("kind") == "text"))
    title = (~text.str.contains(_HEADING_BAD_END) & text.str.contains(r"\p{L}") & ~text.str.contains(r"^\p{Ll}")
             & ((pl.col("_words") <= 5) | text.str.contains(r"[?؟]$")))
    pieces = pieces.with_columns(
        _where(pieces, pieces.get_column("_hit"), phrase).alias("_phrase"),
        _where(pieces, chars <= book.longest_line, bare).alias("_bare"),
        _where(pieces, title_rows, title).fill_null(False).alias("_title"),
    )
    pieces = _line_signals(pieces, book)
    marker = text.str.extract(book.marker_regex, 1)
    is_text = pl.col("kind") == "text"
    whole = pl.col("_n") == 1
    words = pl.col("_words")
    # one lazy query: polars runs the independent scans in parallel; later steps read the columns
    # earlier ones wrote (an expression reused inside one step would be evaluated again)
    frame = pieces.lazy().with_columns(
        ~text.str.contains(r"[\p{L}\p{N}]").alias("_no_alnum"),
        pl.when(is_text).then(marker).alias("_marker"),
        pl.col("_bare").is_in(list(book.lines)).fill_null(False).alias("_bp_line"),
        (is_text & whole & pl.col("_bare").is_in(list(book.caption_labels)).fill_null(False)).alias("_caplabel"),
        ((pl.col("kind") == "credit")
         | (whole & pl.col("_bare").is_in(list(book.agencies)).fill_null(False))).alias("_photo"),
        (is_text & (pl.col("byline") | pl.col("agency_end")
                    | (whole & pl.col("_bare").is_in(list(book.staff)).fill_null(False)))).alias("_byline"),
        # a short line without a full stop: a label, a button, a tag
        ((words <= 6) & ~pl.col("ends")).alias("_listy"),
        (pl.col("_blk").shift(1) == pl.col("_blk")).fill_null(False).alias("_same_prev"),
        (pl.col("_blk").shift(-1) == pl.col("_blk")).fill_null(False).alias("_same_next"),
    )
    label_bp = pl.col("_phrase").is_not_null() | pl.col("_bp_line") | pl.col("cue")
    bp = label_bp | pl.col("_no_alnum") | pl.col("ts") | pl.col("contact") | pl.col("_caplabel")
    # a related marker opens a teaser that runs to the end of its paragraph, or to a debris label
    # ("Meer over", a tag heading) inside it
    breaker = label_bp & whole & pl.col("_marker").is_null()
    opened = pl.when(pl.col("_marker").is_not_null()).then(pl.col("_marker")).when(breaker).then(pl.lit(""))
    start_blk = pl.when(pl.col("_marker").is_not_null() | breaker).then(pl.col("_blk")).forward_fill()
    frame = frame.with_columns(bp.alias("_bp"), opened.forward_fill().alias("_open"), start_blk.alias("_open_blk"))
    related = pl.when((pl.col("_open_blk") == pl.col("_blk")) & (pl.col("_open") != "")).then(pl.col("_open"))
    prev = lambda c: pl.col("_same_prev") & pl.col(c).shift(1).fill_null(False)  # noqa: E731 — rows are sorted
    # outlet name on the line under a byline ("By Jane Doe" / "Reuters")
    outlet = is_text & prev("_byline") & (words <= 5) & ~pl.col("ends") & ~pl.col("_bp")
    frame = frame.with_columns(related.alias("_related"), outlet.alias("_outlet"))
    debris = (pl.col("_bp") | pl.col("_photo") | pl.col("_byline") | pl.col("_outlet") | (pl.col("kind") == "timestamp")
              | pl.col("_related").is_not_null())
    frame = frame.with_columns(debris.alias("_debris"))
    # a block of short lines without full stops, three or more of them not debris already: tags,
    # menus, metadata rows (a headline above two metadata lines is not such a block)
    label = (pl.col("_listy") & ~pl.col("_debris") & (words <= 3)).cast(pl.Int64)
    count = label.cum_sum()
    listed = run_last(count, "_blk") - run_first(count - label, "_blk")
    frame = frame.with_columns(((listed >= 3) & ~run_any(~pl.col("_listy"), "_blk")).alias("_list"),
                               run_any(pl.col("_debris"), "_blk").alias("_near"))
    # the headline is the first line that is not page debris (cookie walls can come first); a
    # short section label ("Africa", "Regio") right above a longer title in its block is not it
    cand = ~pl.col("_debris") & ~pl.col("_list") & ~(pl.col("_near") & pl.col("_listy") & (words <= 3))
    frame = frame.with_columns(cand.alias("_cand"))
    title_like = (pl.col("_cand") & (words >= 4) & (words <= 30) & ~text.str.contains(r"[.!]$")).cast(pl.Int64)
    frame = frame.with_columns(title_like.alias("_tl"))
    before_title = (run_cum_sum(pl.col("_tl"), "_a") - pl.col("_tl")) == 0
    kicker = pl.col("_cand") & (words <= 3) & before_title & run_any(pl.col("_tl") > 0, "_blk")
    frame = frame.with_columns(kicker.alias("_kicker"))
    kept = (pl.col("_cand") & ~pl.col("_kicker")).cast(pl.Int64)
    kept_before = kept.cum_sum() - kept
    first_kept = (kept > 0) & ((kept_before - run_first(kept_before, "_a")) == 0)
    frame = frame.with_columns(first_kept.alias("_first"))
    headline_line = pl.when(pl.col("_first")).then(pl.col("_l")).forward_fill()
    headline_article = pl.when(pl.col("_first")).then(pl.col("_a")).forward_fill()
    is_headline = (headline_article == pl.col("_a")) & (headline_line == pl.col("_l"))
    frame = frame.with_columns(is_headline.fill_null(False).alias("_headline"))
    # the byline area: after the headline, before the first paragraph of prose
    prose = (pl.col("_cand") & (words >= 12)).cast(pl.Int64)
    seen_headline = run_cum_sum(pl.col("_headline").cast(pl.Int64), "_a") > 0
    byline_area = seen_headline & ~pl.col("_headline") & ((run_cum_sum(prose, "_a") - prose) == 0)
    name_credit = is_text & pl.col("name") & byline_area & pl.col("_near") & ~pl.col("_headline")
    # a caption sits next to its photo credit or under an image-caption label
    photo_prev = prev("_photo") | prev("_caplabel")
    photo_next = pl.col("_same_next") & pl.col("_photo").shift(-1).fill_null(False) & (words <= 40)
    caption = is_text & pl.col("_cand") & ~pl.col("_headline") & (photo_prev | photo_next) & (words <= 60)
    frame = frame.with_columns(name_credit.alias("_name_credit"), caption.alias("_caption"))
    # short lines in a paragraph of page debris (buttons next to a consent notice, tags under a label)
    debris_block = pl.col("_near") & pl.col("_listy") & ~pl.col("_caption")
    alone = first_in("_blk") & last_in("_blk")
    inner_block = (pl.col("_blk") != run_first(pl.col("_blk"), "_a")) & (
        pl.col("_blk") != run_last(pl.col("_blk"), "_a"))
    leads_paragraph = (first_in("_blk") & ~last_in("_blk") & (words.shift(-1) >= 6)
                       & (pl.col("_blk") != run_first(pl.col("_blk"), "_a")))
    heading = pl.col("_title") & ((alone & inner_block) | leads_paragraph)
    role = (
        pl.when(pl.col("_related").is_not_null()).then(pl.lit("related"))
        .when(pl.col("_bp")).then(pl.lit("boilerplate"))
        .when(pl.col("_photo") | pl.col("_byline") | pl.col("_outlet")).then(pl.lit("credit"))
        .when(pl.col("kind") == "timestamp").then(pl.lit("boilerplate"))
        .when(pl.col("_headline")).then(pl.lit("headline"))
        .when(pl.col("_kicker")).then(pl.lit("boilerplate"))
        .when(pl.col("kind") == "captioned").then(pl.lit("caption"))
        .when(pl.col("_name_credit")).then(pl.lit("credit"))
        .when(pl.col("_caption")).then(pl.lit("caption"))
        .when(debris_block | pl.col("_list")).then(pl.lit("boilerplate"))
        .when(heading).then(pl.lit("heading"))
        .otherwise(pl.lit("body"))
    )
    reason = (
        pl.when(pl.col("_related").is_not_null()).then(
            pl.format("related-article teaser after marker '{}'", pl.col("_related")))
        .when(pl.col("_phrase").is_not_null()).then(pl.format("boilerplate phrase: '{}'", pl.col("_phrase")))
        .when(pl.col("_bp_line")).then(pl.format("boilerplate line: '{}'", pl.col("_bare")))
        .when(pl.col("_no_alnum")).then(pl.lit("separator: no letters or digits"))
        .when(pl.col("_caplabel")).then(pl.lit("image-caption label"))
        .when(pl.col("ts")).then(pl.lit("timestamp: date and time words, numbers and at most one other word"))
        .when(pl.col("cue")).then(pl.lit("short line with a button, paywall or newsletter cue"))
        .when(pl.col("contact")).then(pl.lit("contact details (e-mail or phone)"))
        .when(pl.col("_photo")).then(pl.lit("photo/agency credit"))
        .when(pl.col("_byline")).then(pl.lit("byline"))
        .when(pl.col("_outlet")).then(pl.lit("outlet name under a byline"))
        .when(pl.col("kind") == "timestamp").then(pl.lit("timestamp"))
        .when(pl.col("_kicker")).then(pl.lit("section label above the headline"))
        .when(pl.col("_name_credit")).then(pl.lit("name line in the byline area"))
        .when(debris_block).then(pl.lit("short line in a paragraph of page debris"))
        .otherwise(pl.lit("block of short lines without full stops (tags, menu, buttons)"))
    )
    heading_reason = pl.lit("section heading: short line without final punctuation between paragraphs")
    frame = frame.with_columns(role.alias("role")).collect(engine="in-memory")  # ~3x less fixed cost per batch
    # kept roles have no reason: the formatting runs on the dropped pieces only
    dropped = ~frame.get_column("role").is_in(["headline", "body", "caption"])
    return frame.with_columns(
        _where(frame, dropped, pl.when(pl.col("role") == "heading").then(heading_reason).otherwise(reason))
        .alias("reason"))


def _merge_wrapped(frame: pl.DataFrame) -> pl.DataFrame:
    """Join hard-wrapped body lines (a line ending mid-sentence continues on the next line)."""
    whole_body = (pl.col("role") == "body") & (pl.col("_n") == 1)
    prev = lambda c: pl.col(c).shift(1)  # noqa: E731 — rows are sorted, _blk equality keeps the article
    continues = (whole_body & prev("role").eq("body") & prev("_n").eq(1) & prev("_blk").eq(pl.col("_blk"))
                 & prev("_l").eq(pl.col("_l") - 1) & ~prev("text").str.contains(r"[.!?…:;\"”’»)]$"))
    frame = frame.with_columns((~continues.fill_null(False)).cum_sum().alias("_g"))
    if frame["_g"][-1] == frame.height:  # nothing to merge (the usual case)
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
    segments = _merge_wrapped(_roles(pieces, book)).with_row_index("_r").with_columns(pl.col("_r").cast(pl.Int64))
    return segments.select(
        "article_id",
        (pl.col("_r") - run_first(pl.col("_r"), "_a")).alias("segment_index"),
        "text", "role", "reason", "char_start", "char_end",
    ).cast(SEGMENT_SCHEMA)


def has_article_text(texts: str | list[str]) -> bool | list[bool]:
    """Whether each text has a body or caption segment of some length (4+ words or 25+
    characters) — not only a title, navigation words and cookie notices. One ``clean`` call for
    the whole list; ingest uses it to reject pages that are nothing but debris."""
    single = isinstance(texts, str)
    texts = [texts] if single else list(texts)
    if not texts:
        return []
    articles = pl.DataFrame({"article_id": [str(i) for i in range(len(texts))], "text": texts})
    kept = clean(articles).filter(
        pl.col("role").is_in(["body", "caption"])
        & ((pl.col("text").str.count_matches(r"\S+") >= 4) | (pl.col("text").str.len_chars() >= 25)))
    found = set(kept["article_id"].to_list())
    flags = [str(i) in found for i in range(len(texts))]
    return flags[0] if single else flags
