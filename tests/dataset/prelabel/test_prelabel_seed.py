"""The Dutch seed article (../shared/fixtures/nl_raqqa_2016.*): labels, fatalities, places, IS/is.

Sentences are cut from the seed text around each gold ``match`` (to the enclosing sentence), so
this test does not depend on the segmenter.
"""

import re

import polars as pl
import pytest

from conflictset.dataset.prelabel import prelabel
from conflictset.schemas.taxonomy import NO_EVENT

LABELLED_ROLES = ("headline", "body", "caption")


def _sentence_around(text: str, fragment: str) -> str:
    i = text.index(fragment)
    start = max(text.rfind("\n", 0, i), max((m.end() for m in re.finditer(r"[.?!] ", text[:i])), default=-1))
    start = 0 if start < 0 else start
    ends = [e for e in (text.find("\n", i + len(fragment)),) if e != -1]
    m = re.search(r"[.?!](\s|$)", text[i + len(fragment) - 1:])
    if m:
        ends.append(i + len(fragment) - 1 + m.start() + 1)
    end = min(ends) if ends else len(text)
    sentence = text[start:end].strip()
    return sentence.split(" - Foto:")[0]  # the photo credit is not part of the caption sentence


@pytest.fixture(scope="module")
def seed(seed_txt, seed_gold):
    text = seed_txt.read_text(encoding="utf-8")
    rows = [g for g in seed_gold if g.get("role") in LABELLED_ROLES]
    frame = pl.DataFrame({
        "sentence_id": [f"seed-{i}" for i in range(len(rows))],
        "text": [_sentence_around(text, g["match"]) for g in rows],
        "language": ["nl"] * len(rows),
        "role": [g["role"] for g in rows],
        "published_at": [None] * len(rows),
    }, schema_overrides={"published_at": pl.Date})
    out = prelabel(frame)
    return list(zip(rows, out.iter_rows(named=True)))


def test_every_gold_label(seed):
    for gold, row in seed:
        allowed = {gold.get("event_type")} | set(gold.get("accept", []))
        assert row["event_type"] in allowed, (gold["match"], row["event_type"], row["evidence"])
        if gold.get("sub_event_type") and row["event_type"] == gold["event_type"]:
            assert row["sub_event_type"] == gold["sub_event_type"], (gold["match"], row["evidence"])


def test_gold_events_are_found(seed):
    wanted = [(g, r) for g, r in seed if g.get("event_type") and None not in g.get("accept", [])]
    assert wanted
    for gold, row in wanted:
        assert row["event_type"] == gold["event_type"], gold["match"]


def test_fatalities(seed):
    by_match = {g["match"]: r for g, r in seed}
    bombing = by_match["Bij die bombardementen zouden tenminste 22 leden van IS zijn omgekomen."]
    assert bombing["fatalities"] == 22
    assert [s["text"] for s in bombing["spans"] if s["label"] == "FATALITIES"] == ["22"]
    troops = next(r for g, r in seed if "250 leden" in g["match"])
    assert troops["fatalities"] is None
    assert not [s for s in troops["spans"] if s["label"] == "FATALITIES"]


def test_no_islamic_state_from_the_verb_is(seed):
    for gold, row in seed:
        for span in row["spans"]:
            if span["label"] == "ACTOR":
                assert span["text"] != "is", gold["match"]
    first = next(r for g, r in seed if g["match"].startswith("Een speciale militie"))
    actors = [(s["text"], s["start"]) for s in first["spans"] if s["label"] == "ACTOR"]
    assert ("IS", first["text"].index("(IS)") + 1) in actors
    assert all(t != "is" for t, _ in actors)


def test_places(seed):
    found = {s["text"] for _, row in seed for s in row["spans"] if s["label"] == "LOCATION"}
    assert {"Raqqa", "Shaddadi", "Tel Abyad", "Kobani"} <= found
    aims = next(r for g, r in seed if g["match"].startswith("De campagne"))
    assert aims["event_type"] is None
    assert [s["text"] for s in aims["spans"] if s["label"] == "LOCATION"][:3] == ["Shaddadi", "Tel Abyad", "Kobani"]
    assert aims["country"] == "Syria"


def test_scores_rank_events_above_doubtful_rows(seed):
    events = [r["score"] for g, r in seed if r["event_type"] is not None]
    assert min(events) >= 0.5
    assert NO_EVENT  # the evaluate command names the no-event class with the taxonomy constant
