"""Polars dtypes derived from the pandera models: a table's columns are written once, in its model."""

from __future__ import annotations

import functools

import polars as pl


@functools.cache
def dtypes(model) -> dict[str, pl.DataType]:
    """``{column: polars dtype}`` of a pandera model, in declaration order (parents first)."""
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def columns(model) -> tuple[str, ...]:
    return tuple(dtypes(model))


def empty(model) -> pl.DataFrame:
    """A frame with no rows and the model's columns (outputs with no rows still carry their schema)."""
    return pl.DataFrame(schema=dtypes(model))


def conform(frame: pl.DataFrame, model) -> pl.DataFrame:
    """The model's columns in its order and dtypes (extra columns dropped)."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in dtypes(model).items()])
