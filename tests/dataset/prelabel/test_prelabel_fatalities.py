"""ACLED fatality counting."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conflictset.dataset.prelabel.fatalities import fatalities
from conflictset.dataset.prelabel.fatalities_vec import fatalities_frame
from conflictset.dataset.prelabel.matcher import prepare


@pytest.mark.parametrize("text,language,expected", [
    ("At least 22 people were killed in the attack.", "en", 22),
    ("A car bomb killed at least 22 people and wounded 40.", "en", 22),
    ("Dozens of civilians were killed.", "en", 12),
    ("Several soldiers died in the ambush.", "en", 3),
    ("A few villagers were killed.", "en", 3),
    ("Many people lost their lives.", "en", 3),
    ("Hundreds of people were killed in the massacre.", "en", 100),
    ("The attack killed 3 and wounded 10.", "en", 3),
    ("Seven people were injured and two killed.", "en", 2),
    ("The death toll rose to 1,300 on Monday.", "en", 1300),
    ("Bij die bombardementen zouden tenminste 22 leden van IS zijn omgekomen.", "nl", 22),
    ("Bij de aanslag kwamen drie mensen om het leven.", "nl", 3),
    ("Au moins 12 personnes ont été tuées.", "fr", 12),
    ("Al menos 5 personas murieron.", "es", 5),
    ("Mindestens 7 Menschen wurden getötet.", "de", 7),
])
def test_counts(text, language, expected):
    assert fatalities(text, language)[0] == expected


@pytest.mark.parametrize("text,language", [
    ("zijn er maandagnacht 250 leden van de Amerikaanse special forces in Syrië geland.", "nl"),
    ("The army deployed 5,000 troops to the region.", "en"),
    ("About 10,000 protesters marched through the city.", "en"),
    ("Police arrested 12 people after the clashes.", "en"),
    ("Twenty people were injured in the blast.", "en"),
    ("A 13-year-old boy was wounded.", "en"),
    ("In 2016 the group killed civilians.", "en"),
    ("Three people were reported missing after the attack.", "en"),
])
def test_not_fatalities(text, language):
    assert fatalities(text, language)[0] is None


def test_suicide_bomber_counts():
    assert fatalities("A suicide bomber killed 5 soldiers.", "en", suicide_bomb=True)[0] == 6
    assert fatalities("A suicide bomber killed 5 soldiers, including the bomber.", "en", suicide_bomb=True)[0] == 5
    assert fatalities("A suicide bomber blew himself up at the gate.", "en", suicide_bomb=True)[0] == 1


def test_span_offsets():
    text = "Bij die bombardementen zouden tenminste 22 leden van IS zijn omgekomen."
    value, found = fatalities(text, "nl")
    assert value == 22 and text[found[0].start:found[0].end] == "22"


# --- the vectorised implementation used by prelabel() agrees with the reference -------------



WORDS_EN = ["at", "least", "22", "1,300", "2016", "three", "dozens", "several", "a", "few", "people", "were",
            "killed", "and", "wounded", "injured", "arrested", "troops", "soldiers", "died", "killing", "the",
            "death", "toll", "rose", "to", "13", "year", "old", "5", "civilians", "lost", "their", "lives", ",",
            "dozen", "scores", "of", "300", "1"]


def _vectorised(texts, language):
    frame = prepare(pl.DataFrame({"text": texts, "language": [language] * len(texts)}))
    out = fatalities_frame(frame.with_columns(pl.lit(False).alias("suicide")))
    got = dict(zip(out["_row"].to_list(), zip(out["fatalities"].to_list(), out["start"].to_list(),
                                                  out["end"].to_list())))
    return [got.get(i) for i in range(len(texts))]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS_EN), min_size=1, max_size=16).map(" ".join), min_size=1, max_size=8))
def test_vectorised_matches_reference(texts):
    for text, got in zip(texts, _vectorised(texts, "en")):
        value, found = fatalities(text, "en")
        if value is None:
            assert got is None, text
        else:
            assert got == (value, found[0].start, found[0].end), text


@pytest.mark.parametrize("text,language,expected", [
    ("Bij die bombardementen zouden tenminste 22 leden van IS zijn omgekomen.", "nl", 22),
    ("zijn er maandagnacht 250 leden van de Amerikaanse special forces in Syrië geland.", "nl", None),
    ("The death toll rose to 1,300 on Monday.", "en", 1300),
])
def test_vectorised_examples(text, language, expected):
    got = _vectorised([text], language)[0]
    assert (got[0] if got else None) == expected
