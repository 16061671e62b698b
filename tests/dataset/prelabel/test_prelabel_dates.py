"""DATE spans and event_date / time_precision against published_at."""

import datetime as dt

import pytest

from conflictset.dataset.prelabel.dates import event_date, mentions

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


# --- the vectorised path (dates_vec) against mentions()/event_date(), which stay the reference ---

import polars as pl  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conflictset.dataset.prelabel.date_spec import KIND_GROUPS  # noqa: E402
from conflictset.dataset.prelabel.dates_vec import date_spans  # noqa: E402
from conflictset.dataset.prelabel.lexicon import lexicon_for  # noqa: E402
from conflictset.dataset.prelabel.normalise import padded_lower  # noqa: E402
from conflictset.dataset.prelabel.spans import date_checks  # noqa: E402

VEC_LANGUAGES = ("en", "nl", "fr", "de", "es")


def _frame(rows) -> pl.DataFrame:
    """The columns the span step hands to date_spans, for (text, language, published) rows."""
    texts, langs, pubs = zip(*rows) if rows else ((), (), ())
    return pl.DataFrame({"text": list(texts), "_lang": list(langs), "published_at": list(pubs)},
                        schema={"text": pl.String, "_lang": pl.String, "published_at": pl.Date}).with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), padded_lower(pl.col("text")).alias("_pl"))


def _vectorised(frame):
    spans, values = date_spans(frame, date_checks())
    return ([(r, s, e) for r, _, s, e in spans.iter_rows()],
            {r: (d, p) for r, d, p in values.iter_rows()})


def _reference(frame):
    """The former per-row loop: mentions() with the pre-check flags (in KIND_GROUPS order, as
    test_date_checks_follow_the_kind_groups checks), then event_date()."""
    flags = [c.alias(g) for g, c in date_checks().items()]
    spans, values = [], {}
    for row, text, lang, pub, *opened in frame.select("_row", "text", "_lang", "published_at", *flags).iter_rows():
        if not any(opened):
            continue
        found = mentions(text, lang, pub, tuple(opened))
        spans += [(row, m.start, m.end) for m in found]
        date, prec = event_date(found)
        if date is not None:
            values[row] = (date, prec)
    return spans, values


def test_date_checks_follow_the_kind_groups():
    assert list(date_checks()) == list(KIND_GROUPS)


@pytest.mark.parametrize("text,language,date,precision", [
    ("begonnen de gevechten al vroeg op dinsdagochtend", "nl", dt.date(2016, 5, 24), 1),
    ("On December 13 the rebels attacked.", "en", dt.date(2015, 12, 13), 1),
    ("Le 23/05/2016, l'armée a attaqué.", "fr", dt.date(2016, 5, 23), 1),
    ("De baas was dit weekend in Syrië.", "nl", dt.date(2016, 5, 21), 2),
    ("Last month the militia formed.", "en", dt.date(2016, 4, 15), 3),
    ("Am 3. März griffen Rebellen an, gestern auch.", "de", dt.date(2016, 3, 3), 1),  # the first of equals
    ("El 5 de mayo de 2016 y la semana pasada.", "es", dt.date(2016, 5, 18), 2),  # "5 de mayo" is no pattern
    ("On 29 February the town fell.", "en", dt.date(2016, 2, 29), 1),
    ("On 29 February 2015 the town fell.", "en", None, None),  # no such day: a span without a date
])
def test_vectorised_resolves_like_the_reference(text, language, date, precision):
    frame = _frame([(text, language, PUB)])
    spans, values = _vectorised(frame)
    assert (spans, values) == _reference(frame)
    assert spans and values.get(0, (None, None)) == (date, precision)


def _words(language: str) -> list[str]:
    d = lexicon_for(language).dates
    words = [*d["months"], *d["weekdays"]]
    for table in ("relative_days", "relative_weeks", "relative_months"):
        words += list(d[table])
    return words


SEPARATORS = [" ", " ", " ", ", ", ". ", "-", "/", ".", "", "\n"]
EXTRA = ["2016", "0000", "1999", "29", "31", "5", "05", "13", "1st", "3rd", "th", "er", "the", "on", "May",
         "may", "week", "2016-02-29", "2015-02-29", "2016-13-01", "23/05/2016", "3.4.2016", "31.04.2016",
         "weekend", "ochtend", "nacht", "Syrië", "é"]
ODD = ["²", "İ", "ı", "ſ", "e\u0301", "_", "\u00a0", "١٢", "\x1c"]  # where the regex engines may disagree
DATES = st.one_of(st.none(), st.dates(dt.date(1999, 1, 1), dt.date(2031, 12, 31)),
                  st.sampled_from([dt.date(2016, 1, 1), dt.date(2016, 2, 29), dt.date(2016, 12, 31)]))


@st.composite
def _row(draw):
    language = draw(st.sampled_from(VEC_LANGUAGES))
    cased = st.sampled_from(_words(language)).map(lambda w: draw(st.sampled_from([w, w.lower(), w.upper(), w.title()])))
    odd = st.sampled_from(ODD) if draw(st.integers(0, 9)) == 0 else st.sampled_from(EXTRA)
    word = st.one_of(cased, st.sampled_from(EXTRA), st.integers(0, 2100).map(str), odd)
    parts = draw(st.lists(st.tuples(word, st.sampled_from(SEPARATORS)), min_size=1, max_size=9))
    return "".join(w + s for w, s in parts), language, draw(DATES)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row(), min_size=1, max_size=25))
def test_vectorised_equals_mentions_on_generated_sentences(rows):
    frame = _frame(rows)
    assert _vectorised(frame) == _reference(frame)


def test_vectorised_equals_mentions_with_few_odd_rows():
    """Odd characters send a row to mentions(); the rest of the frame stays vectorised."""
    rows = [("Fighting resumed on Tuesday² and yesterday.", "en", PUB),
            ("Op 3 mei trok het leger op, gisteren ook.", "nl", PUB),
            ("Le 23/05/2016 et hier soir.", "fr", None),
            ("On May 5th, 2016, and last week.", "en", dt.date(2016, 1, 2))]
    frame = _frame(rows)
    assert _vectorised(frame) == _reference(frame)


# --- the matcher's date-word bits, which replace the month/weekday/relative checks where the
# regex engines agree ---

ALL_WORDS = [w for language in ("en", "nl", "fr", "de", "es", "ar") for w in _words(language)]


@st.composite
def _any_row(draw):
    """A sentence of date words of any language, in any case, between separators and odd characters."""
    date_word = st.sampled_from(ALL_WORDS).map(lambda w: draw(st.sampled_from([w, w.lower(), w.upper(), w.title()])))
    # odd characters are rare: a row holding one leaves the vectorised path
    word = st.one_of(date_word, date_word, st.sampled_from(EXTRA), st.sampled_from(["ochtend", "s", "x", "_", "1"]),
                     st.sampled_from(ODD) if draw(st.integers(0, 9)) == 0 else st.sampled_from(EXTRA))
    parts = draw(st.lists(st.tuples(word, st.sampled_from(SEPARATORS + ["", "_", "'"])), min_size=1, max_size=9))
    language = draw(st.sampled_from(("en", "nl", "fr", "de", "es", "ar", "xx")))
    return "".join(w + s for w, s in parts), language, draw(DATES)


def _with_masks(rows) -> pl.DataFrame:
    from conflictset.dataset.prelabel.matcher import MASKS, match, prepare

    texts, langs, pubs = zip(*rows)
    prepared = prepare(pl.DataFrame({"text": list(texts), "language": list(langs)}))
    masks = match(prepared).select(MASKS)
    return pl.concat([prepared.select("_row", "text", "_lang", "_pl", "_pc"), masks,
                      pl.DataFrame({"published_at": list(pubs)}, schema={"published_at": pl.Date})], how="horizontal")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_any_row(), min_size=1, max_size=25))
def test_date_word_bits_open_every_row_the_checks_open(rows):
    from conflictset.dataset.prelabel.dates_vec import _engines_disagree
    from conflictset.dataset.prelabel.lexicon import DATE_KEYS
    from conflictset.dataset.prelabel.matcher import has

    frame = _with_masks(rows)
    checks, words = date_checks(), {g: has(key) for g, key in DATE_KEYS.items()}
    got = frame.select("_row", *[checks[g].alias(g) for g in words], *[words[g].alias(f"bit_{g}") for g in words])
    assert got["relative"].equals(got["bit_relative"])
    agree = got.filter(~pl.col("_row").is_in(_engines_disagree(frame).implode()))
    for g in words:
        assert not (agree[g] & ~agree[f"bit_{g}"]).any(), g
    for with_bits, without in zip(date_spans(frame, checks, words), date_spans(frame, checks)):
        assert with_bits.equals(without)
