"""The gazetteer, built with column operations, against the per-spelling rules it implements."""

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from conflictset.dataset.prelabel import places
from conflictset.dataset.prelabel.normalise import normalise_cased


def _gazetteer_one_by_one(spellings: pl.DataFrame) -> pl.DataFrame:
    """Reference: each spelling in turn, normalised in Python; a higher rank replaces an entry
    but the entry keeps its place."""
    rows = {}
    for spelling, name, country, kind, rank in spellings.iter_rows():
        norm = normalise_cased(spelling)
        if len(norm) < 3 or norm in places.STOPWORDS:
            continue
        key = f" {norm} "
        if key not in rows or rows[key][3] < rank:
            rows[key] = (name, country, kind, rank)
    return pl.DataFrame([(k, *v[:3]) for k, v in rows.items()], orient="row",
                        schema={"pattern": pl.String, "name": pl.String, "country": pl.String, "kind": pl.String})


def _spellings() -> pl.DataFrame:
    countries = places.country_names()
    return pl.concat([places._countries(countries), places._cities(), places._shipped_spellings()])


def test_gazetteer_matches_the_one_by_one_rules():
    expected = _gazetteer_one_by_one(_spellings())
    assert places.gazetteer().drop("country_name").equals(expected)


@given(st.lists(st.tuples(st.sampled_from(["Raqqa", "Al-Raqqa", "al  Raqqa", "Kiëv", "Kie\u0308v", "Bar", "Ba",
                                           "Tel_Abyad", "Tel Abyad", "é—ß", "Ǆx1", "١٢٣"]),
                          st.integers(1, 3)), max_size=8))
def test_precedence_and_normalisation(picks):
    spellings = pl.DataFrame([(s, f"n{i}", "SY", "city", r) for i, (s, r) in enumerate(picks)],
                             schema=places._SPELLINGS, orient="row")
    assert places._entries(spellings).select("pattern", "name", "country", "kind").equals(
        _gazetteer_one_by_one(spellings))
