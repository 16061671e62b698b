"""Explosions/Remote violence: codebook order decides between weapons."""

import pytest


@pytest.mark.parametrize("text,sub", [
    ("A chlorine gas attack on the town left dozens struggling to breathe.", "Chemical weapon"),
    ("Warplanes carried out air strikes on rebel positions overnight.", "Air/drone strike"),
    ("A drone strike hit a vehicle carrying militants.", "Air/drone strike"),
    ("A suicide bomber blew himself up at a checkpoint.", "Suicide bomb"),
    ("Artillery shelling hit residential areas of the city.", "Shelling/artillery/missile attack"),
    ("Mortar shells landed near the market.", "Shelling/artillery/missile attack"),
    ("A roadside bomb struck a military vehicle.", "Remote explosive/landmine/IED"),
    ("Two children were killed when they stepped on a landmine.", "Remote explosive/landmine/IED"),
    ("An IED exploded near a police patrol.", "Remote explosive/landmine/IED"),
    ("Unknown attackers threw a grenade into a bar.", "Grenade"),
])
def test_explosions(label, text, sub):
    row = label(text)
    assert (row["event_type"], row["sub_event_type"]) == ("Explosions/Remote violence", sub)


def test_explosion_killing_civilians_is_an_explosion(label):
    row = label("A car bomb killed 12 civilians at a busy market.")
    assert row["sub_event_type"] == "Remote explosive/landmine/IED"
    assert row["fatalities"] == 12


def test_suicide_bomber_is_counted(label):
    row = label("A suicide bomber killed 7 people at a wedding.")
    assert row["sub_event_type"] == "Suicide bomb"
    assert row["fatalities"] == 8
    row = label("A suicide bomber killed 7 people, including the bomber, at a wedding.")
    assert row["fatalities"] == 7


def test_defused_bomb_is_disrupted_weapons_use(label):
    row = label("Army engineers defused a roadside bomb planted near the school.")
    assert row["sub_event_type"] == "Disrupted weapons use"


def test_dutch_air_strike_and_fatalities(label):
    row = label("Bij die bombardementen zouden tenminste 22 leden van IS zijn omgekomen.", language="nl")
    assert row["sub_event_type"] == "Air/drone strike"
    assert row["fatalities"] == 22


def test_named_ground_weapon_in_a_clash_is_the_explosion(label):
    row = label("A grenade exploded during clashes between soldiers and militants, wounding five.")
    assert row["sub_event_type"] == "Grenade"
    assert "lf_armed_clash" in row["evidence"]
