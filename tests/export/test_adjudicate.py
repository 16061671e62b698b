"""Adjudication: every path of the scenario, ties listed, ground truth decides, acceptance figures."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from release_fixtures import ann, make_annotations, make_sentences

from conflictset.export.acceptance import acceptance
from conflictset.export.adjudicate import adjudicate, ties
from conflictset.schemas.release import UNRESOLVED

EXPECTED = {
    # sentence: (label_source, n_annotators, agreement, event_type, sub_event_type, decided_by)
    "a1-00000": ("consensus", 2, True, "Explosions/Remote violence", "Air/drone strike", 1),
    "a1-00001": ("annotator", 1, None, "Battles", "Non-state actor overtakes territory", 3),
    "a1-00002": ("annotator", 1, None, None, None, 4),
    "a1-00003": ("consensus", 3, False, "Protests", "Peaceful protest", 5),
    "a2-00000": ("adjudicated", 3, False, "Strategic developments", "Arrests", 10),
    "a2-00001": (UNRESOLVED, 2, False, None, None, None),
    "a2-00002": ("prelabel", 0, None, None, None, None),
    "a2-00003": ("prelabel", 0, None, "Violence against civilians", "Abduction/forced disappearance", None),
}


def test_every_adjudication_path(release_sentences, release_annotations):
    final = adjudicate(release_sentences, release_annotations)
    assert final["sentence_id"].to_list() == release_sentences["sentence_id"].to_list()
    got = {r["sentence_id"]: (r["label_source"], r["n_annotators"], r["agreement"], r["event_type"],
                              r["sub_event_type"], r["decided_by"]) for r in final.iter_rows(named=True)}
    assert got == EXPECTED


def test_final_spans_and_disorder_follow_the_deciding_annotation(release_sentences, release_annotations):
    final = adjudicate(release_sentences, release_annotations).filter(pl.col("sentence_id") == "a1-00001")
    assert final["spans"].to_list() == [[
        {"label": "ACTOR", "start": 0, "end": 22, "text": "Islamic State fighters"},
        {"label": "ACTOR", "start": 36, "end": 50, "text": "Kurdish forces"}]]
    assert final["disorder_type"].item() == "Political violence"


def test_ties_are_listed_with_their_candidates(release_sentences, release_annotations):
    listed = ties(adjudicate(release_sentences, release_annotations))
    assert listed["sentence_id"].to_list() == ["a2-00001"]
    assert sorted(listed["candidate_labels"].item().to_list()) == [
        "Explosions/Remote violence / Remote explosive/landmine/IED ×1",
        "Explosions/Remote violence / Shelling/artillery/missile attack ×1",
    ]


def test_conflicting_ground_truths_stay_unresolved():
    sentences = make_sentences()
    rows = [ann("a1-00000", "ann-aaaaaaaaaa", "Air/drone strike", annotation_id=1, ground_truth=True),
            ann("a1-00000", "ann-bbbbbbbbbb", "Grenade", annotation_id=2, ground_truth=True)]
    final = adjudicate(sentences, make_annotations(rows))
    row = final.filter(pl.col("sentence_id") == "a1-00000").row(0, named=True)
    assert (row["label_source"], row["event_type"]) == (UNRESOLVED, None)


def test_annotations_without_an_author_each_count_as_one_annotator():
    sentences = make_sentences()
    rows = [ann("a1-00000", "ann-aaaaaaaaaa", "Air/drone strike", annotation_id=1),
            ann("a1-00000", "ann-aaaaaaaaaa", "Air/drone strike", annotation_id=2),
            ann("a1-00000", "ann-aaaaaaaaaa", "Grenade", annotation_id=3)]
    frame = make_annotations(rows).with_columns(
        pl.when(pl.col("annotation_id") > 1).then(None).otherwise(pl.col("annotator")).alias("annotator"))
    row = adjudicate(sentences, frame).filter(pl.col("sentence_id") == "a1-00000").row(0, named=True)
    assert (row["n_annotators"], row["label_source"], row["agreement"]) == (3, "consensus", False)


def test_no_annotations_means_every_sentence_keeps_its_prelabel(release_sentences):
    final = adjudicate(release_sentences, None)
    assert set(final["label_source"]) == {"prelabel"}
    assert final["event_type"].to_list() == release_sentences["event_type"].to_list()
    assert final["n_annotators"].sum() == 0


def test_acceptance_per_category(release_sentences, release_annotations):
    final = adjudicate(release_sentences, release_annotations)
    report = acceptance(release_sentences, final, release_annotations)
    assert (report.n_reviewed, report.n_unresolved) == (5, 1)
    table = report.per_category
    total = {r["level"]: r for r in table.filter(pl.col("category") == "(all)").iter_rows(named=True)}
    # five reviewed sentences keep their event type; one (a1-00001) changes its sub-event type
    assert total["event_type"]["acceptance"] == pytest.approx(1.0)
    assert total["sub_event_type"]["acceptance"] == pytest.approx(4 / 5)
    clash = table.filter((pl.col("level") == "sub_event_type") & (pl.col("category") == "Armed clash"))
    clash = clash.row(0, named=True)
    assert (clash["n_reviewed"], clash["n_accepted"], clash["precision"], clash["recall"]) == (1, 0, 0.0, None)
    taken = table.filter(pl.col("category") == "Non-state actor overtakes territory").row(0, named=True)
    assert (taken["n_final"], taken["recall"]) == (1, 0.0)
    # lead times: annotations that kept the sub-event type vs those that changed it
    sub_all = total["sub_event_type"]
    kept = [8.0, 12.0, 5.0, 10.0, 14.0, 9.0, 11.0, 7.0]
    changed = [40.0, 30.0, 50.0, 60.0]
    assert sub_all["median_lead_time_accepted"] == pytest.approx(sorted(kept)[3] / 2 + sorted(kept)[4] / 2)
    assert sub_all["median_lead_time_corrected"] == pytest.approx(45.0)
    assert len(kept) + len(changed) == 12  # the thirteenth annotation was cancelled


LABELS = [None, "Armed clash", "Government regains territory", "Peaceful protest"]
VOTE = st.tuples(st.sampled_from(["a1-00000", "a1-00001", "a2-00000"]),
                 st.sampled_from(["ann-aaaaaaaaaa", "ann-bbbbbbbbbb", "ann-cccccccccc", "ann-dddddddddd"]),
                 st.sampled_from(LABELS), st.booleans(), st.booleans())


@settings(max_examples=80, deadline=None)
@given(st.lists(VOTE, max_size=12), st.randoms(use_true_random=False))
def test_adjudication_invariants(votes, rnd):
    sentences = make_sentences()
    rows = [ann(sid, who, sub, annotation_id=i + 1, cancelled=cancel and not truth, ground_truth=truth)
            for i, (sid, who, sub, cancel, truth) in enumerate(votes)]
    frame = make_annotations(rows)
    final = adjudicate(sentences, frame)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 2**32 - 1))
    assert adjudicate(sentences, shuffled).equals(final)  # row order of the export never matters
    assert final.height == sentences.height
    for r in final.iter_rows(named=True):
        mine = [row for row in rows if row["sentence_id"] == r["sentence_id"] and not row["was_cancelled"]]
        latest = {row["annotator"]: row["sub_event_type"] for row in sorted(mine, key=lambda x: x["annotation_id"])}
        assert r["n_annotators"] == len(latest)
        labels = list(latest.values())
        if not labels:
            assert r["label_source"] == "prelabel"
        elif len(labels) == 1:
            assert (r["label_source"], r["sub_event_type"]) == ("annotator", labels[0])
        elif len(set(labels)) == 1:
            assert (r["label_source"], r["agreement"], r["sub_event_type"]) == ("consensus", True, labels[0])
        else:
            assert r["agreement"] is False
            truths = {row["sub_event_type"] for row in mine if row["ground_truth"]}
            top = max(labels.count(x) for x in set(labels))
            if len(truths) == 1:
                assert (r["label_source"], r["sub_event_type"]) == ("adjudicated", truths.pop())
            elif 2 * top > len(labels):
                assert r["label_source"] == "consensus"
                assert labels.count(r["sub_event_type"]) == top
            else:
                assert (r["label_source"], r["event_type"]) == (UNRESOLVED, None)
