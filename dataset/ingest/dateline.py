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
HEAD_CHARS = 800
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


def datelines(texts: pl.Series, agencies: tuple[str, ...]) -> pl.DataFrame:
    """``place``, ``date`` (strings, null when no dateline) from the head of each text after its
    first line (the title). An all-capitals place is title-cased (``NAIROBI`` → ``Nairobi``).
    The regex is costly on long heads: a literal scan first picks the texts that can hold one
    (an agency in brackets before a dash, a year before a dash, a caseless-script agency)."""
    head = texts.str.slice(0, HEAD_CHARS).str.splitn("\n", 2).struct.field("field_1")
    caseless = [a for a in agencies if not a.isascii()]
    maybe = head.str.contains_any([")-", ") -", ") –", ") —", ").-", ").–", ")–", ")—"]) | head.str.contains(
        r"\d{4}\s*[-–—]")
    if caseless:
        maybe = maybe | head.str.contains_any(caseless)
    at = maybe.fill_null(False).arg_true()
    found = head.gather(at).str.extract_groups(dateline_regex(agencies)).struct.unnest()
    place = found.select(pl.coalesce("place", "place2", "place3")).to_series()
    place = pl.select(pl.when(place == place.str.to_uppercase()).then(place.str.to_titlecase()).otherwise(place)
                      .str.strip_chars()).to_series()
    date = found.select(pl.coalesce("date", "date2").str.strip_chars()).to_series()
    def spread(values: pl.Series) -> pl.Series:  # scatter writes in place: a new column each time
        return pl.repeat(None, texts.len(), dtype=pl.String, eager=True).scatter(at, values)

    return pl.DataFrame({"place": spread(place), "date": spread(date)})
