"""Publication dates from any input: vectorised polars paths for the common shapes, and the
few remaining distinct strings through ``dateparser`` (cached per distinct value).

Order per value: ISO 8601 (``2024-06-26``, with a time and zone), Unix time (10 digits, or 13
for milliseconds), numeric day/month/year in either order (``26/06/2024``, ``06/26/2024``,
``26.06.2024``), RFC 2822 (``Wed, 26 Jun 2024 10:00:00 +0000``) and month names in the six
supported languages (``26 juin 2024``, ``26. Juni 2024``, ``26 يونيو 2024``) via dateparser.
Only the calendar date as written is kept (no time-zone shift).

A numeric date whose two first numbers are both 12 or less (``03/04/2024``) is ambiguous: the
order comes from ``dayfirst`` when given, else from the other dates of the same file (a
``26/06/2024`` there settles it); otherwise it is left empty and counted, never guessed. A
value nothing understands is left empty too; the raw value is always kept beside it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import dateparser
import polars as pl

#: the languages whose month names dateparser is asked to read (the cleaner's languages)
LANGUAGES = ("en", "nl", "fr", "de", "es", "ar")
_ISO = r"^\d{4}-\d{2}-\d{2}(?:$|[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$)"
_UNIX = r"^\d{9,10}(?:\.\d+)?$|^\d{12,13}$"
_NUMERIC = r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?:$|[T ,]\s*\d{1,2}[:.h]\d{2}.*$)"
#: dates before this are typos or placeholders, not publication dates
EARLIEST = pl.date(1900, 1, 1)


@dataclass(frozen=True)
class ParsedDates:
    """``dates`` (pl.Date, null where unknown) for the input values, with what was not understood."""

    dates: pl.Series
    ambiguous: pl.Series   # True where a numeric date could be read either way and nothing settled it
    bad: pl.Series         # True where a non-empty value could not be read at all


@functools.lru_cache(maxsize=65_536)
def _dateparser(value: str, dayfirst: bool | None) -> object:
    settings = {"RETURN_AS_TIMEZONE_AWARE": False, "REQUIRE_PARTS": ["day", "month", "year"],
                "PREFER_DATES_FROM": "past"}
    if dayfirst is not None:
        settings["DATE_ORDER"] = "DMY" if dayfirst else "MDY"
    found = dateparser.parse(value, languages=list(LANGUAGES), settings=settings)
    return found.date() if found is not None else None


def parse_dates(values: pl.Series, groups: pl.Series | None = None, dayfirst: bool | None = None) -> ParsedDates:
    """Parse ``values`` (strings); ``groups`` (e.g. the source file) scopes the inference of the
    day/month order from unambiguous numeric dates."""
    n = values.len()
    frame = pl.DataFrame({"v": values.cast(pl.String).str.strip_chars(),
                          "g": groups if groups is not None else pl.repeat("", n, dtype=pl.String, eager=True)})
    v = pl.col("v")
    num = v.str.extract_groups(_NUMERIC)
    a = num.struct.field("1").cast(pl.Int32)
    b = num.struct.field("2").cast(pl.Int32)
    frame = frame.with_columns(
        pl.when(v.str.contains(_ISO)).then(v.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        .alias("iso"),
        pl.when(v.str.contains(_UNIX)).then(
            pl.when(v.str.len_chars() >= 12).then(pl.from_epoch(v.cast(pl.Int64, strict=False), "ms"))
            .otherwise(pl.from_epoch(v.str.split(".").list.first().cast(pl.Int64, strict=False), "s")).dt.date())
        .alias("unix"),
        a.alias("a"), b.alias("b"), num.struct.field("3").cast(pl.Int32).alias("y"),
    ).with_columns(
        (pl.col("a") > 12).alias("_dmy"), (pl.col("b") > 12).alias("_mdy"),
    ).with_columns(
        # the order the file's unambiguous numeric dates use, if they agree
        pl.col("_dmy").any().over("g").alias("_file_dmy"), pl.col("_mdy").any().over("g").alias("_file_mdy"),
    )
    if dayfirst is None:
        day_first = (pl.col("_dmy") | (~pl.col("_mdy") & pl.col("_file_dmy") & ~pl.col("_file_mdy")))
        month_first = (pl.col("_mdy") | (~pl.col("_dmy") & pl.col("_file_mdy") & ~pl.col("_file_dmy")))
        # the same number twice (05/05/2024) reads the same either way
        day_first = day_first | (pl.col("a") == pl.col("b"))
    else:
        day_first = pl.col("_dmy") | (pl.lit(dayfirst) & ~pl.col("_mdy"))
        month_first = pl.col("_mdy") | (pl.lit(not dayfirst) & ~pl.col("_dmy"))
    day = pl.when(day_first).then(pl.col("a")).when(month_first).then(pl.col("b"))
    month = pl.when(day_first).then(pl.col("b")).when(month_first).then(pl.col("a"))
    frame = frame.with_columns(
        pl.date(pl.col("y"), month, day).alias("numeric"),
        (pl.col("y").is_not_null() & ~day_first.fill_null(False) & ~month_first.fill_null(False)).alias("ambiguous"),
    )
    found = frame.select(pl.coalesce("iso", "unix", "numeric").alias("d"), "ambiguous", "v")
    # whatever the vectorised paths did not read: one dateparser call per distinct string
    rest = found.filter(pl.col("d").is_null() & ~pl.col("ambiguous") & pl.col("v").is_not_null() & (pl.col("v") != ""))
    if rest.height:
        distinct = rest.get_column("v").unique().to_list()
        parsed = pl.DataFrame({"v": distinct, "p": [_dateparser(s, dayfirst) for s in distinct]},
                              schema={"v": pl.String, "p": pl.Date})
        found = found.join(parsed, on="v", how="left", maintain_order="left").with_columns(
            pl.coalesce("d", "p").alias("d")).drop("p")
    given = pl.col("v").is_not_null() & (pl.col("v") != "")
    found = found.with_columns(pl.when(pl.col("d") >= EARLIEST).then(pl.col("d")).alias("d"))
    return ParsedDates(
        dates=found.get_column("d").alias("published_at"),
        ambiguous=found.get_column("ambiguous").fill_null(False),
        bad=found.select(given & pl.col("d").is_null() & ~pl.col("ambiguous").fill_null(False)).to_series()
        .fill_null(False),
    )
