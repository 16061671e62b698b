"""Stage clean: segment roles on the seed article's expected reading, phrase data in several
languages, glued-text splitting and exact offsets (a hypothesis property)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conflictset.dataset.clean import BOILERPLATE_DIR, clean, has_article_text, phrasebook, split_glued
from conflictset.dataset.ingest import discover, ingest
from conflictset.schemas.pipeline import SENTENCE_ROLES, Segment
from conflictset.schemas.validation import validate


def segments_of(*texts: str) -> pl.DataFrame:
    articles = pl.DataFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": list(texts)})
    return validate(clean(articles), Segment, table="segments", stage="clean")


def roles(text: str) -> list[tuple[str, str]]:
    return [(r["role"], r["text"]) for r in segments_of(text).iter_rows(named=True)]


def assert_offsets(articles: pl.DataFrame, segments: pl.DataFrame) -> None:
    texts = dict(zip(articles["article_id"], articles["text"]))
    for r in segments.iter_rows(named=True):
        assert texts[r["article_id"]][r["char_start"]:r["char_end"]] == r["text"]


# ---------------------------------------------------------------------------- the seed

@pytest.fixture(scope="module")
def seed(seed_txt):
    sources, _ = discover([seed_txt])
    articles = ingest(sources).filter(pl.col("reason").is_null())
    return articles, segments_of(articles["text"][0])


def test_seed_dropped_gold_lines_have_exactly_their_role(seed, seed_gold):
    _, segments = seed
    for gold in seed_gold:
        if gold["role"] not in ("boilerplate", "related", "heading"):
            continue
        if gold.get("exact"):
            hits = segments.filter(pl.col("text") == gold["match"])
        else:
            hits = segments.filter(pl.col("text").str.contains(gold["match"], literal=True))
        assert hits.height == 1, gold["match"]
        assert hits["role"][0] == gold["role"], (gold["match"], hits["role"][0])
        assert hits["reason"][0], gold["match"]


def test_seed_headings_are_exact_segments(seed):
    _, segments = seed
    headings = segments.filter(pl.col("role") == "heading")["text"].to_list()
    assert headings == ["Centrum", "Pamfletten"]


def test_seed_caption_and_credits(seed, seed_gold):
    _, segments = seed
    caption = next(g["match"] for g in seed_gold if g["role"] == "caption")
    row = segments.filter(pl.col("text").str.contains(caption, literal=True))
    assert row["role"].to_list() == ["caption"]
    assert row["text"][0] == caption  # the credit was cut off
    credit = segments.filter(pl.col("text") == "Foto: AFP")
    assert credit["role"].to_list() == ["credit"]
    afp = segments.filter(pl.col("text") == "AFP PHOTO / AHMAD AL-RUBAYE")
    assert afp["role"].to_list() == ["related"]
    kept = segments.filter(pl.col("role").is_in(SENTENCE_ROLES))["text"]
    for bad in ("Foto: AFP", "AFP PHOTO", "AHMAD AL-RUBAYE", "2016-05-23", "Lees ook"):
        assert not kept.str.contains(bad, literal=True).any(), bad


def test_seed_headline_and_body_gold_lines_are_kept(seed, seed_gold):
    _, segments = seed
    assert segments.filter(pl.col("role") == "headline")["text"].to_list() == [seed_gold[0]["match"]]
    body = segments.filter(pl.col("role") == "body")["text"]
    for gold in seed_gold:
        if gold["role"] == "body":
            assert body.str.contains(gold["match"], literal=True).any(), gold["match"]


def test_seed_glued_related_block_is_split(seed):
    _, segments = seed
    related = segments.filter(pl.col("role") == "related")["text"].to_list()
    assert related[0] == "Lees ook Iraakse leger clasht met IS in centrum Fallujah"
    assert related[1] == "2016-05-23 19:01:33"
    assert related[2].startswith("A member of the Iraqi pro-government forces")
    assert related[2].endswith("operations room.")
    assert related[3] == "AFP PHOTO / AHMAD AL-RUBAYE"


def test_seed_offsets_and_order(seed):
    articles, segments = seed
    seg = segments.with_columns(pl.lit(articles["article_id"][0]).alias("article_id"))
    assert_offsets(articles, seg)
    assert seg["segment_index"].to_list() == list(range(seg.height))
    assert seg["char_start"].is_sorted()


def test_every_dropped_segment_has_a_reason_and_kept_ones_none(seed):
    _, segments = seed
    dropped = segments.filter(~pl.col("role").is_in(SENTENCE_ROLES))
    assert dropped["reason"].null_count() == 0
    assert segments.filter(pl.col("role").is_in(SENTENCE_ROLES))["reason"].null_count() == \
        segments.filter(pl.col("role").is_in(SENTENCE_ROLES)).height


# ---------------------------------------------------------------------------- glued text

def test_split_glued_letter_then_datetime_then_text():
    line = "Lees ook Leger rukt op in Fallujah2016-05-23 19:01:33 A member of the forces gestures."
    pieces = [(line[s:e], k) for s, e, k in split_glued(line)]
    assert pieces == [("Lees ook Leger rukt op in Fallujah", "text"), ("2016-05-23 19:01:33", "timestamp"),
                      ("A member of the forces gestures.", "text")]


def test_split_glued_leaves_dates_in_prose_alone():
    line = "De aanslag van 2016-05-23 in Bagdad kostte 12 mensen het leven."
    assert split_glued(line) == [(0, len(line), "text")]


def test_split_glued_dateline_at_line_start_and_european_format():
    line = "23.05.2016 19:01 Bij een aanslag zijn doden gevallen."
    pieces = [(line[s:e], k) for s, e, k in split_glued(line)]
    assert pieces == [("23.05.2016 19:01", "timestamp"), ("Bij een aanslag zijn doden gevallen.", "text")]


def test_split_glued_ignores_longer_numbers():
    line = "Order 12016-05-230 was filed."
    assert split_glued(line) == [(0, len(line), "text")]


# ---------------------------------------------------------------------------- roles by language

ARTICLE = "Headline of the story\n\n{}\n\nA long enough paragraph of body text that says what happened today.\n"


@pytest.mark.parametrize("line, role", [
    ("We use cookies to improve your experience on our site.", "boilerplate"),
    ("Subscribe to our newsletter for daily updates", "boilerplate"),
    ("Share this article", "boilerplate"),
    ("Advertisement", "boilerplate"),
    ("Nous utilisons des cookies pour améliorer votre expérience.", "boilerplate"),
    ("Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten.", "boilerplate"),
    ("Utilizamos cookies propias y de terceros.", "boilerplate"),
    ("Deze website maakt gebruik van cookies.", "boilerplate"),
    ("Photo: Reuters", "credit"),
    ("Beeld: ANP", "credit"),
    ("(c) Reuters", "credit"),
    ("© AFP 2016", "credit"),
    ("REUTERS/Ahmed Jadallah", "credit"),
    ("ANP", "credit"),
    ("Foto: EPA / Mohammed Badra", "credit"),
    ("Read more: Army retakes town", "related"),
    ("Related: Dozens killed in market blast", "related"),
    ("Lire aussi Des affrontements à Gao", "related"),
    ("Lesen Sie auch: Angriff in Kabul", "related"),
    ("Lea también: Enfrentamientos en Cauca", "related"),
    ("Lees ook: Aanslag in Kaboel", "related"),
    ("***", "boilerplate"),
])
def test_roles_from_phrase_data(line, role):
    found = roles(ARTICLE.format(line))
    assert found[0] == ("headline", "Headline of the story")
    assert found[1] == (role, line)
    assert found[-1][0] == "body"


@pytest.mark.parametrize("line, caption, credit", [
    ("Soldiers patrol the streets of Gao - Photo: AFP", "Soldiers patrol the streets of Gao", "Photo: AFP"),
    ("Des manifestants à Paris (Photo: AFP)", "Des manifestants à Paris", "Photo: AFP"),
    ("Demonstranten in Den Haag | Beeld: ANP", "Demonstranten in Den Haag", "Beeld: ANP"),
    ("Smoke rises over the city. REUTERS/Ahmed Jadallah", "Smoke rises over the city.", "REUTERS/Ahmed Jadallah"),
    ("Rauch über der Stadt - Foto: dpa", "Rauch über der Stadt", "Foto: dpa"),
])
def test_trailing_credit_makes_a_caption(line, caption, credit):
    found = roles(ARTICLE.format(line))
    assert found[1:3] == [("caption", caption), ("credit", credit)]


def test_related_marker_runs_to_the_end_of_its_paragraph_only():
    text = ("Title\n\nRead more:\nArmy retakes town\nMarket reopens after attack\n\n"
            "The fighting resumed on Tuesday morning in the north of the city.")
    found = roles(text)
    assert [r for r, _ in found] == ["headline", "related", "related", "related", "body"]


def test_heading_needs_paragraphs_on_both_sides():
    text = "Title\n\nFirst paragraph with enough words here.\n\nAftermath\n\nSecond paragraph follows here.\n\nThe End"
    found = dict((t, r) for r, t in roles(text))
    assert found["Aftermath"] == "heading"
    assert found["The End"] == "body"  # the last block is not between paragraphs


def test_heading_glued_to_its_paragraph():
    text = ("Title\n\nIntro sentence of the article.\n\nCasualties\n"
            "At least twelve people were killed in the attack on Sunday.")
    found = roles(text)
    assert ("heading", "Casualties") in found
    assert ("body", "At least twelve people were killed in the attack on Sunday.") in found


def test_lowercase_or_punctuated_short_lines_are_not_headings():
    text = "Title\n\nFirst paragraph.\n\nhe said.\n\nSecond paragraph."
    assert ("body", "he said.") in roles(text)


def test_cookie_wall_before_the_title_is_not_the_headline():
    text = "We use cookies to improve your experience.\n\nRebels seize town in north\n\nThe rebels took the town."
    found = roles(text)
    assert found[0] == ("boilerplate", "We use cookies to improve your experience.")
    assert found[1] == ("headline", "Rebels seize town in north")


def test_short_buttons_next_to_a_consent_notice_are_boilerplate():
    text = ("Title\n\nThis website uses cookies to give you the best experience.\nAccept all\nSettings\n\n"
            "Body text here.")
    found = roles(text)
    assert ("boilerplate", "Settings") in found
    assert ("boilerplate", "Accept all") in found


def test_hard_wrapped_body_lines_are_one_segment():
    text = ("Title\n\nGunmen attacked a police post in the\nnorth of the country on Sunday, officials said.\n"
            "A second line.")
    segments = segments_of(text)
    body = segments.filter(pl.col("role") == "body")["text"].to_list()
    assert body == ["Gunmen attacked a police post in the\nnorth of the country on Sunday, officials said.",
                    "A second line."]
    assert_offsets(pl.DataFrame({"article_id": ["a0"], "text": [text]}), segments)


def test_every_article_gets_segments_in_input_order():
    segments = segments_of("One\n\nfirst body.", "Two\n\nsecond body.", "Three")
    assert segments["article_id"].to_list() == ["a0", "a0", "a1", "a1", "a2"]
    assert segments["segment_index"].to_list() == [0, 1, 0, 1, 0]


def test_empty_frame_gives_empty_segments():
    out = clean(pl.DataFrame(schema={"article_id": pl.String, "text": pl.String}))
    assert out.height == 0
    assert out.columns == ["article_id", "segment_index", "text", "role", "reason", "char_start", "char_end"]


def test_phrase_files_cover_five_languages_and_are_data():
    assert sorted(p.stem for p in BOILERPLATE_DIR.glob("*.toml")) == ["de", "en", "es", "fr", "nl"]
    book = phrasebook()
    assert "lees ook" in book.markers and "read more" in book.markers and "lire aussi" in book.markers
    assert "lesen sie auch" in book.markers and "lea también" in book.markers


def test_has_article_text():
    assert not has_article_text("Home\n\nB\n\nWe use cookies to improve your experience. Accept all")
    assert has_article_text("Title\n\nRebels attacked an army base near Gao on Sunday.")


# ---------------------------------------------------------------------------- property

_pieces = st.sampled_from([
    "Wordt Raqqa bevrijd?", "مقتل 12 شخصا في هجوم على سوق في حلب", "Зеленский заявил", "攻撃で12人死亡",
    "Café ﬁnal naïve", "e\u0301 combining", "🔥💥 emoji 👩‍👩‍👧", "Foto: AFP", "- Foto: AFP", "Lees ook",
    "Fallujah2016-05-23 19:01:33", "2016-05-23 19:01:33 A member", "AFP PHOTO / X Y", "(c) Reuters",
    "We use cookies.", "Centrum", "   ", "\t", "x", "שלום עולם", "\u200f\u200e", "***", "Accept all",
])
_articles = st.lists(
    st.lists(st.one_of(_pieces, st.text(min_size=1, max_size=30)), min_size=1, max_size=6)
    .map(lambda parts: " ".join(parts)), min_size=1, max_size=12,
).map(lambda lines: "\n".join(lines)).flatmap(
    lambda text: st.sampled_from(["\n", "\n\n", "\n \n"]).map(lambda sep: text.replace("\n", sep)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_articles, min_size=1, max_size=4))
def test_offsets_slice_exactly_for_any_article(texts):
    articles = pl.DataFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": texts})
    segments = validate(clean(articles), Segment, table="segments", stage="clean")
    assert_offsets(articles, segments)
    for _, group in segments.group_by("article_id"):
        assert group["segment_index"].to_list() == list(range(group.height))
        assert group["char_start"].is_sorted()
        ends = group["char_end"].to_list()
        starts = group["char_start"].to_list()
        assert all(e <= s for e, s in zip(ends, starts[1:])), "segments overlap"
    # nothing vanishes: every non-space character of an article is inside a segment or a separator
    for aid, text in zip(articles["article_id"], texts):
        covered = [False] * len(text)
        for r in segments.filter(pl.col("article_id") == aid).iter_rows(named=True):
            for i in range(r["char_start"], r["char_end"]):
                covered[i] = True
        lost = "".join(ch for ch, c in zip(text, covered) if not c and not ch.isspace())
        assert all(not ch.isalnum() for ch in lost), lost


# ---------------------------------------------------------------------------- prefilters

_book = phrasebook()
_near_phrases = st.lists(
    st.one_of(st.sampled_from(_book.phrases + _book.keywords), st.text(min_size=0, max_size=8)), max_size=4,
).map("".join).flatmap(lambda t: st.sets(st.integers(0, max(len(t) - 1, 0))).map(
    lambda ups: "".join(ch.upper() if i in ups else ch for i, ch in enumerate(t))))


@settings(max_examples=300, deadline=None)
@given(st.lists(_near_phrases, min_size=1, max_size=20))
def test_prefilters_flag_every_line_the_exact_lookups_would(texts):
    """The cheap scans that pick candidate lines never miss one the exact lookups would find."""
    from conflictset.dataset.clean import _DATE_HINT, _GLUE_HINT

    text = pl.col("text")
    frame = pl.DataFrame({"text": texts}).select(
        text.str.contains(_book.hint).alias("hint"),
        text.str.contains_any(list(_book.phrases + _book.keywords), ascii_case_insensitive=True).alias("exact"),
        text.str.contains(_DATE_HINT).alias("dated"),
        text.str.contains(_GLUE_HINT).alias("glued"),
    )
    assert frame.filter(pl.col("exact") & ~pl.col("hint")).height == 0
    assert frame.filter(pl.col("glued") & ~pl.col("dated")).height == 0


@pytest.mark.parametrize("line", ["WE USE COOKIES here", "Photo by Jane/Getty Images", "© AFP 2016",
                                  "Fallujah2016-05-23 19:01:33 A member", "٢٠١٦-٠٥-٢٣ X",
                                  "Op 3/4/2016 zei hij"])
def test_prefilters_flag_known_lines(line):
    from conflictset.dataset.clean import _DATE_HINT

    flagged = pl.Series([line]).str.contains(_book.hint).item() or pl.Series([line]).str.contains(_DATE_HINT).item()
    assert flagged


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(_pieces, st.text(max_size=20)), st.booleans()), min_size=1, max_size=30))
def test_scans_on_candidate_rows_equal_the_full_scan_there(rows):
    """``_where`` (an expression on some rows only) gives what the expression gives on all rows,
    restricted to those rows."""
    from conflictset.dataset.clean import _FINAL_PUNCT, _where

    frame = pl.DataFrame({"text": [t for t, _ in rows], "keep": [k for _, k in rows]})
    for expr in (pl.col("text").str.extract_many(list(_book.phrases), ascii_case_insensitive=True).list.first(),
                 pl.col("text").str.to_lowercase(), ~pl.col("text").str.contains(_FINAL_PUNCT)):
        full = frame.select(pl.when(pl.col("keep")).then(expr)).to_series()
        assert _where(frame, frame["keep"], expr).to_list() == full.to_list()
