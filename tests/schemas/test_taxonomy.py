import pytest

from conflictset.schemas import taxonomy as t


def test_counts_and_order():
    assert t.EVENT_TYPES == (
        "Battles", "Protests", "Riots", "Explosions/Remote violence",
        "Violence against civilians", "Strategic developments",
    )
    assert len(t.SUB_EVENT_TYPES) == 25
    assert t.SUB_EVENT_TYPE_NAMES[0] == "Government regains territory"
    assert t.SUB_EVENT_TYPE_NAMES[-1] == "Other"
    assert all(s.definition for s in t.SUB_EVENT_TYPES)


@pytest.mark.parametrize("sub,parent,disorder", [
    ("Armed clash", "Battles", "Political violence"),
    ("Excessive force against protesters", "Protests", "Political violence; Demonstrations"),
    ("Peaceful protest", "Protests", "Demonstrations"),
    ("Violent demonstration", "Riots", "Demonstrations"),
    ("Mob violence", "Riots", "Political violence"),
    ("Air/drone strike", "Explosions/Remote violence", "Political violence"),
    ("Abduction/forced disappearance", "Violence against civilians", "Political violence"),
    ("Looting/property destruction", "Strategic developments", "Strategic developments"),
])
def test_parent_and_disorder(sub, parent, disorder):
    assert t.parent_of(sub) == parent
    assert t.disorder_type_of(sub) == disorder
    assert t.is_valid_pair(parent, sub)


def test_invalid_pairs_and_unknown_labels():
    assert not t.is_valid_pair("Battles", "Grenade")
    assert not t.is_valid_pair("Battles", None)
    assert t.is_valid_pair(None, None)
    with pytest.raises(t.UnknownLabel, match="unknown sub_event_type 'armed clash'"):
        t.parent_of("armed clash")


def test_precedence_follows_codebook_order():
    assert t.precedence("Air/drone strike") < t.precedence("Shelling/artillery/missile attack")
    assert t.precedence("Government regains territory") < t.precedence("Armed clash")


def test_inter_codes_and_interaction():
    assert t.INTER_CODES[1] == "State forces" and t.INTER_CODES[8] == "External/Other forces"
    assert t.interaction("Rebel group", "State forces") == "State forces-Rebel group"
    assert t.interaction("Civilians", None) == "Civilians only"
    assert t.interaction(None, None) is None
