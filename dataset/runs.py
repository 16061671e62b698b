"""Per-run values over frames sorted by a key (rows of one article, line or sentence are
contiguous): global shifts, fills and running sums instead of slower window (``over``)
expressions. Shared by clean, segment and the pre-labeller's span code."""

from __future__ import annotations

import polars as pl


def first_in(key: str) -> pl.Expr:
    """True on the first row of each run of ``key``."""
    return pl.col(key).ne_missing(pl.col(key).shift(1))


def last_in(key: str) -> pl.Expr:
    """True on the last row of each run of ``key``."""
    return pl.col(key).ne_missing(pl.col(key).shift(-1))


def run_first(value: pl.Expr, key: str) -> pl.Expr:
    """``value`` (never null) at the first row of each run of ``key``, broadcast over the run."""
    return pl.when(first_in(key)).then(value).forward_fill()


def run_last(value: pl.Expr, key: str) -> pl.Expr:
    """``value`` (never null) at the last row of each run of ``key``, broadcast over the run."""
    return pl.when(last_in(key)).then(value).backward_fill()


def run_cum_sum(value: pl.Expr, key: str) -> pl.Expr:
    """Running sum inside each run of ``key`` (``cum_sum().over(key)`` without grouping)."""
    total = value.cum_sum()
    return total - run_first(total - value, key)


def run_any(flag: pl.Expr, key: str) -> pl.Expr:
    """Whether ``flag`` holds on some row of the run, broadcast over the run."""
    count = flag.cast(pl.Int64).cum_sum()
    return (run_last(count, key) - run_first(count - flag.cast(pl.Int64), key)) > 0
