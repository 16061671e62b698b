"""Stage ``ingest``: files → one row per input record (Article columns + reject columns).

Formats: ``.txt`` (one article per file, first non-empty line is the title), ``.html/.htm``
(main text via trafilatura), ``.jsonl/.ndjson``, ``.csv`` and ``.parquet`` with the fields
``id, title, text|html, url, published_at, source, language`` (only text or html required).

Text is decoded as UTF-8 (a UTF-8, UTF-16 or UTF-32 byte-order mark is honoured), NFC
normalised, with LF line ends. A record that gives a title separately gets it as the first
line of ``text`` followed by a blank line (unless the text already starts with it), so the
cleaner always sees the headline first. ``article_id`` is the given id, else
``"a" + sha256(text)[:16]``. Rows that cannot be used carry a non-null ``reason``
(:class:`schemas.reasons.Reason`) with ``field``, ``message`` and ``raw``; the build routes
them to quarantine with :func:`dataset.stages.split_rejects`. One article is limited to
:data:`MAX_RECORD_BYTES` (64 MiB) — larger ones are quarantined as ``too_large``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl

from conflictset.dataset.ingest.decode import MAX_RECORD_BYTES
from conflictset.dataset.ingest.discover import EXTENSIONS, FORMATS, discover, format_of
from conflictset.dataset.ingest.readers import RAW_SCHEMA, READERS, Batch
from conflictset.dataset.ingest.records import DuplicateIds, normalise_batch
from conflictset.schemas.pipeline import INGESTED_SCHEMA

__all__ = ["discover", "ingest", "iter_ingest", "regroup", "reader_chunks", "DuplicateIds",
           "DEFAULT_BATCH_BYTES", "EXTENSIONS", "FORMATS", "MAX_RECORD_BYTES",
           "format_of"]


#: article text per batch. Memory in flight is about 50× a batch's text (three batches in the
#: build's pipeline, each as segments, sentences with their neighbours and spans), so a record
#: count alone is no bound: 10,000 news-length articles (5 KB) peaked at 2.9 GB. 16 MiB keeps
#: the build near 1 GB whatever the article length.
DEFAULT_BATCH_BYTES = 16 << 20
_TEXT_FIELDS = ("text", "html")


def _text_bytes(part: pl.DataFrame | list[dict]) -> pl.Series:
    """Bytes of article text (text + html) per record."""
    if isinstance(part, pl.DataFrame):
        cols = [pl.col(c).str.len_bytes().fill_null(0) for c in _TEXT_FIELDS
                if c in part.columns and part.schema[c] == pl.String]
        return part.select(pl.sum_horizontal(cols).cast(pl.Int64) if cols else pl.repeat(0, pl.len(), dtype=pl.Int64)
                           ).to_series()
    return pl.Series([sum(len(r.get(c) or "") for c in _TEXT_FIELDS if isinstance(r.get(c), str)) for r in part],
                     dtype=pl.Int64)


def _slices(part: pl.DataFrame | list[dict], room: int, max_bytes: int) -> list[tuple[pl.DataFrame | list[dict], int]]:
    """``part`` cut so that the first slice fits ``room`` (what the current batch still holds)
    and the others ``max_bytes``: (slice, its text bytes). A record is never cut; one larger
    than the limit makes a slice of its own."""
    sizes = _text_bytes(part).to_list()
    if sum(sizes) <= room:
        return [(part, sum(sizes))]
    out, start, used, cap = [], 0, 0, room
    for i, size in enumerate(sizes):  # only chunks that overflow a batch get here
        if used + size > cap:
            if i > start:
                out.append((part[start:i], used))
                start, used = i, 0
            cap = max_bytes
        used += size
    out.append((part[start:], used))
    return out


def reader_chunks(sources: pl.DataFrame, batch_size: int) -> Iterator[Batch]:
    """Every source's reader output (lists of dicts or frames), in input order."""
    for path, fmt in sources.select("path", "format").iter_rows():
        reader = READERS[fmt]
        yield from (reader(path) if fmt in ("txt", "html") else reader(path, batch_size=batch_size))


def regroup(chunks: Iterable[Batch], batch_size: int, max_bytes: int) -> Iterator[pl.DataFrame]:
    """Reader output regrouped, in input order, into frames of about ``batch_size`` records and
    at most about ``max_bytes`` of article text (a larger single record makes its own batch)."""
    parts: list[pl.DataFrame | list[dict]] = []
    pending = pending_bytes = 0

    def as_frame(part: pl.DataFrame | list[dict]) -> pl.DataFrame:
        frame = part if isinstance(part, pl.DataFrame) else pl.DataFrame(part, schema=RAW_SCHEMA)
        return frame.select([(pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
                             for c, t in RAW_SCHEMA.items()])

    for chunk in chunks:
        for piece, size in _slices(chunk, max_bytes - pending_bytes, max_bytes):
            if pending and pending_bytes + size > max_bytes:
                yield pl.concat([as_frame(p) for p in parts], how="vertical")
                parts, pending, pending_bytes = [], 0, 0
            if isinstance(piece, list) and parts and isinstance(parts[-1], list):
                parts[-1].extend(piece)  # many one-record files: one frame, not thousands
            else:
                parts.append(piece)
            pending += len(piece)
            pending_bytes += size
            if pending >= batch_size or pending_bytes >= max_bytes:
                yield pl.concat([as_frame(p) for p in parts], how="vertical")
                parts, pending, pending_bytes = [], 0, 0
    if pending:
        yield pl.concat([as_frame(p) for p in parts], how="vertical")


def iter_ingest(sources: pl.DataFrame, batch_size: int = 2000,
                max_bytes: int = DEFAULT_BATCH_BYTES, *, chunks: Iterable[Batch] | None = None,
                seen: DuplicateIds | None = None) -> Iterator[pl.DataFrame]:
    """Same rows as :func:`ingest`, in batches of about ``batch_size`` records and at most about
    ``max_bytes`` of article text, memory bounded by the batch (JSONL is read in chunks of lines, CSV
    and Parquet in batches). Duplicate article ids are detected across the whole run: the first
    one wins, later ones are quarantined as ``duplicate_article_id`` (the message says whether
    it is an exact repeat).

    An engine that reads one shard of the input passes its reader output as ``chunks`` (``sources``
    is then not read) and a ``seen`` that already knows the ids of earlier shards."""
    seen = DuplicateIds() if seen is None else seen
    for raw in regroup(reader_chunks(sources, batch_size) if chunks is None else chunks, batch_size, max_bytes):
        yield seen.assign(normalise_batch(raw))


def ingest(sources: pl.DataFrame) -> pl.DataFrame:
    """One row per input record: Article columns (``article_id, title, text, url, source,
    published_at, language, source_file, source_row``) plus ``reason, field, message, raw``
    (all null on good rows)."""
    batches = list(iter_ingest(sources))
    if not batches:
        return pl.DataFrame(schema=INGESTED_SCHEMA)
    return pl.concat(batches, how="vertical")
