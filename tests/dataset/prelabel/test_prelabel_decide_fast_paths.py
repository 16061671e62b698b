"""The decision's vectorised shortcuts agree with their plain polars definitions."""

import polars as pl
from hypothesis import given, settings, strategies as st

from dataset.prelabel.decide import _evidence

WORDS = st.lists(st.sampled_from(["lf_attack", "cue:negation", "T:Attack=killed", "W:Attack=shot", ""]), max_size=4)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(WORDS, WORDS), max_size=30))
def test_evidence_is_tags_then_terms(rows):
    tags = pl.Series([t for t, _ in rows], dtype=pl.List(pl.String))
    terms = pl.Series([m for _, m in rows], dtype=pl.List(pl.String))
    expected = pl.DataFrame({"a": tags, "b": terms}).select(pl.concat_list("a", "b"))["a"]
    assert _evidence(tags, terms).to_list() == expected.to_list()
