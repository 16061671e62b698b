"""The names the span step looks for: actor nouns and named groups of the lexicons, places of
the gazetteer, each as the padded pattern the matcher's passes find (:mod:`.matcher`)."""

from __future__ import annotations

import functools

import polars as pl

from conflictset.dataset.prelabel.lexicon import lexicon_for, named_actors
from conflictset.dataset.prelabel.normalise import normalise_cased, normalise_term
from conflictset.dataset.prelabel.places import gazetteer

ENTITY_SCHEMA = {"pattern": pl.String, "cased": pl.Boolean, "label": pl.String, "name": pl.String,
                 "inter": pl.String, "country": pl.String, "kind": pl.String}


@functools.cache
def entity_table(language: str) -> pl.DataFrame:
    """One row per (pattern, cased): actor nouns and named groups (``ACTOR``), places (``LOCATION``)."""
    lex = lexicon_for(language)
    rows = []
    for inter, terms in lex.actors.items():
        for t in terms:
            rows.append((f" {normalise_term(t)} ", False, "ACTOR", None, inter, None, "generic"))
    for entry in named_actors():
        for t in entry.get("terms", []):
            rows.append((f" {normalise_term(t)} ", False, "ACTOR", entry["name"], entry["inter"], None, "named"))
        for a in entry.get("acronyms", []):
            rows.append((f" {normalise_cased(a)} ", True, "ACTOR", entry["name"], entry["inter"], None, "named"))
    actors = pl.DataFrame(rows, schema=ENTITY_SCHEMA, orient="row")
    places = gazetteer().select(
        "pattern", pl.lit(True).alias("cased"), pl.lit("LOCATION").alias("label"), "name",
        pl.lit(None, dtype=pl.String).alias("inter"), pl.col("country_name").alias("country"), "kind")
    # an acronym that is also a place spelling stays an actor
    places = places.join(actors.filter("cased").select("pattern"), on="pattern", how="anti")
    return pl.concat([actors, places]).unique(subset=["pattern", "cased"], keep="first", maintain_order=True)
