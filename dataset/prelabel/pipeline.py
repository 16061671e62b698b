"""The prelabel stage: match → rules → decide → spans, all on whole frames."""

from __future__ import annotations

import polars as pl

from conflictset.dataset.prelabel.decide import decide
from conflictset.dataset.prelabel.matcher import ROW, match, prepare
from conflictset.dataset.prelabel.spans import extract
from conflictset.schemas import taxonomy as tx
from conflictset.schemas.errors import InputError
from conflictset.schemas.prelabel import PRELABEL_COLUMNS

PRELABEL_VERSION = "rules-1.0.0"
#: the columns of a sentences frame the stage reads
REQUIRED_INPUT = ("text", "language", "role")

TERRITORY = tx.subs_of("Battles")[:2]  # (Government regains territory, Non-state actor overtakes territory)
STATE = tx.INTER_CODES[1]
NON_STATE = (tx.INTER_CODES[2], tx.INTER_CODES[3], tx.INTER_CODES[4])


def territory_by_actor(labelled: pl.DataFrame, ents: pl.DataFrame) -> pl.DataFrame:
    """Who took the place decides between the two territory sub-types: the first actor named
    (usually the subject) — state forces regain, non-state groups overtake."""
    sub, inter1 = pl.col("sub_event_type"), pl.col("_inter1")
    new = (pl.when(inter1 == STATE).then(pl.lit(TERRITORY[0]))
           .when(inter1.is_in(NON_STATE)).then(pl.lit(TERRITORY[1])).otherwise(sub))
    changed = (labelled.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), sub, "evidence",
                               ents["inter1"].alias("_inter1"))
               .filter(sub.is_in(TERRITORY)).with_columns(new.alias("_new")).filter(pl.col("_new") != sub))
    if changed.height == 0:
        return labelled
    # the few changed rows are rebuilt alone and gathered in: a when/then would concat every
    # row's evidence list (one chunk: gathering from two is 8× slower)
    rebuilt = changed.select(pl.col("_new").alias("sub_event_type"),
                             pl.col("evidence").list.concat(pl.concat_list(pl.lit("actor1:") + inter1)))
    n = labelled.height
    at = pl.int_range(n, dtype=pl.UInt32, eager=True).scatter(
        changed["_i"], pl.int_range(n, n + rebuilt.height, dtype=pl.UInt32, eager=True))
    return labelled.with_columns([pl.concat([labelled[c], rebuilt[c]], rechunk=True).gather(at)
                                  for c in rebuilt.columns])


def prelabel(sentences: pl.DataFrame) -> pl.DataFrame:
    """Add the pre-label columns to a sentences frame (input columns are kept unchanged)."""
    missing = [c for c in REQUIRED_INPUT if c not in sentences.columns]
    if missing:
        raise InputError(f"sentences frame lacks column(s) {missing}; found {sentences.columns}",
                         fix="pass the output of the segment stage (text, language, role, published_at)")
    base = sentences.drop([c for c in PRELABEL_COLUMNS if c in sentences.columns])
    if base.height == 0:
        return base.with_columns([pl.lit(None, dtype=dt).alias(c) for c, dt in PRELABEL_COLUMNS.items()])
    inputs = base.select(
        pl.col("text").cast(pl.String).fill_null(""),
        pl.col("language").cast(pl.String),
        pl.col("role").cast(pl.String),
        (pl.col("published_at").cast(pl.Date) if "published_at" in base.columns
         else pl.lit(None, dtype=pl.Date)).alias("published_at"),
    )
    prepared = prepare(inputs)
    matched = match(prepared)
    work = pl.concat([inputs, prepared.select("_lang", "_pl", "_pc"), matched.drop(ROW)], how="horizontal")
    labelled = decide(work)
    ents = extract(pl.concat([work, labelled], how="horizontal"))
    labelled = territory_by_actor(labelled, ents)
    out = pl.concat([base, labelled, ents], how="horizontal").with_columns(
        pl.lit(PRELABEL_VERSION).alias("prelabel_version"))
    return out.select(*base.columns, *[pl.col(c).cast(dt) for c, dt in PRELABEL_COLUMNS.items()])
