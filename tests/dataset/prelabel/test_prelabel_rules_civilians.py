"""Violence against civilians: sexual violence, attack, abduction; civilians are actor2."""

import pytest


@pytest.mark.parametrize("text,sub", [
    ("Soldiers raped several women during a raid on the village.", "Sexual violence"),
    ("Gunmen shot dead four villagers in their homes.", "Attack"),
    ("Militants massacred 30 civilians in a remote village.", "Attack"),
    ("Armed men kidnapped 20 schoolchildren from their school.", "Abduction/forced disappearance"),
    ("The journalist was abducted by an armed group and remains missing.", "Abduction/forced disappearance"),
])
def test_violence_against_civilians(label, text, sub):
    row = label(text)
    assert (row["event_type"], row["sub_event_type"]) == ("Violence against civilians", sub)


def test_target_is_actor2(label):
    row = label("Gunmen shot dead four villagers in their homes.")
    assert (row["actor1"], row["inter1"]) == ("Gunmen", "Political militia")
    assert (row["actor2"], row["inter2"]) == ("villagers", "Civilians")
    assert row["fatalities"] == 4
