"""Helpers for the pre-labeller tests (module name unique across the test tree): a sentences frame from strings."""

from __future__ import annotations

import datetime as dt

import polars as pl

from conflictset.dataset.prelabel import prelabel


def sentences(texts, language="en", role="body", published_at=None) -> pl.DataFrame:
    texts = [texts] if isinstance(texts, str) else list(texts)
    n = len(texts)
    return pl.DataFrame({
        "sentence_id": [f"s{i}" for i in range(n)],
        "text": texts,
        "language": [language] * n,
        "role": [role] * n,
        "published_at": [published_at] * n,
    }, schema_overrides={"published_at": pl.Date})


def label_one(text, language="en", role="body", published_at=None) -> dict:
    return prelabel(sentences(text, language, role, published_at)).row(0, named=True)


PUBLISHED = dt.date(2016, 5, 25)  # a Wednesday
