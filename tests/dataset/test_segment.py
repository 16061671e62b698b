"""Stage ``segment``: sentences with exact offsets into the clean text, roles, ids, language."""

from __future__ import annotations

import polars as pl
import pytest
import sentencex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import conflictset.dataset.segment as segment_module
from conflictset.dataset.segment import SENTENCE_COLUMNS, clean_text, segment, segment_articles, zero_padded
from conflictset.schemas.pipeline import SENTENCE_ROLES, Sentence
from conflictset.schemas.validation import validate

SEGMENT_SCHEMA = {"article_id": pl.String, "segment_index": pl.Int64, "text": pl.String, "role": pl.String,
                  "reason": pl.String, "char_start": pl.Int64, "char_end": pl.Int64}


def segments_frame(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """(article_id, role, text) rows → a Segment frame (offsets are not used by ``segment``)."""
    out, index = [], {}
    for article_id, role, text in rows:
        i = index.get(article_id, 0)
        index[article_id] = i + 1
        out.append({"article_id": article_id, "segment_index": i, "text": text, "role": role,
                    "reason": None if role in SENTENCE_ROLES else f"{role}_phrase",
                    "char_start": 0, "char_end": len(text)})
    return pl.DataFrame(out, schema=SEGMENT_SCHEMA)


def assert_offsets(texts: pl.DataFrame, sentences: pl.DataFrame) -> None:
    by_id = dict(zip(texts["article_id"], texts["clean_text"]))
    for r in sentences.iter_rows(named=True):
        assert by_id[r["article_id"]][r["char_start"]:r["char_end"]] == r["text"], r


SEED_LIKE = segments_frame([
    ("raqqa", "headline", "Wordt Raqqa binnenkort eindelijk bevrijd van IS?"),
    ("raqqa", "caption", "De SDF-militie wil het noorden van Raqqa bevrijden"),
    ("raqqa", "credit", "Foto: AFP"),
    ("raqqa", "body", "Een speciale militie onder leiding van de Koerden is eindelijk begonnen met een offensief "
                      "tegen Raqqa. De militie wordt ondersteund door het Amerikaanse leger."),
    ("raqqa", "boilerplate", "Klik hier om jouw cookie-voorkeuren aan te passen."),
    ("raqqa", "heading", "Centrum"),
    ("raqqa", "body", "Het ging o.a. om de regio ten noorden van de stad.\nEen tweede regel zonder punt\n"
                      "Op 3 jan. 2016 begon het offensief."),
    ("raqqa", "related", "Lees ook Iraakse leger clasht met IS in centrum Fallujah"),
    ("kabul", "headline", "Dozens dead as suicide bomber hits Kabul mosque"),
    ("kabul", "body", "A suicide bomber blew himself up on Friday. Mr. Smith of the U.S. embassy condemned it."),
])


def test_sentences_come_only_from_kept_roles_with_exact_offsets():
    texts, sentences = segment_articles(SEED_LIKE)
    assert sentences.columns == list(SENTENCE_COLUMNS)
    assert_offsets(texts, sentences)
    assert set(sentences["role"]) == {"headline", "caption", "body"}
    joined = " ".join(sentences["text"])
    for dropped in ("Foto: AFP", "cookie-voorkeuren", "Centrum", "Lees ook", "Fallujah"):
        assert dropped not in joined


def test_sentence_boundaries_lines_and_abbreviations():
    sentences = segment(SEED_LIKE)
    raqqa = sentences.filter(pl.col("article_id") == "raqqa")["text"].to_list()
    assert raqqa == [
        "Wordt Raqqa binnenkort eindelijk bevrijd van IS?",
        "De SDF-militie wil het noorden van Raqqa bevrijden",
        "Een speciale militie onder leiding van de Koerden is eindelijk begonnen met een offensief tegen Raqqa.",
        "De militie wordt ondersteund door het Amerikaanse leger.",
        "Het ging o.a. om de regio ten noorden van de stad.",   # "o.a. om" is not a boundary
        "Een tweede regel zonder punt",                          # separate lines are separate sentences
        "Op 3 jan. 2016 begon het offensief.",                  # nor is "jan. 2016"
    ]
    kabul = sentences.filter(pl.col("article_id") == "kabul")["text"].to_list()
    assert kabul == ["Dozens dead as suicide bomber hits Kabul mosque", "A suicide bomber blew himself up on Friday.",
                     "Mr. Smith of the U.S. embassy condemned it."]


def test_clean_text_joins_kept_segments_with_blank_lines_in_order():
    texts = clean_text(SEED_LIKE)
    assert texts["article_id"].to_list() == ["raqqa", "kabul"]  # input order, not sorted
    assert texts.filter(pl.col("article_id") == "kabul")["clean_text"].item() == (
        "Dozens dead as suicide bomber hits Kabul mosque\n\nA suicide bomber blew himself up on Friday. "
        "Mr. Smith of the U.S. embassy condemned it.")


def test_ids_are_deterministic_and_indexed_per_article():
    first, second = segment(SEED_LIKE), segment(SEED_LIKE)
    assert first.equals(second)
    kabul = first.filter(pl.col("article_id") == "kabul")
    assert kabul["sentence_id"].to_list() == ["kabul-00000", "kabul-00001", "kabul-00002"]
    assert kabul["sentence_index"].to_list() == [0, 1, 2]


def test_language_per_sentence_with_article_fallback_and_und():
    rows = segments_frame([
        ("a", "headline", "Centrum"),
        ("a", "body", "De politie heeft twaalf jongeren aangehouden. Volgens de burgemeester was het de hele "
                      "nacht onrustig in de stad. The army said the rebels had withdrawn."),
        ("a", "body", "Lees ook"),
    ])
    sentences = segment(rows)
    # one-word line → und; clear sentences → their own language; "Lees ook" → the article's (nl)
    assert sentences["language"].to_list() == ["und", "nl", "nl", "en", "nl"]


def test_declared_language_is_the_fallback():
    rows = segments_frame([("a", "body", "Raqqa, Shaddadi en Kobani."), ("b", "body", "Raqqa, Shaddadi en Kobani.")])
    declared = pl.DataFrame({"article_id": ["a", "b"], "language": ["fr-FR", None]})
    texts, sentences = segment_articles(rows, declared)
    assert texts["language"].to_list() == ["fr", "und"]
    assert sentences["language"].to_list() == ["fr", "und"]


def test_a_declared_language_outvotes_the_sentences_with_or_without_undeclared_articles():
    body = "De politie heeft twaalf jongeren aangehouden. Lees ook"
    rows = segments_frame([("a", "body", body), ("b", "body", body)])
    for languages, expected in ((["en", "fr"], ["en", "fr"]), (["en", None], ["en", "nl"])):
        texts, sentences = segment_articles(rows, pl.DataFrame({"article_id": ["a", "b"], "language": languages}))
        assert texts["language"].to_list() == expected
        assert sentences["language"].to_list() == ["nl", expected[0], "nl", expected[1]]


def test_multibyte_whitespace_does_not_crash_the_splitter():
    # sentencex panics on U+00A0/U+2028 next to an initial's period; the stage must not
    text = "\nb A\u2028. é\u2028.b\u2028 De\u00a0Dr. A.\u00a0B. Jansen zei het.\u3000Ja."
    texts, sentences = segment_articles(segments_frame([("x", "body", text)]))
    assert_offsets(texts, sentences)
    assert "".join(sentences["text"]).replace(" ", "") != ""


def test_no_kept_segment_gives_no_article_and_no_sentence():
    texts, sentences = segment_articles(segments_frame([("x", "boilerplate", "Accepteer cookies")]))
    assert texts.height == 0 and sentences.height == 0
    assert sentences.columns == list(SENTENCE_COLUMNS)


def test_whitespace_only_kept_segment_gives_zero_sentences():
    texts, sentences = segment_articles(segments_frame([("x", "body", " \n \t ")]))
    assert texts["n_sentences"].to_list() == [0]
    assert sentences.height == 0


def test_output_validates_as_sentences_with_metadata():
    sentences = segment(SEED_LIKE).with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in ("title", "source", "url", "prev_text", "next_text")]
        + [pl.lit(None, dtype=pl.Date).alias("published_at")])
    validate(sentences, Sentence)


# text pieces that stress offsets: mixed scripts, emoji (astral), combining marks, ZWJ
# sequences, odd whitespace, abbreviations and line breaks inside a segment
PIECES = st.sampled_from([
    "Raqqa", "bevrijd", "IS", "o.a.", "Dr.", "U.S.", "jan.", "2016", "22", "الرقة", "قتل", "Кобані", "東京",
    "😀", "👩‍👩‍👧", "🇳🇱", "e\u0301", "n\u0303", "ß", "İ", "ﬁ", "\u200b", "\u00a0", "\u2028", "\t",
    ".", "!", "?", "…", "؟", "。", ",", "'", "\u201c", "-", " ", " ", " ", "\n", "\r\n",
])
SEGMENT_TEXT = st.lists(PIECES, min_size=1, max_size=40).map("".join)
ROLES = st.sampled_from(["headline", "body", "body", "caption", "credit", "boilerplate", "related", "heading"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), ROLES, SEGMENT_TEXT), min_size=1, max_size=12))
def test_offsets_slice_the_clean_text_exactly(rows):
    frame = segments_frame(rows)
    texts, sentences = segment_articles(frame)
    assert_offsets(texts, sentences)
    # each sentence is stripped, non-empty, one line, and ids are unique
    assert sentences.filter(pl.col("text").str.len_chars() == 0).height == 0
    assert not any("\n" in t for t in sentences["text"])
    assert sentences["sentence_id"].n_unique() == sentences.height
    # all non-space text of kept segments ends up in some sentence
    kept = clean_text(frame)
    for aid, ct in kept.iter_rows():
        got = "".join(sentences.filter(pl.col("article_id") == aid)["text"])
        assert "".join(ct.split()) == "".join(got.split())


@pytest.mark.parametrize("language", ["nl", "en", "fr", "de", "es", "ar", "und", "xx"])
def test_every_language_code_is_accepted_by_the_splitter(language):
    rows = segments_frame([("a", "body", "Eerste zin. Tweede zin.")])
    declared = pl.DataFrame({"article_id": ["a"], "language": [language]})
    texts, sentences = segment_articles(rows, declared)
    assert sentences["text"].to_list() == ["Eerste zin.", "Tweede zin."]


def test_a_splitter_panic_keeps_the_article_as_lines(monkeypatch):
    import conflictset.dataset.segment as segment_module

    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panic(language, text):
        raise PanicException("byte index is not a char boundary")

    monkeypatch.setattr(segment_module.sentencex, "segment", panic)
    texts, sentences = segment_articles(segments_frame([("x", "body", "Eerste zin. Tweede zin.\nDerde regel")]))
    assert sentences["text"].to_list() == ["Eerste zin. Tweede zin.", "Derde regel"]
    assert_offsets(texts, sentences)


def test_other_interrupts_are_not_swallowed(monkeypatch):
    import conflictset.dataset.segment as segment_module

    def interrupt(language, text):
        raise KeyboardInterrupt

    monkeypatch.setattr(segment_module.sentencex, "segment", interrupt)
    with pytest.raises(KeyboardInterrupt):
        # two sentences: a one-sentence segment never reaches sentencex
        segment_articles(segments_frame([("x", "body", "Eerste zin. Tweede zin.")]))


# characters of the one-sentence shortcut plus those that make sentencex split ("1) ", ".")
SHORTCUT_PIECES = st.sampled_from([
    "Raqqa", "Dr", "U.S", "jan", "e.g", "Yahoo", "St", "i", "iv", "A", "ß", "İ", "é", "e\u0301", "الرقة", "東京",
    "2016", "1) ", "a) ", "- ", "[1]", " ", ",", ":", ";", "'", '"', "«", "»", "\u201c", "\u2019", "/", "&", "%",
    "-", "\u2013", ".", "!", "?", "...", "(", ")", "\n",
])


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SHORTCUT_PIECES, min_size=1, max_size=30).map("".join),
       st.sampled_from(segment_module._ONE_SENTENCE_LANGUAGES))
def test_one_sentence_shortcut_agrees_with_sentencex(text, language):
    text = text.strip()
    if text and pl.Series([text]).str.contains(segment_module._ONE_SENTENCE).item():
        assert sentencex.segment(language, text) == [text]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SEGMENT_TEXT.map(str.strip).filter(bool), min_size=1, max_size=5),
       st.sampled_from(["nl", "en", "fr", "ar"]))
def test_sentencex_splits_paragraphs_independently(texts, language):
    # what lets segment_articles call sentencex per segment instead of per article
    try:
        whole = sentencex.segment(language, "\n\n".join(texts))
        parts = [sentencex.segment(language, t) for t in texts]
    except BaseException as exc:  # a Rust panic: covered by the whole-article fallback
        assume(type(exc).__name__ != "PanicException")
        raise
    assert whole == [p for i, pieces in enumerate(parts) for p in ((["\n\n"] if i else []) + pieces)]


def test_zero_padded_is_zfill():
    values = [0, 7, 42, 9_999, 99_999, 100_000, 123_456, 10**12]
    got = pl.DataFrame({"i": values}, schema={"i": pl.Int64}).select(zero_padded(pl.col("i"))).to_series()
    assert got.to_list() == [str(v).zfill(5) for v in values]
