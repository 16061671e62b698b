"""Battles rules: territory changes by side, armed clashes, protest clashes are not battles."""

import pytest


@pytest.mark.parametrize("text,sub", [
    ("Government troops recaptured the town of Kidal from the rebels on Sunday.", "Government regains territory"),
    ("The army retook control of the district after two days of fighting.", "Government regains territory"),
    ("Soldiers took control of the village after militants fled.", "Government regains territory"),
    ("Jihadist fighters seized control of the town after overrunning an army post.",
     "Non-state actor overtakes territory"),
    ("The strategic town fell to the rebels late on Friday.", "Non-state actor overtakes territory"),
    ("Militants recaptured the village they had lost a week earlier.", "Non-state actor overtakes territory"),
    ("Heavy clashes broke out between the army and separatists near the border.", "Armed clash"),
    ("Two soldiers died in a gun battle with insurgents.", "Armed clash"),
    ("Rebels ambushed a military convoy on the highway.", "Armed clash"),
])
def test_battles(label, text, sub):
    row = label(text)
    assert (row["event_type"], row["sub_event_type"]) == ("Battles", sub)
    assert row["disorder_type"] == "Political violence"


def test_ground_battle_with_air_support_is_a_battle(label):
    row = label("Fierce fighting raged in the city as warplanes carried out air strikes in support of the troops.")
    assert row["sub_event_type"] == "Armed clash"
    assert "lf_air_strike" in row["evidence"] and "lf_armed_clash" in row["evidence"]


def test_protesters_clashing_with_police_is_not_a_battle(label):
    row = label("Protesters clashed with police outside parliament.")
    assert row["event_type"] == "Riots"


def test_dutch_battles(label):
    assert label("Begonnen de gevechten tussen de SDF en IS al vroeg op dinsdagochtend.", language="nl")[
        "sub_event_type"] == "Armed clash"
    assert label("Het leger heroverde de stad op de rebellen.", language="nl")[
        "sub_event_type"] == "Government regains territory"


@pytest.mark.parametrize("text", [
    "An army spokesman said militants seized control of the town.",
    "According to the police, rebels captured the village on Sunday.",
])
def test_the_speaker_is_not_the_side_that_took_the_place(label, text):
    row = label(text)
    assert row["sub_event_type"] == "Non-state actor overtakes territory"
    assert row["inter1"] == "Rebel group"
