"""Which input column feeds each record field (``--field text=body --field published_at=date``),
and the on-screen hints when a file's columns do not match.

Without a mapping a column is read when its name is a field name (any case, surrounding
spaces ignored). A mapping names the column (exact name, or any case) for a field; it applies
to every CSV, JSONL and Parquet input of a build.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from conflictset.schemas.errors import InputError

#: record fields read from JSONL/CSV/Parquet; only text or html is required
FIELDS = ("id", "title", "text", "html", "url", "published_at", "source", "language")
#: column names people use for a field (for hints only: nothing is mapped without --field)
ALIASES = {
    "text": ("body", "content", "article", "article_text", "full_text", "fulltext", "story", "maintext", "main_text"),
    "html": ("page", "raw_html", "html_content"),
    "published_at": ("date", "published", "pubdate", "pub_date", "publication_date", "publish_date", "datetime",
                     "timestamp", "created_at", "time"),
    "id": ("article_id", "doc_id", "docid", "uid", "uuid", "guid", "key"),
    "title": ("headline", "heading"),
    "url": ("link", "href", "permalink"),
    "source": ("outlet", "publisher", "site", "domain", "source_name"),
    "language": ("lang", "lng", "locale"),
}


@dataclass(frozen=True)
class FieldMap:
    """``field → column`` for the fields given by ``--field``; the others are read by name."""

    given: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: Iterable[str]) -> FieldMap:
        """``["text=body", "published_at=date"]`` → FieldMap; unknown fields fail loudly."""
        pairs: dict[str, str] = {}
        for spec in specs:
            name, sep, column = spec.partition("=")
            name, column = name.strip().lower(), column.strip()
            if not sep or not name or not column:
                raise InputError(f"--field {spec!r} is not FIELD=COLUMN", fix="write e.g. --field text=body")
            if name not in FIELDS:
                raise InputError(f"--field {spec!r}: unknown field {name!r}; expected one of {', '.join(FIELDS)}",
                                 fix="name one of those fields on the left of '='")
            if name in pairs and pairs[name] != column:
                raise InputError(f"--field {name} is given twice ({pairs[name]!r} and {column!r})",
                                 fix="give each field once")
            pairs[name] = column
        return cls(tuple(sorted(pairs.items())))

    def column(self, name: str) -> str:
        """The input column read for field ``name``."""
        return dict(self.given).get(name, name)

    def resolve(self, columns: Sequence[str]) -> dict[str, str]:
        """``{input column: field}`` for the columns of one file (a mapped column wins over a column
        that happens to carry the field's name)."""
        mapped = dict(self.given)
        lowered = {c.strip().lower(): c for c in reversed(columns)}
        out: dict[str, str] = {}
        for name in FIELDS:
            wanted = mapped.get(name)
            if wanted is not None:
                column = wanted if wanted in columns else lowered.get(wanted.strip().lower())
            else:
                column = lowered.get(name)
                if column is not None and column in mapped.values():
                    column = None
            if column is not None and column not in out:
                out[column] = name
        return out


@dataclass
class IngestOptions:
    """How to read the inputs (column mapping, day/month order of numeric dates), and what
    ingest leaves for the build's summary: notes (shown on screen) and date counts."""

    fields: FieldMap = field(default_factory=FieldMap)
    #: True: 03/04/2024 is 3 April; False: 4 March; None: decided per file, else left empty
    dayfirst: bool | None = None
    notes: list[str] = field(default_factory=list)
    #: ``bad`` (not understood), ``ambiguous`` (day/month order unknown), ``from_dateline``
    dates: Counter = field(default_factory=Counter)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def suggestions(columns: Sequence[str], read: Iterable[str]) -> dict[str, str]:
    """``{field: column}`` for fields not read whose usual other names appear among ``columns``."""
    read = set(read)
    out = {}
    for name, aliases in ALIASES.items():
        if name in read:
            continue
        for column in columns:
            if _normal(column) in aliases:
                out[name] = column
                break
    return out


def hint(columns: Sequence[str], read: Iterable[str]) -> str:
    """``--field text=body --field published_at=date`` for what :func:`suggestions` finds, or ''."""
    return " ".join(f"--field {name}={column}" for name, column in suggestions(columns, read).items())
