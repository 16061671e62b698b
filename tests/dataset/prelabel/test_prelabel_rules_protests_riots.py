"""Protests and riots: peaceful, intervention, excessive force, violent demonstration, mob violence."""

import pytest


@pytest.mark.parametrize("text,sub", [
    ("Thousands of demonstrators marched through the capital demanding new elections.", "Peaceful protest"),
    ("Teachers staged a sit-in outside the ministry over unpaid wages.", "Peaceful protest"),
    ("Police fired tear gas and water cannon to disperse the protesters.", "Protest with intervention"),
    ("Riot police broke up the rally and arrested dozens of students.", "Protest with intervention"),
    ("Security forces opened fire on protesters, killing at least five people.", "Excessive force against protesters"),
    ("Soldiers used live ammunition against a peaceful march.", "Excessive force against protesters"),
    ("Rioters torched cars and threw stones at police.", "Violent demonstration"),
    ("The protest turned violent when demonstrators hurled petrol bombs.", "Violent demonstration"),
    ("An angry mob lynched a man accused of theft.", "Mob violence"),
    ("Vigilantes beat two suspected cattle thieves to death.", "Mob violence"),
])
def test_demonstrations(label, text, sub):
    assert label(text)["sub_event_type"] == sub


def test_excessive_force_is_political_violence_and_demonstrations(label):
    row = label("Security forces opened fire on protesters, killing at least five people.")
    assert row["disorder_type"] == "Political violence; Demonstrations"
    assert row["fatalities"] == 5
    assert (row["inter1"], row["inter2"]) == ("Protesters", "State forces")


def test_stun_grenades_are_not_the_grenade_sub_type(label):
    row = label("Police threw stun grenades to disperse the crowd of protesters.")
    assert row["sub_event_type"] == "Protest with intervention"


def test_dutch_protest(label):
    assert label("Duizenden demonstranten gingen de straat op in Amsterdam.", language="nl")[
        "sub_event_type"] == "Peaceful protest"
    assert label("De politie zette traangas in tegen de betogers.", language="nl")[
        "sub_event_type"] == "Protest with intervention"


def test_force_against_a_peaceful_gathering_is_excessive(label):
    assert label("Police fired tear gas at a peaceful march of students.")["sub_event_type"] == \
        "Excessive force against protesters"
