"""DATE spans and event_date / time_precision against published_at."""

import datetime as dt

import pytest

from dataset.prelabel.dates import event_date, mentions

PUB = dt.date(2016, 5, 25)  # Wednesday


@pytest.mark.parametrize("text,language,date,precision", [
    ("begonnen de gevechten al vroeg op dinsdagochtend", "nl", dt.date(2016, 5, 24), 1),
    ("zijn er maandagnacht 250 leden geland", "nl", dt.date(2016, 5, 23), 1),
    ("Fighting resumed on Wednesday.", "en", dt.date(2016, 5, 25), 1),
    ("The town was shelled yesterday.", "en", dt.date(2016, 5, 24), 1),
    ("Gisteren vielen er doden.", "nl", dt.date(2016, 5, 24), 1),
    ("On 23 May 2016 the army advanced.", "en", dt.date(2016, 5, 23), 1),
    ("On May 3, 2016 the army advanced.", "en", dt.date(2016, 5, 3), 1),
    ("Op 3 mei trok het leger op.", "nl", dt.date(2016, 5, 3), 1),
    ("On December 13 the rebels attacked.", "en", dt.date(2015, 12, 13), 1),
    ("Le 23/05/2016, l'armée a attaqué.", "fr", dt.date(2016, 5, 23), 1),
    ("Eerder deze week lieten vliegtuigen pamfletten vallen.", "nl", dt.date(2016, 5, 25), 2),
    ("The protests took place last week.", "en", dt.date(2016, 5, 18), 2),
    ("De baas was dit weekend in Syrië.", "nl", dt.date(2016, 5, 21), 2),
    ("In March 2016 the militia formed.", "en", dt.date(2016, 3, 15), 3),
    ("Last month the militia formed.", "en", dt.date(2016, 4, 15), 3),
])
def test_resolved(text, language, date, precision):
    found = mentions(text, language, PUB)
    assert found
    assert event_date(found) == (date, precision)
    for m in found:
        assert 0 <= m.start < m.end <= len(text)


def test_may_the_verb_is_not_a_month():
    assert mentions("The rebels may attack the town.", "en", PUB) == []


def test_without_publication_date_only_full_dates_resolve():
    assert event_date(mentions("The town was shelled on Tuesday.", "en", None)) == (None, None)
    assert mentions("The town was shelled on Tuesday.", "en", None)[0].date is None
    assert event_date(mentions("On 23 May 2016 the army advanced.", "en", None)) == (dt.date(2016, 5, 23), 1)


def test_event_without_a_date_falls_back_to_publication_week(label):
    row = label("Warplanes bombed the town.", published_at=PUB)
    assert (row["event_date"], row["time_precision"]) == (PUB, 2)
    row = label("Warplanes bombed the town on Monday.", published_at=PUB)
    assert (row["event_date"], row["time_precision"]) == (dt.date(2016, 5, 23), 1)
    assert [s["text"] for s in row["spans"] if s["label"] == "DATE"] == ["Monday"]
    row = label("The weather was fine.", published_at=PUB)
    assert row["event_date"] is None and row["time_precision"] is None
