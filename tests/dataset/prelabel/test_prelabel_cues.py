"""Cues that lower or veto a label; no rule → no event; score semantics."""

import pytest


@pytest.mark.parametrize("text,language,role", [
    ("Wordt Raqqa binnenkort eindelijk bevrijd van IS?", "nl", "headline"),
    ("Will the army recapture the city?", "en", "headline"),
    ("De SDF-militie wil het noorden van Raqqa bevrijden", "nl", "caption"),
    ("The rebels threatened to attack the capital.", "en", "body"),
    ("The government plans to deploy troops next month.", "en", "body"),
    ("The campaign aims to drive the militants out of the region.", "en", "body"),
    ("'De campagne is erop gericht om de terroristen te verdrijven uit Shaddadi,' schrijft de SDF.", "nl", "body"),
    ("The minister met the ambassador to discuss trade.", "en", "body"),
    ("A strong earthquake killed eight people.", "en", "body"),
    ("Heavy rain flooded the valley.", "en", "body"),
])
def test_no_event(label, text, language, role):
    row = label(text, language=language, role=role)
    assert row["event_type"] is None and row["sub_event_type"] is None and row["disorder_type"] is None
    assert 0.0 <= row["score"] <= 1.0


def test_question_only_vetoes_headlines(label):
    assert label("Clashes broke out near the border?", role="body")["event_type"] == "Battles"
    assert label("Clashes broke out near the border?", role="headline")["event_type"] is None


def test_speculation_lowers_the_score(label):
    sure = label("Warplanes bombed the town.")
    maybe = label("Warplanes may have bombed the town.")
    assert sure["sub_event_type"] == maybe["sub_event_type"] == "Air/drone strike"
    assert maybe["score"] < sure["score"]
    assert "cue:speculation" in maybe["evidence"]


def test_no_rule_means_nulls_and_a_no_event_score(label):
    row = label("The weather was pleasant in the capital.")
    assert row["event_type"] is None and row["fatalities"] is None
    assert row["score"] == pytest.approx(0.85)
    assert row["evidence"] == []


def test_claims_of_responsibility_are_not_events(label):
    row = label("The group claimed responsibility for the attack in a statement.")
    assert row["event_type"] is None


def test_evidence_names_rules_and_terms(label):
    row = label("A roadside bomb struck a military vehicle.")
    assert "lf_remote_explosive" in row["evidence"]
    assert "T:Remote explosive/landmine/IED=roadside bomb" in row["evidence"]
