"""The pre-labeller's vectorised shortcuts agree with their plain polars definitions."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from conflictset.dataset.prelabel.decide import _evidence

WORDS = st.lists(st.sampled_from(["lf_attack", "cue:negation", "T:Attack=killed", "W:Attack=shot", ""]), max_size=4)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(WORDS, WORDS), max_size=30))
def test_evidence_is_tags_then_terms(rows):
    tags = pl.Series([t for t, _ in rows], dtype=pl.List(pl.String))
    terms = pl.Series([m for _, m in rows], dtype=pl.List(pl.String))
    expected = pl.DataFrame({"a": tags, "b": terms}).select(pl.concat_list("a", "b"))["a"]
    assert _evidence(tags, terms).to_list() == expected.to_list()


SUBS = st.sampled_from([None, "Armed clash", "Government regains territory", "Non-state actor overtakes territory"])
INTERS = st.sampled_from([None, "State forces", "Rebel group", "Political militia", "Identity militia", "Civilians"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(SUBS, INTERS, WORDS), max_size=30))
def test_territory_by_actor_rewrites_only_changed_rows(rows):
    from conflictset.dataset.prelabel.pipeline import NON_STATE, STATE, TERRITORY, territory_by_actor

    labelled = pl.DataFrame({"sub_event_type": [s for s, _, _ in rows], "score": [0.5] * len(rows),
                             "evidence": [e for _, _, e in rows]},
                            schema={"sub_event_type": pl.String, "score": pl.Float64, "evidence": pl.List(pl.String)})
    ents = pl.DataFrame({"inter1": [i for _, i, _ in rows]}, schema={"inter1": pl.String})
    sub, inter1 = pl.col("sub_event_type"), pl.col("_inter1")
    new = (pl.when(sub.is_in(TERRITORY) & (inter1 == STATE)).then(pl.lit(TERRITORY[0]))
           .when(sub.is_in(TERRITORY) & inter1.is_in(NON_STATE)).then(pl.lit(TERRITORY[1])).otherwise(sub))
    expected = (labelled.with_columns(ents["inter1"].alias("_inter1")).with_columns(new.alias("_new"))
                .with_columns(pl.when(pl.col("_new") != sub)
                              .then(pl.col("evidence").list.concat(pl.concat_list(pl.lit("actor1:") + inter1)))
                              .otherwise(pl.col("evidence")).alias("evidence"))
                .with_columns(pl.col("_new").alias("sub_event_type")).drop("_new", "_inter1"))
    assert territory_by_actor(labelled, ents).equals(expected)
