"""Metadata at the top of a ``.txt`` article: YAML front matter or header lines.

    ---                              Title: Clashes in Tripoli
    title: Clashes in Tripoli        Date: 2022-08-27
    date: 2022-08-27                 URL: https://example.org/1
    source: Example Wire             Source: Example Wire
    ---                              Language: en
                                     (a blank line, then the article)

Keys (any case): ``title``, ``date`` / ``published`` / ``published_at``, ``url`` / ``link``,
``source`` / ``outlet``, ``language`` / ``lang``, ``id``. Header lines count only when every
line of the first paragraph is such a ``Key: value`` line, so an article that starts with
"Date: ..." in prose is left alone. The article text is everything after the metadata.
"""

from __future__ import annotations

import re

import yaml

#: metadata key (lower-case) → record field
KEYS = {
    "title": "title", "headline": "title",
    "date": "published_at", "published": "published_at", "published_at": "published_at",
    "publication_date": "published_at",
    "url": "url", "link": "url",
    "source": "source", "outlet": "source", "publisher": "source",
    "language": "language", "lang": "language",
    "id": "id",
}
_HEADER_LINE = re.compile(r"^([A-Za-z_]+)[ \t]*:[ \t]*(.*?)[ \t]*$")
_YAML_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)


def _fields(pairs: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs.items():
        field = KEYS.get(str(key).strip().lower())
        if field and value is not None and str(value).strip() and field not in out:
            out[field] = str(value).strip()
    return out


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(record fields found at the top, the article text after them); ``({}, text)`` if none."""
    if text.startswith("---\n") or text.startswith("---\r\n"):
        end = _YAML_END.search(text, 4)
        if end:
            try:  # BaseLoader builds no objects
                # BaseLoader: every value stays a string ("2024-01-22" is not turned into a date)
                meta = yaml.load(text[4:end.start()], Loader=yaml.BaseLoader)
            except yaml.YAMLError:
                meta = None
            if isinstance(meta, dict):
                return _fields(meta), text[end.end():].lstrip("\r\n")
    head, sep, rest = text.partition("\n\n")
    lines = head.split("\n")
    pairs = {}
    for line in lines:
        match = _HEADER_LINE.match(line)
        if not match or match.group(1).lower() not in KEYS:
            return {}, text
        pairs[match.group(1)] = match.group(2)
    fields = _fields(pairs)
    return (fields, rest.lstrip("\n")) if fields and sep else ({}, text)
