"""Strategic developments."""

import pytest


@pytest.mark.parametrize("text,sub", [
    ("The two sides signed a ceasefire agreement in the capital.", "Agreement"),
    ("The warring parties agreed to a prisoner exchange.", "Agreement"),
    ("Police arrested three opposition activists at their homes.", "Arrests"),
    ("Two rebel factions announced they had merged into a new coalition.", "Change to group/activity"),
    ("The government deployed additional troops to the northern region.", "Change to group/activity"),
    ("Security forces seized a large weapons cache in a raid on a farm.", "Disrupted weapons use"),
    ("Air defences intercepted two missiles over the city.", "Disrupted weapons use"),
    ("The militia set up a new base near the border crossing.", "Headquarters or base established"),
    ("Fighters looted shops and burned houses in the village.", "Looting/property destruction"),
    ("The rebels withdrew from the town, and the army entered without a fight.", "Non-violent transfer of territory"),
    ("Aircraft dropped leaflets urging residents to leave the city.", "Other"),
    ("Authorities imposed a curfew after the unrest.", "Other"),
])
def test_strategic_developments(label, text, sub):
    row = label(text)
    assert (row["event_type"], row["sub_event_type"]) == ("Strategic developments", sub)
    assert row["disorder_type"] == "Strategic developments"


def test_surrender_is_an_agreement(label):
    assert label("Forty rebel fighters surrendered to the army with their weapons.")["sub_event_type"] == "Agreement"
