"""The card's numbers read right for 0, 1 and many (annotators, annotations, events, languages)."""

from __future__ import annotations

import polars as pl
from release_fixtures import ann, make_annotations, make_sentences, scenario_annotations, write_build_dir

from conflictset.export.release import release
from conflictset.export.wording import count, join, languages, verb


def test_counts_in_prose():
    assert [count(n, "annotator") for n in (0, 1, 2)] == ["0 annotators", "1 annotator", "2 annotators"]
    assert count(0, "event", zero="no") == "no events" and count(3, "category") == "3 categories"
    assert [languages(c) for c in ([], ["en"], ["en", "nl"])] == [
        "an unknown language", "en", "2 languages (en, nl)"]
    assert [verb(n, "has", "have") for n in (0, 1, 2)] == ["have", "has", "have"]
    assert [join(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]


def card(tmp_path, name, sentences, annotations=None) -> str:
    build = write_build_dir(tmp_path / f"build-{name}", sentences, annotations)
    release(build, "1.0.0", tmp_path / name / "1.0.0")
    return (tmp_path / name / "1.0.0" / "README.md").read_text(encoding="utf-8")


def test_the_card_for_zero_one_and_many(tmp_path):
    nobody = card(tmp_path, "none", make_sentences())
    assert "Nobody has reviewed these sentences yet: there are no annotations" in nobody
    assert "6 events per event type:" in nobody
    assert "8 sentences from 2 articles in en." in nobody
    assert "0 annotations refer to sentences not in this build" in nobody

    one_article = make_sentences().filter(pl.col("sentence_id").is_in(["a1-00000", "a1-00002"])).with_columns(
        pl.when(pl.col("sentence_id") == "a1-00002").then(pl.lit("nl")).otherwise(pl.col("language")).alias("language"))
    single = card(tmp_path, "one", one_article,
                  make_annotations([ann("a1-00000", "ann-aaaaaaaaaa", "Air/drone strike", annotation_id=1)]))
    assert "1 annotator made 1 annotation (" in single
    assert "1 event per event type:" in single
    assert "2 sentences from 1 article in 2 languages (en, nl)." in single
    assert "Computed on 0 sentences with at least two annotators (1 single-annotator sentence excluded)." in single
    assert "| author | " not in single and "| authors | " in single

    many = card(tmp_path, "many", make_sentences(), scenario_annotations())
    assert "4 annotators made 13 annotations (" in many
    assert "5 events per event type:" in many
    assert "1 " + "annotators" not in many and "1 annotations" not in many and "1 events" not in many
