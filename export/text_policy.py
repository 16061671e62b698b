"""How much article text a release carries: ``full``, ``snippets`` or ``ids``.

Publishers may restrict redistribution of their articles, so a team publishes what it may:

- ``full``: every sentence's text, article titles and span texts (as built);
- ``snippets``: only the sentences that carry an event keep their text (``sentences.text``,
  ``events.notes`` and their span texts); other sentences' text, every title and the span texts of
  those sentences become null;
- ``ids``: no article text at all: ids, offsets (``char_start``/``char_end`` into the article's
  cleaned text), URLs, labels and coded event attributes stay, so the text can be fetched again.

Columns never disappear (null instead), so every policy gives the same schema.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from conflictset.export.metadata import TEXT_POLICIES
from conflictset.export.publish import ReleaseTables
from conflictset.schemas.errors import InputError

DESCRIPTIONS = {
    "full": "every sentence's text is included (`text` in sentences, `notes` in events, span texts)",
    "snippets": "only the sentences that carry an event keep their text (`text`, `notes`, their span texts); "
                "the text of every other sentence, article titles and their span texts are left out (null)",
    "ids": "no article text is included: `text`, `title`, `notes` and span texts are null; ids, offsets "
           "(`char_start`/`char_end` into the article's cleaned text), `source` and `url` say where each "
           "sentence is",
}


def check_policy(policy: str) -> str:
    if policy not in TEXT_POLICIES:
        raise InputError(f"text policy {policy!r} is unknown", fix=f"use one of {', '.join(TEXT_POLICIES)}")
    return policy


def _without_span_text(keep: pl.Expr) -> pl.Expr:
    no_text = pl.element().struct.with_fields(pl.lit(None, dtype=pl.String).alias("text"))
    return pl.when(keep).then(pl.col("spans")).otherwise(pl.col("spans").list.eval(no_text)).alias("spans")


def apply(tables: ReleaseTables, policy: str) -> ReleaseTables:
    """The release tables with the text ``policy`` allows."""
    if check_policy(policy) == "full":
        return tables
    keep = pl.col("event_type").is_not_null() if policy == "snippets" else pl.lit(False)
    sentences = tables.sentences.with_columns(
        pl.when(keep).then(pl.col("text")).otherwise(None).alias("text"),
        pl.lit(None, dtype=pl.String).alias("title"),
        _without_span_text(keep),
    )
    kept = sentences.filter(pl.col("text").is_not_null())["sentence_id"].implode()
    annotations = tables.annotations.with_columns(_without_span_text(pl.col("sentence_id").is_in(kept)))
    events = tables.events if policy == "snippets" else tables.events.with_columns(
        pl.lit(None, dtype=pl.String).alias("notes"))
    return replace(tables, sentences=sentences, annotations=annotations, events=events)
