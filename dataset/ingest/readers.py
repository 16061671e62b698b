"""One reader per input format. Each yields raw records as lists of dicts or DataFrames with
:data:`RAW_SCHEMA` (all strings, not yet normalised); unreadable records carry ``reason``,
``field``, ``message`` and ``raw`` and keep their ``source_file``/``source_row``.

``source_row`` is 1-based: 1 for a .txt/.html file, the line number in JSONL, the data record
number in CSV/Parquet (1 = first record after the header; a quoted field may span lines).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import mmap
import os
import re
from collections.abc import Generator, Iterator, Sequence

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from conflictset.dataset.ingest.decode import MAX_RECORD_BYTES, RAW_PREVIEW_CHARS, Rejected, decode, escaped, split_bom
from conflictset.dataset.ingest.fields import FIELDS, FieldMap, IngestOptions, hint
from conflictset.dataset.ingest.front_matter import split_front_matter
from conflictset.dataset.ingest.html import extract
from conflictset.schemas.reasons import Reason

__all__ = ["FIELDS", "RAW_SCHEMA", "READERS", "IngestOptions", "html_record", "reject"]
_DEFAULT = IngestOptions()
RAW_SCHEMA: dict[str, pl.DataType] = {
    **{f: pl.String() for f in FIELDS},
    "source_file": pl.String(), "source_row": pl.Int64(), "format": pl.String(),
    "reason": pl.String(), "field": pl.String(), "message": pl.String(), "raw": pl.String(),
}
Batch = list[dict] | pl.DataFrame


def reject(path: str, row: int | None, fmt: str, why: Rejected | Reason, message: str = "",
           raw: str | None = None, field: str | None = None) -> dict:
    if isinstance(why, Rejected):
        why, message, raw, field = why.reason, why.message, why.raw, why.field
    unit = "line" if fmt == "jsonl" else "row"
    message = f"{path}: {message}" if row is None else f"{path} {unit} {row}: {message}"
    return {"source_file": path, "source_row": row, "format": fmt, "reason": why.value,
            "field": field, "message": message, "raw": raw}


def _read_bytes(path: str, fmt: str) -> bytes | dict:
    size = os.path.getsize(path)
    if size == 0:
        return reject(path, None, fmt, Reason.EMPTY_FILE, "the file is empty (0 bytes)", raw="")
    with open(path, "rb") as fh:
        if size > MAX_RECORD_BYTES:
            head = fh.read(RAW_PREVIEW_CHARS * 4)
            return reject(path, 1, fmt, Reason.TOO_LARGE,
                          f"one article of {size:,} bytes is over the {MAX_RECORD_BYTES:,}-byte limit (raw "
                          f"keeps the first {RAW_PREVIEW_CHARS:,} characters) — fix: split the file",
                          raw=escaped(head)[:RAW_PREVIEW_CHARS])
        return fh.read()


def read_txt(path: str, options: IngestOptions = _DEFAULT) -> Iterator[Batch]:
    """One article; header lines or YAML front matter at the top give its metadata
    (:mod:`.front_matter`), the rest is the text."""
    data = _read_bytes(path, "txt")
    if isinstance(data, dict):
        yield [data]
        return
    text = decode(data, what="the file")
    if isinstance(text, Rejected):
        yield [reject(path, 1, "txt", text)]
        return
    meta, body = split_front_matter(text)
    yield [{**meta, "text": body, "source_file": path, "source_row": 1, "format": "txt"}]


def html_record(html: str) -> dict:
    """Fields of an article from a page; ``text`` is "" when the page has no main text."""
    page = extract(html)
    return {"title": page.title, "text": page.text, "published_at": page.published_at,
            "url": page.url, "language": page.language}


def read_html(path: str, options: IngestOptions = _DEFAULT) -> Iterator[Batch]:
    data = _read_bytes(path, "html")
    if isinstance(data, dict):
        yield [data]
        return
    html = decode(data, what="the page", html=True)
    if isinstance(html, Rejected):
        yield [reject(path, 1, "html", html)]
        return
    record = html_record(html)
    # kept for the empty-article message: what the page was, when extraction found nothing
    record["html"] = html if not record["text"] else None
    yield [{**record, "source_file": path, "source_row": 1, "format": "html"}]


# ---------------------------------------------------------------------------- JSONL

@functools.lru_cache(maxsize=16)
def _json_checks(fields: FieldMap) -> tuple[re.Pattern, re.Pattern]:
    """(a string field holding a non-string, non-null JSON value — number, bool, object, array;
    an id given as a non-negative number) for the JSON keys ``fields`` reads. In valid JSON an
    unescaped ``"key":`` can only be a key, so these never fire inside strings; a fractional id
    goes to the slow path too (beside string ids polars would read 1.5 as "1.5")."""
    keys = b"|".join(re.escape(json.dumps(fields.column(f)).encode()[1:-1]) for f in FIELDS if f != "id")
    key_id = re.escape(json.dumps(fields.column("id")).encode()[1:-1])
    non_string = re.compile(rb'"(?:' + keys + rb')"\s*:\s*[^"\sn]|"' + key_id + rb'"\s*:\s*(?:[-tf\[{]|\d+[.eE])')
    return non_string, re.compile(rb'"' + key_id + rb'"\s*:\s*\d')
_JSON_TYPES = {dict: "an object", list: "an array", bool: "a boolean", int: "a number",
               float: "a number", str: "a string"}


def _json_lines(path: str, offset: int = 0, first: int = 1) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, UTF-8 line bytes without the newline) for non-blank lines, from
    byte ``offset`` (a line start of a UTF-8 file; its line number is ``first``)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        encoding, _ = split_bom(head)
        fh.seek(offset)
        if encoding != "utf-8":  # UTF-16/32 with BOM: transcode line by line
            stream = io.TextIOWrapper(fh, encoding=encoding.replace("-le", "").replace("-be", ""),
                                      newline="")
            lines = (line.encode("utf-8") for line in stream)
        else:
            lines = iter(fh)
        for number, line in enumerate(lines, first):
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def _parse_json_line(path: str, number: int, line: bytes, fields: FieldMap = FieldMap()) -> dict:
    """Slow, precise path: one line → record dict or reject dict naming the problem."""
    base = {"source_file": path, "source_row": number, "format": "jsonl"}
    if len(line) > MAX_RECORD_BYTES:
        return reject(path, number, "jsonl", Reason.TOO_LARGE,
                      f"the line is {len(line):,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit — "
                      "fix: split the article", raw=escaped(line[: RAW_PREVIEW_CHARS * 4])[:RAW_PREVIEW_CHARS])
    if b"\x00" in line:
        return reject(path, number, "jsonl", Reason.NUL_BYTES,
                      f"the line contains raw NUL bytes (first at byte {line.index(0)}) — fix: remove "
                      "them or re-export the file as UTF-8 text", raw=escaped(line).replace("\x00", "\\x00"))
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return reject(path, number, "jsonl", Reason.INVALID_UTF8,
                      f"the line is not valid UTF-8: byte(s) {line[exc.start:exc.end].hex(' ')} at "
                      f"byte {exc.start} of the line — fix: re-save the file as UTF-8", raw=escaped(line))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return reject(path, number, "jsonl", Reason.BROKEN_JSON,
                      f"not valid JSON ({exc.msg} at column {exc.colno}) — fix: repair or "
                      "remove that line; the other lines were read", raw=text)
    if not isinstance(obj, dict):
        return reject(path, number, "jsonl", Reason.BROKEN_JSON,
                      f"the line is {_JSON_TYPES.get(type(obj), 'null')}, expected one JSON object "
                      "per line — fix: write each article as {\"text\": ...}", raw=text)
    record = dict(base)
    for field in FIELDS:
        value = obj.get(fields.column(field))
        if field == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            return reject(path, number, "jsonl", Reason.WRONG_TYPE,
                          f"field {fields.column(field)!r} is {_JSON_TYPES.get(type(value), type(value).__name__)}"
                          f" ({json.dumps(value, ensure_ascii=False)[:60]}), expected a string — fix: quote it "
                          "or leave it out", raw=text, field=field)
        record[field] = value
    return record


def _fast_json_chunk(path: str, numbers: Sequence[int], blob: bytes,
                     fields: FieldMap = FieldMap()) -> pl.DataFrame | None:
    """polars reads a clean chunk (its lines joined by "\\n") at C speed; None sends the chunk
    to the precise slow path."""
    non_string, numeric_id = _json_checks(fields)
    if b"\x00" in blob or non_string.search(blob):
        return None
    # Without number ids every field is a string or null (checked above), so reading them as
    # strings skips the type-inference pass over the chunk; number ids keep inference, which
    # tells integers (kept, as text) from floats and overflows (the slow path rejects them).
    columns = {fields.column(f): f for f in FIELDS}
    options = (dict(infer_schema_length=None) if numeric_id.search(blob)
               else dict(schema={c: pl.String() for c in columns}))
    try:
        frame = pl.read_ndjson(io.BytesIO(blob), **options)
    except Exception:  # noqa: BLE001 — broken line, bad UTF-8, non-object line: slow path decides
        return None
    if frame.height != len(numbers):
        return None
    frame = frame.select([c for c in frame.columns if c in columns]).rename(
        {c: columns[c] for c in frame.columns if c in columns})
    for field in FIELDS:
        if field in frame.columns and frame.schema[field] not in (pl.String, pl.Null, pl.Int64):
            return None
        if field in frame.columns and field != "id" and frame.schema[field] == pl.Int64:
            return None
    return frame.select(
        *[(pl.col(f).cast(pl.String) if f in frame.columns else pl.lit(None, pl.String)).alias(f) for f in FIELDS],
        pl.lit(path).alias("source_file"),
        pl.Series("source_row", numbers, dtype=pl.Int64),
        pl.lit("jsonl").alias("format"),
    )


#: a JSONL chunk ends after ``batch_size`` non-blank lines or once its lines reach this many bytes
CHUNK_BYTES = 32 * 1024 * 1024


def _chunk(path: str, numbers: Sequence[int], blob: bytes, lines: list[bytes] | None = None,
           fields: FieldMap = FieldMap()) -> Batch:
    fast = _fast_json_chunk(path, numbers, blob, fields)
    if fast is not None:
        return fast
    lines = blob.split(b"\n") if lines is None else lines
    return [_parse_json_line(path, n, line, fields) for n, line in zip(numbers, lines)]


def _regular_chunks(path: str, batch_size: int, fields: FieldMap) -> Generator[Batch, None, tuple[int, int]]:
    """Chunks of a UTF-8 file whose lines each start with "{" and hold no CR: no BOM, no blank
    line, nothing to strip, so a chunk is one byte range of the (memory-mapped) file and its
    lines are numbered in a row. Only newlines are looked for in Python; the first irregular
    chunk ends the scan, and its (byte offset, line number) is returned for the line-by-line
    reader to go on from."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return 0, 1
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start, number = 0, 1  # the chunk's first byte and its line number
            released = 0  # pages before this offset were given back (see below)
            while True:
                pos, count, pending, end = start, 0, 0, start
                while count < batch_size and pending < CHUNK_BYTES and pos < size:
                    newline = data.find(b"\n", pos)
                    if newline < 0:
                        newline = size  # a last line without a newline
                    if data[pos] != 0x7B:  # "{"
                        return start, number
                    pending += newline - pos
                    count += 1
                    end, pos = newline, newline + 1
                if count == 0 or data.find(b"\r", start, end) >= 0:
                    return start, number
                blob = data[start:end]
                # the pages read stay in this process's resident memory until unmapped: drop them
                # once copied, so memory stays flat however large the file
                done = min(pos, size) // mmap.PAGESIZE * mmap.PAGESIZE
                if done > released and hasattr(mmap, "MADV_DONTNEED"):
                    data.madvise(mmap.MADV_DONTNEED, released, done - released)
                    released = done
                yield _chunk(path, range(number, number + count), blob, fields=fields)
                start, number = pos, number + count


def read_jsonl(path: str, batch_size: int = 2000, options: IngestOptions = _DEFAULT) -> Iterator[Batch]:
    fields = options.fields
    _note_unread_keys(path, options)
    any_line = False
    offset, first = 0, 1
    with open(path, "rb") as fh:
        regular = split_bom(fh.read(4))[0] == "utf-8"
    if regular:
        chunks = _regular_chunks(path, batch_size, fields)
        while True:
            try:
                batch = next(chunks)
            except StopIteration as stop:
                offset, first = stop.value
                break
            any_line = True
            yield batch

    numbers: list[int] = []
    lines: list[bytes] = []
    pending = 0
    for number, line in _json_lines(path, offset, first):
        any_line = True
        numbers.append(number)
        lines.append(line)
        pending += len(line)
        if len(lines) >= batch_size or pending >= CHUNK_BYTES:
            yield _chunk(path, numbers, b"\n".join(lines), lines, fields)
            numbers, lines, pending = [], [], 0
    if lines:
        yield _chunk(path, numbers, b"\n".join(lines), lines, fields)
    if not any_line:
        yield [reject(path, None, "jsonl", Reason.EMPTY_FILE,
                      "the file has no records (empty or only blank lines)", raw="")]


# ---------------------------------------------------------------------------- CSV / Parquet

def _missing_text(path: str, fmt: str, columns: list[str], fields: FieldMap) -> dict:
    wanted = " or ".join(repr(fields.column(f)) for f in ("text", "html"))
    suggested = hint(columns, ())
    fix = (f"map the columns: {suggested}" if "--field text=" in suggested or "--field html=" in suggested
           else "name the article text column 'text' (or 'html' for pages), or map it: --field text=COLUMN")
    return reject(path, None, fmt, Reason.MISSING_TEXT,
                  f"no {wanted} column; found columns {list(columns)} — fix: {fix}",
                  raw=", ".join(columns), field="text")


def _note_unread(path: str, columns: Sequence[str], fields: FieldMap, options: IngestOptions) -> None:
    """A note for the summary when a file has a column that looks like a field it did not read
    (``date`` beside no ``published_at``)."""
    suggested = hint(columns, fields.resolve(columns).values())
    if suggested:
        options.note(f"{path}: columns that look like article fields were not read — to use them: {suggested}")


def _note_unread_keys(path: str, options: IngestOptions) -> None:
    """:func:`_note_unread` for JSONL, from the keys of the first record."""
    try:
        with open(path, "rb") as fh:
            first = next((line for line in fh if line.strip()), b"")
        record = json.loads(split_bom(first)[1])
    except (OSError, ValueError):
        return
    if isinstance(record, dict):
        _note_unread(path, list(record), options.fields, options)


def _has_text(columns: Sequence[str], fields: FieldMap) -> bool:
    return bool({"text", "html"} & set(fields.resolve(columns).values()))


def _select_fields(frame: pl.DataFrame, path: str, fmt: str, first_row: int) -> pl.DataFrame:
    return frame.select(
        *[(pl.col(f) if f in frame.columns else pl.lit(None, pl.String)).alias(f) for f in FIELDS],
        pl.lit(path).alias("source_file"),
        pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias("source_row"),
        pl.lit(fmt).alias("format"),
    )


def _field_columns(frame: pl.DataFrame, fields: FieldMap) -> pl.DataFrame:
    """The file's columns renamed to the fields they feed; other columns dropped."""
    chosen = fields.resolve(frame.columns)
    return frame.select([pl.col(c).alias(name) for c, name in chosen.items()])


def read_csv(path: str, batch_size: int = 2000, options: IngestOptions = _DEFAULT) -> Iterator[Batch]:
    fields = options.fields
    if os.path.getsize(path) == 0:
        yield [reject(path, None, "csv", Reason.EMPTY_FILE, "the file is empty (0 bytes)", raw="")]
        return
    with open(path, "rb") as fh:
        encoding, _ = split_bom(fh.read(4))
    emitted = 0
    if encoding == "utf-8":
        try:
            header = pl.read_csv(path, infer_schema=False, n_rows=0).columns
            if not _has_text(header, fields):
                yield [_missing_text(path, "csv", header, fields)]
                return
            _note_unread(path, header, fields, options)
            for chunk in pl.scan_csv(path, infer_schema=False).collect_batches(chunk_size=batch_size):
                chunk = _field_columns(chunk, fields)
                yield _select_fields(chunk, path, "csv", emitted + 1)
                emitted += chunk.height
            if emitted == 0:
                yield [reject(path, None, "csv", Reason.EMPTY_FILE, "the file has a header but no records",
                              raw=", ".join(header))]
            return
        except Exception:  # noqa: BLE001 — bad bytes or a malformed row: the precise path takes over
            pass
    yield from _read_csv_python(path, encoding, skip=emitted, batch_size=batch_size, fields=fields)


def _read_csv_python(path: str, encoding: str, skip: int, batch_size: int, fields: FieldMap) -> Iterator[Batch]:
    """Record-precise CSV reading with the csv module: bad bytes and ragged rows per record."""
    csv.field_size_limit(MAX_RECORD_BYTES)  # the default (128 KiB) would reject long articles
    with open(path, "rb") as fh:
        data = fh.read()
    _, payload = split_bom(data)
    text = payload.decode(encoding, "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        yield [reject(path, None, "csv", Reason.EMPTY_FILE, "the file has no header", raw="")]
        return
    except csv.Error as exc:
        yield [reject(path, 1, "csv", Reason.BROKEN_CSV, f"unreadable header ({exc})", raw=text[:1000])]
        return
    if not _has_text(header, fields):
        yield [_missing_text(path, "csv", header, fields)]
        return
    chosen = fields.resolve(header)
    positions = {name: header.index(column) for column, name in chosen.items()}
    rows: list[dict] = []
    number = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            rows.append(reject(path, number, "csv", Reason.BROKEN_CSV,
                               f"the record cannot be parsed ({exc}); reading stopped here, later records "
                               "were not read — fix: check its quoting",
                               raw=None))
            break  # the csv module cannot resynchronise after a broken quote
        number += 1
        if number <= skip:
            continue
        raw = ",".join(values).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if any("\udc80" <= ch <= "\udcff" for v in values for ch in v):
            rows.append(reject(path, number, "csv", Reason.INVALID_UTF8,
                               "the record is not valid UTF-8 — fix: re-save the file as UTF-8", raw=raw))
        elif len(values) != len(header):
            rows.append(reject(path, number, "csv", Reason.BROKEN_CSV,
                               f"the record has {len(values)} fields, the header has {len(header)} — "
                               "fix: quote fields that contain commas", raw=raw))
        else:
            rows.append({**{f: ((values[positions[f]] or None) if f in positions else None) for f in FIELDS},
                         "source_file": path, "source_row": number, "format": "csv"})
        if len(rows) >= batch_size:
            yield rows
            rows = []
    if rows:
        yield rows
    if number == 0:
        yield [reject(path, None, "csv", Reason.EMPTY_FILE, "the file has a header but no records",
                      raw=", ".join(header))]


def _arrow_to_strings(batch: pa.RecordBatch, path: str, first_row: int, fields: FieldMap = FieldMap()) -> Batch:
    """Cast the known fields to strings; a non-text column type rejects its rows with wrong_field_type."""
    frame = _field_columns(pl.from_arrow(batch), fields)
    bad: dict[str, str] = {}
    exprs = []
    for f in FIELDS:
        if f not in frame.columns:
            continue
        dtype = frame.schema[f]
        if dtype in (pl.String, pl.Null):
            exprs.append(pl.col(f).cast(pl.String))
        elif f == "published_at" and dtype in (pl.Date, pl.Datetime):
            exprs.append(pl.col(f).cast(pl.Date).dt.to_string("%Y-%m-%d"))
        elif f == "id" and dtype.is_integer():
            exprs.append(pl.col(f).cast(pl.String))
        elif dtype == pl.Binary:
            exprs.append(pl.col(f).cast(pl.String, strict=False))
            bad.setdefault("__binary__", f)
        else:
            bad[f] = str(dtype)
            exprs.append(pl.lit(None, pl.String).alias(f))
    frame = _select_fields(frame.with_columns(exprs), path, "parquet", first_row)
    if not bad:
        return frame
    binary = bad.pop("__binary__", None)
    rows = []
    for i, rec in enumerate(pl.from_arrow(batch).iter_rows(named=True)):
        rec = {name: rec.get(column) for column, name in fields.resolve(batch.schema.names).items()}
        row = first_row + i
        wrong = next(((f, t) for f, t in bad.items() if rec.get(f) is not None), None)
        raw = json.dumps({k: (escaped(v) if isinstance(v, bytes) else v) for k, v in rec.items()},
                         ensure_ascii=False, default=str)
        if wrong:
            rows.append(reject(path, row, "parquet", Reason.WRONG_TYPE,
                               f"column {wrong[0]!r} has type {wrong[1]}, expected a string — "
                               "fix: cast it to string", raw=raw, field=wrong[0]))
            continue
        good = {**frame.row(i, named=True)}
        if binary and isinstance(rec.get(binary), bytes):
            value = decode(rec[binary], what=f"row {row} field {binary!r}")
            if isinstance(value, Rejected):
                rows.append(reject(path, row, "parquet", value.reason, value.message, raw=raw, field=binary))
                continue
            good[binary] = value
        rows.append(good)
    return rows


def read_parquet(path: str, batch_size: int = 2000, options: IngestOptions = _DEFAULT) -> Iterator[Batch]:
    fields = options.fields
    try:
        pfile = pq.ParquetFile(path)
        columns = [c for c in pfile.schema_arrow.names]
    except Exception as exc:  # noqa: BLE001 — any pyarrow failure means the file is not Parquet
        with open(path, "rb") as fh:
            head = fh.read(200)
        yield [reject(path, None, "parquet", Reason.BROKEN_PARQUET,
                      f"not a readable Parquet file ({type(exc).__name__}: {str(exc)[:200]}) — fix: re-export it",
                      raw=escaped(head))]
        return
    if not _has_text(columns, fields):
        yield [_missing_text(path, "parquet", columns, fields)]
        return
    _note_unread(path, columns, fields, options)
    wanted = list(fields.resolve(columns))
    emitted = 0
    try:
        for batch in pfile.iter_batches(batch_size=batch_size, columns=wanted):
            yield _arrow_to_strings(batch, path, emitted + 1, fields)
            emitted += batch.num_rows
    except Exception as exc:  # noqa: BLE001 — a corrupt row group: keep what was read, say where it broke
        yield [reject(path, emitted + 1, "parquet", Reason.BROKEN_PARQUET,
                      f"cannot read rows from {emitted + 1} on ({type(exc).__name__}: {str(exc)[:200]}) — "
                      "fix: re-export the file", raw=None)]
        return
    if emitted == 0:
        yield [reject(path, None, "parquet", Reason.EMPTY_FILE, "the file has no rows", raw="")]


READERS = {"txt": read_txt, "html": read_html, "jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
