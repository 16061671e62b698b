"""Datelines at the start of a paragraph: ``NAIROBI, June 25 (Reuters) -``, ``PARIS (AFP) –``,
``Goma, 12 February 2024 - ...``, ``Bogotá, 20 may (EFE).-``, ``عدن - رويترز``.

They give the place an article was filed from (``dateline_place``, which the events work uses
when a sentence names no location) and, when it carries a year, a publication date for
articles that have none. Vectorised: one regex over the head of each article.
"""

from __future__ import annotations

import re

import polars as pl

#: how far into an article a dateline is looked for (the first paragraphs)
HEAD_CHARS = 1500
_PLACE = r"\p{Lu}[\p{L}'’.]*(?:[ -]\p{Lu}[\p{L}'’.]*){0,3}"
_NAMED = r"\p{Lu}[\p{L} .&/-]{1,30}"  # an agency spelled with a capital: (Reuters), (AFP)
_DASH = r"\s*[-–—]+\s*"


def dateline_regex(agencies: tuple[str, ...]) -> str:
    """Rust regex (multi-line) with groups ``place``, ``date`` for the dateline shapes above."""
    caseless = "|".join(re.escape(a) for a in agencies if not a.isascii())
    agency = rf"(?:(?i:{'|'.join(re.escape(a) for a in agencies)})|{_NAMED})"  # (dpa) is written small
    shapes = [
        # PLACE[, DATE] (AGENCY) -   (the dash may follow a full stop: "(EFE).-")
        rf"(?P<place>{_PLACE})(?:,\s*(?P<date>[\p{{L}}\d][\p{{L}}\d .]{{2,30}}?))?\s*\({agency}\)\.?{_DASH}",
        # PLACE, 12 February 2024 -   /   PLACE, February 12, 2024 -
        rf"(?P<place2>{_PLACE}),\s*(?P<date2>\d{{1,2}}\.?\s+\p{{L}}+\.?\s+\d{{4}}|\p{{L}}+\.?\s+\d{{1,2}},?\s+\d{{4}}){_DASH}",
    ]
    if caseless:  # scripts without capitals: PLACE - AGENCY (عدن - رويترز)
        shapes.append(rf"(?P<place3>\p{{Lo}}+(?: \p{{Lo}}+)?){_DASH}(?:{caseless})")
    return r"(?m)^(?:" + "|".join(shapes) + ")"


def datelines(text: pl.Expr, agencies: tuple[str, ...]) -> pl.Expr:
    """Struct ``{place, date}`` (strings, null when no dateline) from the head of ``text`` after
    its first line (the title). An all-capitals place is title-cased (``NAIROBI`` → ``Nairobi``)."""
    head = text.str.slice(0, HEAD_CHARS).str.splitn("\n", 2).struct.field("field_1")
    found = head.str.extract_groups(dateline_regex(agencies))
    place = pl.coalesce(found.struct.field("place"), found.struct.field("place2"), found.struct.field("place3"))
    place = pl.when(place == place.str.to_uppercase()).then(place.str.to_titlecase()).otherwise(place)
    date = pl.coalesce(found.struct.field("date"), found.struct.field("date2"))
    return pl.struct(place.str.strip_chars().alias("place"), date.str.strip_chars().alias("date"))
