"""Whole-word Aho–Corasick matching: agrees with a word-boundary regex; the IS/is trap."""

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prelabel_helpers import sentences

from conflictset.dataset.prelabel import prelabel
from conflictset.dataset.prelabel.lexicon import LexiconError
from conflictset.dataset.prelabel.matcher import has, match, prepare
from conflictset.dataset.prelabel.normalise import normalise_term


def _terms(text, language="en"):
    m = match(sentences(text, language))
    return {t.split("=", 1)[1] for t in m["terms"][0]}


def test_dutch_verb_is_is_not_islamic_state(label):
    row = label("Het is koud en de militie is vertrokken.", language="nl")
    actors = [s["text"] for s in row["spans"] if s["label"] == "ACTOR"]
    assert actors == ["militie"]
    assert row["actor1"] == "militie" and row["inter1"] == "Political militia" and row["actor2"] is None


def test_uppercase_is_is_islamic_state(label):
    row = label("De SDF vecht tegen IS in Raqqa.", language="nl")
    actors = {(s["text"], s["start"]) for s in row["spans"] if s["label"] == "ACTOR"}
    assert actors == {("IS", 19), ("SDF", 3)}
    assert (row["actor1"], row["actor2"]) == ("Syrian Democratic Forces", "Islamic State")


def test_substrings_do_not_match():
    # "ied" in "died", "raid" in "afraid", "mine" in "determined", "riot" in "patriot"
    text = "The patriot was afraid; he died determined."
    assert _terms(text) & {"IED", "raid", "riot", "mine", "ied"} == set()
    assert _terms(text) == {"died"}  # the whole word "died" is a weak Attack cue


def test_hyphen_and_punctuation_are_word_breaks():
    assert "car bomb" in _terms("A car-bomb exploded.")
    assert "IED" in _terms("An IED, hidden by the road, exploded.")
    assert "IED" not in _terms("An ied exploded.")  # acronyms only in capitals


WORDS = ["clashes", "is", "IS", "died", "ied", "IED", "air", "strike", "afraid", "raid", "protest",
         "protesters", "the", "bomb", "car", "Raqqa", "tear", "gas", "-", ",", ".", "é", "ça"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), st.sampled_from([" ", "  ", "-", ", "]))
def test_agrees_with_word_boundary_regex(words, sep):
    text = sep.join(words)
    found = _terms(text)
    norm = " " + " ".join(re.sub(r"[^\w]|_", " ", text.lower()).split()) + " "
    for term in ("clashes", "air strike", "protest", "protesters", "car bomb", "tear gas", "raid"):
        regex_hit = re.search(rf"(?<!\w){re.escape(term)}(?!\w)", re.sub(r"[^\w]|_", " ", text.lower())) is not None
        # the padded matcher treats runs of separators as one break only where there is a single space
        spaced = " " + re.sub(r"[^\w]|_", " ", text.lower()) + " "
        if regex_hit and f" {normalise_term(term)} " in norm and f" {term} " in spaced:
            assert term in found, (term, text)
        if not regex_hit:
            assert term not in found, (term, text)
    assert ("IED" in found) == (re.search(r"(?<![^\W_])IED(?![^\W_])", text) is not None)


def test_an_unknown_key_is_refused_with_the_known_keys():
    # a misspelt key in a rule used to read as "never matches"
    with pytest.raises(LexiconError) as err:
        has("C:speculaton")
    message = str(err.value)
    assert "'C:speculaton'" in message and "did you mean 'C:speculation'" in message
    assert "C:negation" in message and "T:Armed clash" not in message and "fix:" in message
    assert all(isinstance(has(key), pl.Expr) for key in ("C:speculation", "D", "date:month", "T:Armed clash"))


def test_prepare_keeps_length():
    frame = prepare(sentences(["Ça brûle à Kyïv — 3 morts.", "İstanbul"]))
    assert frame["_pc"].str.len_chars().to_list() == [len("Ça brûle à Kyïv — 3 morts.") + 2, len("İstanbul") + 2]


def test_unknown_language_falls_back_to_english(label):
    assert label("Heavy clashes broke out.", language="xx")["sub_event_type"] == "Armed clash"
    assert label("Heavy clashes broke out.", language=None)["sub_event_type"] == "Armed clash"


def test_a_sentences_labels_do_not_depend_on_its_batch():
    # the evidence order once followed a join's input sizes: alone vs among 5,000 rows differed
    texts = [
        "Heavy fighting broke out on Monday between Syrian government troops and rebel factions.",
        "Several fighters on both sides were killed in the clashes, the observatory said.",
        "Protesters marched to parliament and police fired tear gas at the crowd.",
        "An IED exploded near a checkpoint, killing two soldiers and wounding a civilian.",
        "Het leger heeft de stad heroverd na zware gevechten met IS.",
    ]
    alone = prelabel(sentences(texts))
    filler = ["Troops shelled the village.", "The minister spoke about the economy."] * 2500
    among = prelabel(sentences(texts + filler)).head(len(texts))
    assert among.drop("sentence_id").equals(alone.drop("sentence_id"))
    one_by_one = pl.concat([prelabel(sentences([t])) for t in texts])
    assert one_by_one.drop("sentence_id").equals(alone.drop("sentence_id"))


def _reference_match(texts, language):
    """Masks and terms the plain way: explode every hit, join its keys, group by sentence."""
    from conflictset.dataset.prelabel.lexicon import key_bits, term_table

    frame = prepare(sentences(texts, language))
    table = term_table(language).with_columns(
        pl.col("key").replace_strict({k: m for k, (m, _) in key_bits().items()}).alias("mask"),
        pl.col("key").replace_strict({k: b for k, (_, b) in key_bits().items()}, return_dtype=pl.UInt64).alias("bit"))
    hits = pl.concat([
        frame.select("_row", pl.col(src).str.extract_many(table.filter(pl.col("cased") == cased)["pattern"].to_list(),
                                                          overlapping=True).alias("pattern"))
        .explode("pattern", keep_nulls=False).with_columns(pl.lit(cased).alias("cased"))
        for cased, src in ((False, "_pl"), (True, "_pc"))])
    keys = hits.join(table, on=["pattern", "cased"], maintain_order="left_right")
    is_trigger = pl.col("key").str.starts_with("T:") | pl.col("key").str.starts_with("W:")
    per_row = keys.group_by("_row", maintain_order=True).agg(
        *[pl.col("bit").filter(pl.col("mask") == m).unique().sum().alias(m) for m in ("_mT", "_mW", "_mC")],
        (pl.col("key") + "=" + pl.col("term")).filter(is_trigger).unique(maintain_order=True).alias("terms"))
    return frame.select("_row").join(per_row, on="_row", how="left", maintain_order="left").with_columns(
        pl.col("_mT", "_mW", "_mC").fill_null(0), pl.col("terms").fill_null([]))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["en", "nl", "fr", "es", "de", "ar"]), st.data())
def test_masks_and_terms_agree_with_an_explode_and_join(language, data):
    from conflictset.dataset.prelabel.lexicon import term_table

    words = st.sampled_from(term_table(language)["term"].to_list() + ["the", "is", "IS", "-", ","])
    texts = data.draw(st.lists(st.lists(words, max_size=8).map(" ".join), min_size=1, max_size=6))
    got = match(sentences(texts, language)).select("_mT", "_mW", "_mC", "terms")
    assert got.equals(_reference_match(texts, language).drop("_row"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_ascii_terms_normalise_like_any_term(term):
    from conflictset.dataset.prelabel.normalise import _normalise_any

    assert normalise_term(term) == _normalise_any(term)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("İIiı i̇ÀàẞßΣσς-.aZ"), max_size=12), max_size=8))
def test_lower_of_padded_is_a_literal_replace_then_lower(texts):
    from conflictset.dataset.prelabel.normalise import lower_of_padded

    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    expected = frame.select(pl.col("t").str.replace_all("İ", "I", literal=True).str.to_lowercase())
    assert frame.select(lower_of_padded(pl.col("t"))).equals(expected)
