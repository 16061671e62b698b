"""Shards: the input cut into units of work of about ``shard_bytes`` each, in input order.

A shard is a run of whole files (small files are grouped), or one range of a large file so one
huge file spreads over the workers too: a byte range of a UTF-8 JSONL file (cut after a
newline, its first line number counted beforehand) or a range of row groups of a Parquet file.
Other files (text, HTML, CSV, UTF-16 JSONL) are whole-file shards. A shard yields exactly the
reader output the local engine would read for the same records (same ``source_file``,
``source_row`` and messages), so the batches built from it give the same rows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from conflictset.dataset.engines import storage
from conflictset.dataset.ingest import reader_chunks
from conflictset.dataset.ingest.decode import split_bom
from conflictset.dataset.ingest.readers import CHUNK_BYTES, FIELDS, Batch, _arrow_to_strings, _chunk

#: input bytes per shard: big enough that a task's fixed costs (the pre-labeller's automata, a
#: Parquet file per table) are small beside its work, small enough that two workers get many
DEFAULT_SHARD_BYTES = 64 << 20
#: a JSONL cut is moved forward to the next newline, read this many bytes at a time
_WINDOW = 1 << 16

Mapper = Callable[[Callable, Sequence], list]


@dataclass(frozen=True)
class Shard:
    """``files``: ((path, format), …) read whole; or a range of the single file in ``files``:
    ``unit`` "bytes" (JSONL, ``[start, end)``, first line ``first_row``) or "row_groups" (Parquet
    row groups ``[start, end)``, first record ``first_row``)."""

    index: int
    files: tuple[tuple[str, str], ...]
    size: int
    unit: str = "files"
    start: int = 0
    end: int = 0
    first_row: int = 1

    def describe(self) -> str:
        if self.unit == "files":
            names = self.files[0][0] if len(self.files) == 1 else f"{len(self.files)} files, {self.files[0][0]} …"
            return f"shard {self.index} ({names})"
        what = "bytes" if self.unit == "bytes" else "row groups"
        return f"shard {self.index} ({self.files[0][0]} {what} {self.start}–{self.end})"

    def key(self) -> tuple:
        return (self.files, self.unit, self.start, self.end)


def _jsonl_cuts(path: str, total: int, shard_bytes: int) -> list[int]:
    """Offsets just after a newline, about ``shard_bytes`` apart (0 and ``total`` included)."""
    cuts = [0]
    at = shard_bytes
    while at < total:
        pos = at
        while pos < total:
            window = storage.read_range(path, pos, min(pos + _WINDOW, total))
            newline = window.find(b"\n")
            if newline >= 0:
                pos += newline + 1
                break
            pos += len(window)
        if pos >= total:
            break
        cuts.append(pos)
        at = pos + shard_bytes
    return cuts + [total]


def count_newlines(path: str, start: int, end: int) -> int:
    """Newlines in ``[start, end)`` (a task: each range is counted where it is read)."""
    count, pos = 0, start
    while pos < end:
        block = storage.read_range(path, pos, min(pos + CHUNK_BYTES, end))
        count += block.count(b"\n")
        pos += len(block)
    return count


def _splittable_jsonl(path: str) -> bool:
    return split_bom(storage.read_range(path, 0, 4))[0] == "utf-8"


def _parquet_groups(path: str) -> list[int] | None:
    """Rows per row group of a readable Parquet file with a text column, else None (read whole)."""
    try:
        if storage.is_url(path):
            fs, inner = storage.filesystem(path)
            with fs.open(inner, "rb") as fh:
                meta = pq.ParquetFile(fh).metadata
        else:
            meta = pq.ParquetFile(path).metadata
    except Exception:  # noqa: BLE001 — the reader reports a broken file; here it is just not split
        return None
    names = {meta.schema.column(i).name.strip().lower() for i in range(meta.num_columns)}
    if not names & {"text", "html"}:
        return None
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def plan(sources: pl.DataFrame, shard_bytes: int = DEFAULT_SHARD_BYTES, mapper: Mapper | None = None) -> list[Shard]:
    """Cut ``sources`` (``path, format``, in input order) into shards. ``mapper(fn, items)``
    runs the newline counts of JSONL ranges (on the cluster; the built-in ``map`` otherwise)."""
    mapper = mapper or (lambda fn, items: list(map(fn, *zip(*items))) if items else [])
    pending: list[tuple[str, str]] = []
    pending_size = 0
    out: list[dict] = []
    jsonl_ranges: list[tuple[int, str, int, int]] = []  # (shard slot, path, start, end)

    def flush() -> None:
        nonlocal pending, pending_size
        if pending:
            out.append(dict(files=tuple(pending), size=pending_size))
            pending, pending_size = [], 0

    for path, fmt in sources.select("path", "format").iter_rows():
        try:
            nbytes = storage.size(path)
        except OSError:
            nbytes = 0  # the reader says what is wrong with it
        if nbytes > shard_bytes and fmt == "jsonl" and _splittable_jsonl(path):
            flush()
            cuts = _jsonl_cuts(path, nbytes, shard_bytes)
            for start, end in zip(cuts, cuts[1:]):
                jsonl_ranges.append((len(out), path, start, end))
                out.append(dict(files=((path, fmt),), size=end - start, unit="bytes", start=start, end=end))
            continue
        groups = _parquet_groups(path) if nbytes > shard_bytes and fmt == "parquet" else None
        if groups and len(groups) > 1:
            flush()
            per_group = nbytes / max(1, sum(groups))
            start = first = 0
            while start < len(groups):
                end, rows = start, 0
                while end < len(groups) and (end == start or (rows + groups[end]) * per_group <= shard_bytes):
                    rows += groups[end]
                    end += 1
                out.append(dict(files=((path, fmt),), size=int(rows * per_group), unit="row_groups",
                                start=start, end=end, first_row=first + 1))
                start, first = end, first + rows
            continue
        if pending and pending_size + nbytes > shard_bytes:
            flush()
        pending.append((path, fmt))
        pending_size += nbytes
    flush()
    if jsonl_ranges:
        counts = mapper(count_newlines, [(p, s, e) for _, p, s, e in jsonl_ranges])
        line = {}
        for (slot, path, _, _), n in zip(jsonl_ranges, counts):
            out[slot]["first_row"] = line.get(path, 1)
            line[path] = line.get(path, 1) + n
    return [Shard(index=i, **spec) for i, spec in enumerate(out)]


# ------------------------------------------------------------------------------- reading a shard

def _lines(path: str, start: int, end: int) -> Iterator[bytes]:
    """The lines of ``[start, end)`` without their newline, read a block at a time (a range ends
    after a newline or at the end of the file, so its last line is whole)."""
    pos, rest = start, b""
    while pos < end:
        block = storage.read_range(path, pos, min(pos + CHUNK_BYTES, end))
        if not block:
            break
        pos += len(block)
        lines = (rest + block).split(b"\n")
        rest = lines.pop()  # the unfinished last line (empty after a newline)
        yield from lines
    if rest:
        yield rest


def _jsonl_range(shard: Shard, batch_size: int) -> Iterator[Batch]:
    """The records of a JSONL byte range, chunked and parsed as :func:`readers.read_jsonl` does:
    blank lines skipped, CR LF stripped, a BOM dropped from line 1, line numbers of the file."""
    path = shard.files[0][0]
    numbers: list[int] = []
    lines: list[bytes] = []
    pending = 0
    for number, line in enumerate(_lines(path, shard.start, shard.end), shard.first_row):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        line = line.rstrip(b"\r\n")
        if not line.strip():
            continue
        numbers.append(number)
        lines.append(line)
        pending += len(line)
        if len(lines) >= batch_size or pending >= CHUNK_BYTES:
            yield _chunk(path, numbers, b"\n".join(lines), lines)
            numbers, lines, pending = [], [], 0
    if lines:
        yield _chunk(path, numbers, b"\n".join(lines), lines)


def _parquet_range(shard: Shard, batch_size: int) -> Iterator[Batch]:
    path = shard.files[0][0]
    if storage.is_url(path):
        fs, inner = storage.filesystem(path)
        handle = fs.open(inner, "rb")
    else:
        handle = open(path, "rb")  # closed by the with below, after the last batch
    with handle:
        pfile = pq.ParquetFile(handle)
        wanted = [c for c in pfile.schema_arrow.names if c.strip().lower() in FIELDS]
        row = shard.first_row
        for batch in pfile.iter_batches(batch_size=batch_size, row_groups=range(shard.start, shard.end),
                                        columns=wanted):
            yield _arrow_to_strings(batch, path, row)
            row += batch.num_rows


def _renamed(chunk: Batch, local: str, url: str) -> Batch:
    """Reader output of a local copy, with the remote name everywhere the file is named."""
    if isinstance(chunk, pl.DataFrame):
        return chunk.with_columns(pl.lit(url).alias("source_file"),
                                  *([pl.col("message").str.replace_all(local, url, literal=True)]
                                    if "message" in chunk.columns else []))
    for record in chunk:
        record["source_file"] = url
        if record.get("message"):
            record["message"] = record["message"].replace(local, url)
    return chunk


def _whole_files(shard: Shard, batch_size: int) -> Iterator[Batch]:
    local = [(p, f) for p, f in shard.files if not storage.is_url(p)]
    if len(local) == len(shard.files):
        yield from reader_chunks(pl.DataFrame(shard.files, schema=["path", "format"], orient="row"), batch_size)
        return
    with tempfile.TemporaryDirectory(prefix="conflictset-shard-") as tmp:
        for path, fmt in shard.files:
            if not storage.is_url(path):
                yield from reader_chunks(pl.DataFrame([(path, fmt)], schema=["path", "format"], orient="row"),
                                         batch_size)
                continue
            copy = storage.fetch(path, Path(tmp))
            sources = pl.DataFrame([(str(copy), fmt)], schema=["path", "format"], orient="row")
            for chunk in reader_chunks(sources, batch_size):
                yield _renamed(chunk, str(copy), path)
            os.unlink(copy)


def read(shard: Shard, batch_size: int) -> Iterator[Batch]:
    """The reader output of a shard, in input order."""
    if shard.unit == "bytes":
        return _jsonl_range(shard, batch_size)
    if shard.unit == "row_groups":
        return _parquet_range(shard, batch_size)
    return _whole_files(shard, batch_size)
