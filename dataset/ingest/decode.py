"""Bytes → normalised text: BOM-aware decoding, NFC, LF line ends, and the text checks shared
by every reader (invalid UTF-8, NUL bytes) with messages that say where and how to fix."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from conflictset.schemas.reasons import Reason

#: Documented per-record limit: one article (file, line, cell) larger than this is quarantined
#: as ``too_large`` instead of being pulled into memory several times over.
MAX_RECORD_BYTES = 64 * 1024 * 1024
#: ``raw`` of a quarantined oversized record keeps this many characters (the file is unchanged).
RAW_PREVIEW_CHARS = 10_000

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_FIX_UTF8 = "re-save the file as UTF-8 (or UTF-16 with a byte-order mark)"


@dataclass(frozen=True)
class Rejected:
    """Why a record could not be read; ``raw`` keeps its content with bad bytes escaped."""

    reason: Reason
    message: str
    raw: str | None
    field: str | None = None


def split_bom(data: bytes) -> tuple[str, bytes]:
    """(encoding, payload without BOM); UTF-8 when there is no byte-order mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, data[len(bom):]
    return "utf-8", data


def escaped(data: bytes) -> str:
    """Lossless text for ``raw``: valid UTF-8 as is, bad bytes as ``\\xNN`` escapes."""
    return data.decode("utf-8", "backslashreplace")


def normalise(text: str) -> str:
    """NFC and LF line ends (CRLF and lone CR become LF)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, *, what: str = "file", html: bool = False) -> str | Rejected:
    """Decode one record's bytes. Returns normalised text or a :class:`Rejected`.

    ``html=True`` honours a ``<meta charset>`` declaration when the bytes are not UTF-8
    (pages in legacy encodings are legitimate); plain text must be UTF-8 or carry a BOM.
    """
    if len(data) > MAX_RECORD_BYTES:
        return Rejected(Reason.TOO_LARGE,
                        f"{what} is {len(data):,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit per "
                        f"article (raw keeps the first {RAW_PREVIEW_CHARS:,} characters) — fix: split it",
                        escaped(data[: RAW_PREVIEW_CHARS * 4])[:RAW_PREVIEW_CHARS])
    encoding, payload = split_bom(data)
    try:
        text = payload.decode(encoding)
    except UnicodeDecodeError as exc:
        declared = _declared_charset(payload) if html and encoding == "utf-8" else None
        if declared:
            text = payload.decode(declared, "backslashreplace")
        else:
            bad = payload[exc.start: exc.end]
            line = _line_of(payload, exc.start)
            return Rejected(Reason.INVALID_UTF8,
                            f"{what} is not valid {encoding.upper()}: byte(s) {bad.hex(' ')} at byte "
                            f"offset {exc.start} (line {line}) — fix: {_FIX_UTF8}",
                            payload.decode(encoding, "backslashreplace"))
    text = normalise(text)
    nul = text.find("\x00")
    if nul >= 0:
        return Rejected(Reason.NUL_BYTES,
                        f"{what} contains NUL bytes (first at character {nul}, line "
                        f"{text.count(chr(10), 0, nul) + 1}); this is binary or a broken export — "
                        "fix: remove the NUL bytes or re-export as UTF-8 text",
                        text.replace("\x00", "\\x00"))
    return text


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return None if codec == "utf-8" else codec
