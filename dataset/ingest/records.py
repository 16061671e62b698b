"""Raw records → Article rows (plus reject columns), vectorised over a batch.

Checks run in a fixed order and the first failing one names the record's reason: read errors
from the reader, NUL bytes, missing text, too large, empty article, unparseable date, then
duplicate ids across the whole run (first one wins).
"""

from __future__ import annotations

import hashlib
import unicodedata

import polars as pl

from conflictset.dataset.clean import has_article_text
from conflictset.dataset.ingest.decode import MAX_RECORD_BYTES
from conflictset.dataset.ingest.readers import FIELDS, RAW_SCHEMA, html_record
from conflictset.schemas.pipeline import INGESTED_SCHEMA
from conflictset.schemas.reasons import Reason

#: ISO 8601 date, optionally with a time and zone; we keep the calendar date as written
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"


#: text made only of these code points is already NFC (checked exhaustively, pairs included):
#: Latin, IPA, general punctuation and currency. Only other rows pay for Python's normalize.
_MAYBE_NOT_NFC = r"[^\x00-\x{02FF}\x{2010}-\x{206F}\x{20A0}-\x{20CF}]"


def _nfc(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """NFC-normalise ``columns``; polars' own normalize is ~3x slower than this on news text."""
    updates = []
    for name in columns:
        # ASCII rows (as many bytes as characters) are NFC: only the others pay for the scan
        column = frame[name]
        non_ascii = (column.str.len_bytes() != column.str.len_chars()).fill_null(False).arg_true()
        todo = non_ascii.filter(column.gather(non_ascii).str.contains(_MAYBE_NOT_NFC))
        if not todo.len():
            continue
        # only those rows cross into Python and back, not the whole column
        normalised = [unicodedata.normalize("NFC", v) for v in column.gather(todo).to_list()]
        updates.append(column.clone().scatter(todo, normalised))
    return frame.with_columns(updates) if updates else frame


def _extract_html_rows(raw: pl.DataFrame) -> pl.DataFrame:
    """Records that give ``html`` but no ``text`` (JSONL/CSV/Parquet): run main-text extraction."""
    todo = raw["html"].is_not_null() & raw["text"].is_null() & raw["reason"].is_null()
    if not todo.any():
        return raw
    rows = raw.to_dicts()
    for i in todo.arg_true().to_list():
        page = html_record(rows[i]["html"])
        for key, value in page.items():
            if rows[i].get(key) is None or key == "text":
                rows[i][key] = value
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


def _page_is_debris(frame: pl.DataFrame) -> pl.Series:
    """True where an HTML record's extracted text has no article line (only nav, cookie notices);
    :func:`.clean.has_article_text` decides, as clean owns the boilerplate phrase lists."""
    from_html = ((frame["format"] == "html") | frame["html"].is_not_null()) & frame["text"].is_not_null() \
        & frame["reason"].is_null()
    flags = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    at = from_html.arg_true()
    if at.len():
        debris = [not ok for ok in has_article_text(frame["text"].gather(at).to_list())]
        flags = flags.scatter(at, debris)
    return flags


def _first_failure(frame: pl.DataFrame,
                   *checks: tuple[pl.Expr, Reason, str | pl.Expr | None, pl.Expr]) -> pl.DataFrame:
    """``frame`` with reason/field/message from the first failing (condition, reason, field,
    message) of each row not yet rejected. Most batches have no failure: the messages, built for
    every row, are then skipped."""
    pending = pl.col("reason").is_null()
    if not frame.select((pending & pl.any_horizontal([c for c, *_ in checks])).any()).item():
        return frame
    reason = pl.col("reason")
    field = pl.col("field")
    message = pl.col("message")
    for cond, code, fld, msg in reversed(checks):
        hit = pending & cond
        reason = pl.when(hit).then(pl.lit(code.value)).otherwise(reason)
        fld = fld if isinstance(fld, pl.Expr) else pl.lit(fld, pl.String)
        field = pl.when(hit).then(fld).otherwise(field)
        message = pl.when(hit).then(msg).otherwise(message)
    return frame.with_columns(reason.alias("reason"), field.alias("field"), message.alias("message"))


def _where(prefix: str = "") -> pl.Expr:
    """``FILE line N: `` (JSONL) or ``FILE row N: `` — every message names file and row."""
    unit = pl.when(pl.col("format") == "jsonl").then(pl.lit("line")).otherwise(pl.lit("row"))
    return pl.format("{} {} {}: " + prefix, pl.col("source_file"), unit, pl.col("source_row").fill_null(0))


def normalise_batch(raw: pl.DataFrame) -> pl.DataFrame:
    """A reader batch (``RAW_SCHEMA``) → article columns + reject columns (ids not yet assigned)."""
    raw = _extract_html_rows(raw.select([pl.col(c).cast(t) for c, t in RAW_SCHEMA.items()]))
    debris = _page_is_debris(raw)
    text_fields = [f for f in FIELDS if f != "html"]
    with_cr = [f for f in text_fields if raw[f].str.contains("\r", literal=True).any()]
    frame = _nfc(raw.with_columns(
        [pl.col(f).str.replace_all("\r\n", "\n", literal=True).str.replace_all("\r", "\n", literal=True)
         for f in with_cr],
        _debris=debris,
    ), text_fields)
    nul_field = pl.coalesce([pl.when(pl.col(f).str.contains("\x00", literal=True)).then(pl.lit(f))
                             for f in text_fields])
    date_text = pl.col("published_at").str.strip_chars()
    date_ok = date_text.str.contains(_ISO_DATE) & date_text.str.slice(0, 10).str.strptime(
        pl.Date, "%Y-%m-%d", strict=False).is_not_null()
    frame = _first_failure(
        frame,
        (nul_field.is_not_null(), Reason.NUL_BYTES, nul_field,
         _where().add(pl.format("field '{}' contains NUL bytes; this is binary or a broken export — fix: "
                                "remove the NUL bytes", nul_field))),
        (pl.col("text").is_null() & (pl.col("format") == "jsonl"), Reason.MISSING_TEXT, "text",
         _where("the record has no 'text' or 'html' field (or both are null) — fix: add the article text")),
        (pl.col("text").str.len_bytes() > MAX_RECORD_BYTES, Reason.TOO_LARGE, "text",
         _where(f"the article is over the {MAX_RECORD_BYTES:,}-byte limit — fix: split it")),
        (pl.col("_debris"), Reason.EMPTY_ARTICLE, "text",
         _where("the page has no article text, only navigation, scripts or cookie notices "
                "(raw keeps what was extracted) — fix: check the page or leave it out")),
        (~pl.col("text").str.contains(r"\S").fill_null(False), Reason.EMPTY_ARTICLE, "text",
         _where("the article is empty (no text, or only whitespace) — fix: leave it out or add its text")),
        (date_text.is_not_null() & (date_text != "") & ~date_ok, Reason.WRONG_TYPE, "published_at",
         _where().add(pl.format("published_at {} is not an ISO date (expected YYYY-MM-DD, optionally "
                                "with a time) — fix: reformat it or leave it empty",
                                pl.col("published_at").str.slice(0, 60)))),
    )
    good = pl.col("reason").is_null()
    title = pl.col("title").str.replace_all(r"\s+", " ").str.strip_chars()
    title = pl.when(title == "").then(None).otherwise(title)
    # only the head of the text matters here; slicing first avoids copying whole articles
    head = pl.col("text").str.slice(0, 1000).str.strip_chars_start()
    first_line = head.str.split_exact("\n", 1).struct.field("field_0").str.strip_chars()
    title_head = pl.col("text").str.slice(0, title.str.len_chars().fill_null(0) + 64).str.strip_chars_start()
    text = pl.when(good & title.is_not_null() & ~title_head.str.starts_with(title.fill_null("")))
    text = text.then(pl.concat_str([title, pl.lit("\n\n"), pl.col("text")])).otherwise(pl.col("text"))

    def blank_to_null(name: str, lower: bool = False) -> pl.Expr:
        value = pl.col(name).str.strip_chars()
        value = value.str.to_lowercase() if lower else value
        return pl.when(value == "").then(None).otherwise(value).alias(name)

    out = frame.select(
        blank_to_null("id").alias("article_id"),
        pl.coalesce([title, pl.when(good).then(first_line)]).alias("title"),
        pl.when(good).then(text).alias("text"),
        blank_to_null("url"),
        blank_to_null("source"),
        pl.when(good & date_ok).then(date_text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        .alias("published_at"),
        blank_to_null("language", lower=True),
        "source_file", "source_row", "reason", "field", "message", "raw",
    )
    needs_raw = out["reason"].is_not_null() & out["raw"].is_null()
    if needs_raw.any():  # rejected after reading: keep the record itself, as JSON
        record_json = frame.select(pl.struct([pl.col(f) for f in FIELDS]).struct.json_encode())
        out = out.with_columns(pl.when(needs_raw).then(record_json.to_series()).otherwise(pl.col("raw")).alias("raw"))
    return out


class DuplicateIds:
    """Article ids seen so far in a run; the first one wins.

    Memory stays flat in the number of articles: per id seen we keep a 64-bit digest of the id,
    a 64-bit fingerprint of its text (to tell an exact repeat from a different text), the index
    of its source file and its row — 28 bytes in polars frames (one chunk per batch, never
    re-copied), instead of the id, the path and a tuple in a dict (~0.35 KB; measured over a
    million articles: +44 MB RSS instead of +339 MB, and faster). Each batch costs one vectorised
    scan of the seen digests. Two different ids share a digest with probability about n²/2⁶⁵
    (3·10⁻⁸ for a million articles).
    """

    _SCHEMA = {"_key": pl.UInt64, "_print": pl.UInt64, "_file": pl.UInt32, "_frow": pl.Int64}
    #: :meth:`known` and ``seed``: the file by name, so shards read on different workers agree
    KNOWN_SCHEMA = {"_key": pl.UInt64, "_print": pl.UInt64, "source_file": pl.String, "_frow": pl.Int64}

    def __init__(self, seed: pl.DataFrame | None = None) -> None:
        """``seed`` (:data:`KNOWN_SCHEMA`): first occurrences from earlier parts of the run, e.g.
        the shards before this one when an engine reads shards apart."""
        self._chunks: list[pl.DataFrame] = []  # one per batch; never re-copied into one buffer
        self._files: dict[str, int] = {}
        if seed is not None and seed.height:
            for name in seed.get_column("source_file").unique(maintain_order=True).to_list():
                self._files.setdefault(name, len(self._files))
            self._chunks.append(seed.select(
                "_key", "_print", pl.col("source_file").replace_strict(self._files, return_dtype=pl.UInt32)
                .alias("_file"), "_frow").cast(self._SCHEMA))

    def known(self) -> pl.DataFrame:
        """The first occurrence of every id seen so far (:data:`KNOWN_SCHEMA`), in input order."""
        if not self._chunks:
            return pl.DataFrame(schema=self.KNOWN_SCHEMA)
        names = dict(enumerate(self._files))
        return pl.concat(self._chunks).select(
            "_key", "_print", pl.col("_file").replace_strict(names, return_dtype=pl.String).alias("source_file"),
            "_frow")

    @staticmethod
    def _key(ids: pl.Expr) -> pl.Expr:
        # a keyed digest of the id (stable within a run, which is all we need)
        return ids.hash(seed=17)

    def assign(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Fill hash ids for records without one and quarantine repeated ids."""
        good = frame["reason"].is_null()
        missing = (good & frame["article_id"].is_null()).arg_true()
        if missing.len():
            texts = frame["text"].gather(missing).to_list()
            ids = frame["article_id"].scatter(
                missing, ["a" + hashlib.sha256(t.encode("utf-8")).hexdigest()[:16] for t in texts])
            frame = frame.with_columns(ids.alias("article_id"))
        if not good.any():
            return frame.select(list(INGESTED_SCHEMA))
        for name in frame.filter(good).get_column("source_file").unique(maintain_order=True).to_list():
            self._files.setdefault(name, len(self._files))
        rows = (frame.with_row_index("_i").filter(good).select(
            "_i", "article_id", "source_file", "source_row",
            self._key(pl.col("article_id")).alias("_key"),
            # a within-run fingerprint (polars' hash) tells an exact repeat from a different text
            pl.col("text").hash(seed=0).alias("_print"),
            pl.col("source_file").replace_strict(self._files, return_dtype=pl.UInt32).alias("_file"),
            pl.col("source_row").cast(pl.Int64).alias("_frow")))
        seen = (pl.concat(self._chunks, rechunk=False) if self._chunks
                else pl.DataFrame(schema=self._SCHEMA))
        # one vectorised scan of the (compact) seen keys per batch; the rest works on small frames
        earlier = seen.filter(pl.col("_key").is_in(rows.get_column("_key").implode()))
        first_here = pl.col("_key").is_first_distinct()
        new = rows.filter(first_here).select([pl.col(c).cast(t) for c, t in self._SCHEMA.items()])
        # the first occurrence of every key: from earlier batches, else the first row here
        firsts = pl.concat([earlier, new.join(earlier, on="_key", how="anti")])
        dup = (rows.with_columns(first_here.alias("_first"))
               .filter(~pl.col("_first") | pl.col("_key").is_in(earlier.get_column("_key").implode()))
               .join(firsts.rename({"_print": "_p1", "_file": "_f1", "_frow": "_r1"}), on="_key", how="left",
                     maintain_order="left"))
        self._chunks.append(new.join(earlier, on="_key", how="anti").rechunk())
        if dup.height:
            # duplicates are rare: their messages are written in Python
            files = list(self._files)
            messages = [
                f"{file} row {row}: article id {aid!r} is "
                + ("an exact repeat (same id, same text)" if p1 == p else "the same id with a different text")
                + f" of {files[f1]} row {r1}; the first one was kept — fix: give each article a unique id "
                  "or remove the repeat"
                for file, row, aid, p, p1, f1, r1 in dup.select(
                    "source_file", "source_row", "article_id", "_print", "_p1", "_f1", "_r1").iter_rows()]
            found = dup.select("_i").with_columns(pl.Series("_message", messages, dtype=pl.String))
            frame = (frame.with_row_index("_i").join(found, on="_i", how="left", maintain_order="left")
                     .drop("_i"))
            mask = pl.col("_message").is_not_null()
            frame = frame.with_columns(
                pl.when(mask).then(pl.lit(Reason.DUPLICATE_ID.value)).otherwise(pl.col("reason")).alias("reason"),
                pl.when(mask).then(pl.lit("id")).otherwise(pl.col("field")).alias("field"),
                pl.when(mask).then(pl.col("_message")).otherwise(pl.col("message")).alias("message"),
                pl.when(mask).then(pl.col("text")).otherwise(pl.col("raw")).alias("raw"),
                pl.when(mask).then(None).otherwise(pl.col("text")).alias("text"),
            )
        return frame.select(list(INGESTED_SCHEMA))
