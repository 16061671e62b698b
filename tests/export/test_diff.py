"""`conflictset diff`: two releases with known changes report exactly those."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from click.testing import CliRunner
from release_fixtures import ARTICLES, ann, make_annotations, make_sentences, scenario_annotations, write_build_dir

from conflictset.cli import main
from conflictset.export.agreement import agreement
from conflictset.export.diff import diff
from conflictset.export.release import release


@pytest.fixture
def two_releases(tmp_path):
    old_build = write_build_dir(tmp_path / "b1", make_sentences(), scenario_annotations())
    release(old_build, "1.0.0", tmp_path / "v1")

    articles = dict(ARTICLES)
    articles["a3"] = ("Rally in Homs", None, "Example Radio", dt.date(2016, 8, 1), [
        ("Thousands rallied in Homs against the siege.", "Peaceful protest",
         dict(actor1="Protesters", inter1="Protesters", location="Homs", country="Syria"))])
    sentences = make_sentences(articles).filter(pl.col("sentence_id") != "a2-00002")  # removed
    rows = scenario_annotations().filter(pl.col("annotation_id") != 4).to_dicts()
    rows += [
        ann("a1-00002", "ann-bbbbbbbbbb", "Mob violence", annotation_id=4, lead_time=25.0),  # relabelled
        ann("a2-00001", "ann-cccccccccc", "Remote explosive/landmine/IED", annotation_id=14,
            ground_truth=True),  # the tie is adjudicated
    ]
    new_build = write_build_dir(tmp_path / "b2", sentences, make_annotations(rows))
    release(new_build, "1.1.0", tmp_path / "v2")
    return tmp_path / "v1", tmp_path / "v2"


def test_diff_reports_exactly_the_known_changes(two_releases):
    old, new = two_releases
    result = diff(old, new)
    assert result.added["sentence_id"].to_list() == ["a3-00000"]
    assert result.removed["sentence_id"].to_list() == ["a2-00002"]
    assert result.relabelled.select("sentence_id", "old_label", "new_label", "old_label_source",
                                    "new_label_source").rows() == [
        ("a1-00002", "No event", "Riots / Mob violence", "annotator", "annotator"),
        ("a2-00001", "unresolved", "Explosions/Remote violence / Remote explosive/landmine/IED",
         "unresolved", "adjudicated"),
    ]
    moved = {r["category"]: (r["n_old"], r["n_new"], r["added"], r["removed"], r["relabelled_in"],
                             r["relabelled_out"])
             for r in result.per_category.iter_rows(named=True)
             if r["n_old"] != r["n_new"] or r["relabelled_in"] or r["relabelled_out"]}
    assert moved == {
        "Riots": (0, 1, 0, 0, 1, 0),
        "No event": (2, 0, 0, 1, 0, 1),
        "unresolved": (1, 0, 0, 0, 0, 1),
        "Explosions/Remote violence": (1, 2, 0, 0, 1, 0),
        "Protests": (1, 2, 1, 0, 0, 0),
    }


def test_diff_figures_are_deltas_of_each_releases_own_figures(two_releases):
    old, new = two_releases
    figures = diff(old, new).figures
    for path, side in ((old, "old"), (new, "new")):
        report = agreement(pl.read_parquet(path / "data" / "annotations.parquet"))
        assert figures["alpha_sub_event_type"][side] == pytest.approx(report.levels["sub_event_type"].alpha)
        assert figures["alpha_hierarchy"][side] == pytest.approx(report.hierarchy.alpha)
    # acceptance by hand: v1 keeps 4 of 5 sub-event types and 5 of 5 event types; v2 reviews six
    # sentences, of which a1-00001 and a1-00002 changed sub-event type and a1-00002 the event type
    assert figures["acceptance_sub_event_type"] == pytest.approx({"old": 4 / 5, "new": 4 / 6, "delta": 4 / 6 - 4 / 5})
    assert figures["acceptance_event_type"] == pytest.approx({"old": 1.0, "new": 5 / 6, "delta": 5 / 6 - 1.0})
    assert figures["alpha_sub_event_type"]["delta"] == pytest.approx(
        figures["alpha_sub_event_type"]["new"] - figures["alpha_sub_event_type"]["old"])


def test_diff_of_a_release_with_itself_is_empty(two_releases):
    old, _ = two_releases
    result = diff(old, old)
    assert (result.added.height, result.removed.height, result.relabelled.height) == (0, 0, 0)
    assert all(v["delta"] in (0, None) for v in result.figures.values())


def test_cli_diff_text_and_json(two_releases):
    old, new = two_releases
    text = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert text.exit_code == 0, text.output
    assert "1 added, 1 removed, 2 relabelled" in text.output
    assert "relabelled a1-00002: No event → Riots / Mob violence (annotator → annotator)" in text.output
    as_json = CliRunner().invoke(main, ["diff", str(old), str(new), "--json"])
    payload = json.loads(as_json.output)
    assert payload["added"] == ["a3-00000"] and payload["removed"] == ["a2-00002"]
    assert [r["sentence_id"] for r in payload["relabelled"]] == ["a1-00002", "a2-00001"]


def test_cli_diff_names_a_directory_that_is_not_a_release(tmp_path, two_releases):
    result = CliRunner().invoke(main, ["diff", str(tmp_path), str(two_releases[1])])
    assert result.exit_code == 2
    assert "data: the directory has no sentences.parquet" in result.output
