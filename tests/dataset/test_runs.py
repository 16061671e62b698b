"""Run values over sorted frames equal the window (``over``) expressions they replace."""

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from conflictset.dataset.runs import first_in, last_in, run_any, run_cum_sum, run_first, run_last


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-5, 5), st.booleans()), min_size=1, max_size=40))
def test_run_values_equal_window_expressions(rows):
    frame = pl.DataFrame(rows, schema={"k": pl.Int64, "v": pl.Int64, "f": pl.Boolean}, orient="row").sort(
        "k", maintain_order=True).with_row_index("i")
    got = frame.select(
        first_in("k").alias("first"), last_in("k").alias("last"), run_first(pl.col("v"), "k").alias("rf"),
        run_last(pl.col("v"), "k").alias("rl"), run_cum_sum(pl.col("v"), "k").alias("cs"),
        run_any(pl.col("f"), "k").alias("any"))
    i = pl.col("i")
    want = frame.select(
        (i == i.min().over("k")).alias("first"), (i == i.max().over("k")).alias("last"),
        pl.col("v").first().over("k").alias("rf"), pl.col("v").last().over("k").alias("rl"),
        pl.col("v").cum_sum().over("k").alias("cs"), pl.col("f").any().over("k").alias("any"))
    assert got.equals(want)
