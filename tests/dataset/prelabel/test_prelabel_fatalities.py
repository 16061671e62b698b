"""ACLED fatality counting."""

import pytest

from dataset.prelabel.fatalities import fatalities


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
