"""Agreement figures against textbook examples computed by hand."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from release_fixtures import ann, make_annotations

from conflictset.export.agreement import agreement, hierarchy_distance
from conflictset.schemas import taxonomy as tx

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the nominal example with
# missing values: 4 coders × 12 units, values 1–5 (None = not coded).
K2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# the five values as five event types (one sub-event type each, so both levels see the same data)
VALUE_TO_SUB = {1: "Armed clash", 2: "Peaceful protest", 3: "Mob violence", 4: "Grenade", 5: "Attack"}


def matrix_annotations(matrix, to_sub) -> pl.DataFrame:
    rows, next_id = [], 1
    for coder, values in enumerate(matrix):
        for unit, value in enumerate(values):
            if value is None:
                continue
            rows.append(ann(f"u{unit:02d}-00000", f"ann-{coder:010x}", to_sub(value), annotation_id=next_id))
            next_id += 1
    return make_annotations(rows)


def test_krippendorff_2011_nominal_example():
    report = agreement(matrix_annotations(K2011, VALUE_TO_SUB.get))
    for level in ("event_type", "sub_event_type"):
        fig = report.levels[level]
        # by hand: coincidence diagonal 7+10+8+4+3 = 32 of n = 40 pairable values
        assert fig.observed == pytest.approx(32 / 40)
        # n_c = 9, 13, 10, 5, 3: Σ n_c(n_c−1) / n(n−1) = 344 / 1560
        assert fig.expected == pytest.approx(344 / 1560)
        assert fig.alpha == pytest.approx(0.743, abs=5e-4)
        assert fig.alpha == pytest.approx((0.8 - 344 / 1560) / (1 - 344 / 1560))
    assert report.items_reviewed == 12
    assert report.items_pairable == 11  # unit 12 has one value only
    assert report.items_excluded == 1
    assert report.n_annotators == 4
    assert report.n_annotations == 41


def test_per_category_alpha_is_one_vs_rest_alpha_of_the_reference_implementation():
    report = agreement(matrix_annotations(K2011, VALUE_TO_SUB.get))
    cats = report.per_category.filter(pl.col("level") == "event_type")
    for value, sub in VALUE_TO_SUB.items():
        binary = [[np.nan if v is None else float(v == value) for v in row] for row in K2011]
        expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        got = cats.filter(pl.col("category") == tx.parent_of(sub))["alpha"].item()
        assert got == pytest.approx(expected)


def test_cohen_kappa_by_hand():
    # 50 items: both "event" 20, A event/B none 5, A none/B event 10, both none 15.
    # p_o = 35/50 = 0.7; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = (0.7 − 0.5)/(1 − 0.5) = 0.4
    pattern = [("Armed clash", "Armed clash")] * 20 + [("Armed clash", None)] * 5 \
        + [(None, "Armed clash")] * 10 + [(None, None)] * 15
    rows = []
    for i, (a, b) in enumerate(pattern):
        rows.append(ann(f"k{i:02d}-00000", "ann-aaaaaaaaaa", a, annotation_id=2 * i + 1))
        rows.append(ann(f"k{i:02d}-00000", "ann-bbbbbbbbbb", b, annotation_id=2 * i + 2))
    kappa = agreement(make_annotations(rows)).kappa
    for level in ("event_type", "sub_event_type"):
        row = kappa.filter(pl.col("level") == level).row(0, named=True)
        assert (row["annotator_a"], row["annotator_b"], row["n_items"]) == ("ann-aaaaaaaaaa", "ann-bbbbbbbbbb", 50)
        assert row["observed"] == pytest.approx(0.7)
        assert row["kappa"] == pytest.approx(0.4)


def test_hierarchy_aware_alpha_gives_half_credit_for_the_same_event_type():
    # item 1: Armed clash vs Government regains territory (both Battles); item 2: both Peaceful protest.
    # by hand: D_o = (0.5 + 0.5)/4 = 0.25; D_e = (2·(1/3)·0.5 + 4·(2/3)·1)/4 = 0.75 → α_h = 2/3;
    # nominal: D_o = 0.5, D_e = (2/3 + 8/3)/4 = 5/6 → α = 0.4; event level: perfect agreement
    rows = [ann("h1-00000", "ann-aaaaaaaaaa", "Armed clash", annotation_id=1),
            ann("h1-00000", "ann-bbbbbbbbbb", "Government regains territory", annotation_id=2),
            ann("h2-00000", "ann-aaaaaaaaaa", "Peaceful protest", annotation_id=3),
            ann("h2-00000", "ann-bbbbbbbbbb", "Peaceful protest", annotation_id=4)]
    report = agreement(make_annotations(rows))
    assert report.hierarchy.alpha == pytest.approx(2 / 3)
    assert report.hierarchy.observed == pytest.approx(0.75)
    assert report.levels["sub_event_type"].alpha == pytest.approx(0.4)
    assert report.levels["event_type"].alpha == pytest.approx(1.0)


def test_cancelled_and_repeated_annotations_do_not_vote():
    rows = [ann("x1-00000", "ann-aaaaaaaaaa", "Armed clash", annotation_id=1),
            ann("x1-00000", "ann-aaaaaaaaaa", "Arrests", annotation_id=2),  # resubmitted: latest counts
            ann("x1-00000", "ann-bbbbbbbbbb", "Arrests", annotation_id=3),
            ann("x1-00000", "ann-cccccccccc", "Grenade", annotation_id=4, cancelled=True),
            ann("x2-00000", "ann-aaaaaaaaaa", None, annotation_id=5),
            ann("x2-00000", "ann-bbbbbbbbbb", None, annotation_id=6)]
    report = agreement(make_annotations(rows))
    assert report.n_annotations == 4
    assert report.levels["sub_event_type"].alpha == pytest.approx(1.0)
    assert report.items_pairable == 2


def test_alpha_is_undefined_when_everyone_used_one_category():
    rows = [ann("y1-00000", "ann-aaaaaaaaaa", "Arrests", annotation_id=1),
            ann("y1-00000", "ann-bbbbbbbbbb", "Arrests", annotation_id=2)]
    report = agreement(make_annotations(rows))
    assert report.levels["event_type"].alpha is None
    assert report.levels["event_type"].observed == 1.0


def test_no_annotations_gives_empty_figures():
    report = agreement(None)
    assert (report.items_reviewed, report.items_pairable, report.levels["event_type"].alpha) == (0, 0, None)
    assert report.kappa.is_empty()
    assert report.to_dict()["levels"]["event_type"]["alpha"] is None


SUBS = st.sampled_from([None, "Armed clash", "Government regains territory", "Peaceful protest", "Arrests"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(SUBS, min_size=2, max_size=4), min_size=2, max_size=15))
def test_alpha_matches_the_reference_on_random_data(items):
    codes = {s: i for i, s in enumerate([None, "Armed clash", "Government regains territory",
                                         "Peaceful protest", "Arrests"])}
    rows, n = [], 0
    for u, labels in enumerate(items):
        for c, sub in enumerate(labels):
            n += 1
            rows.append(ann(f"r{u:02d}-00000", f"ann-{c:010x}", sub, annotation_id=n))
    report = agreement(make_annotations(rows))
    data = np.full((4, len(items)), np.nan)
    for u, labels in enumerate(items):
        for c, sub in enumerate(labels):
            data[c, u] = codes[sub]
    if len(np.unique(data[~np.isnan(data)])) < 2:
        assert report.levels["sub_event_type"].alpha is None
        return
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    got = report.levels["sub_event_type"].alpha
    assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)
    # our hierarchy-aware α equals the package's α with the same distance as a custom metric
    subs = [None, "Armed clash", "Government regains territory", "Peaceful protest", "Arrests"]
    dist = hierarchy_distance([s or tx.NO_EVENT for s in subs])
    metric = lambda v1, v2, i1, i2, n_v, dtype=np.float64: dist[v1.astype(int), v2.astype(int)]  # noqa: E731
    assert math.isclose(report.hierarchy.alpha, krippendorff.alpha(reliability_data=data, value_domain=list(range(5)),
                                                                   level_of_measurement=metric),
                        rel_tol=1e-9, abs_tol=1e-12)
    # distances with partial credit never exceed the nominal ones, so observed agreement can only rise
    assert report.hierarchy.observed >= report.levels["sub_event_type"].observed - 1e-12
