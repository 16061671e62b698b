"""Span pre-labels (ACTOR, LOCATION, FATALITIES, DATE) and the flat columns derived from them.

ACTOR and LOCATION spans come from the hits of the matcher's Aho–Corasick passes, which look
for the names of :mod:`.entities` beside the lexicon terms: on the lower-cased padded text for
actor nouns and group names, on the case-preserving one for acronyms (IS, SDF) and place names
(the gazetteer in :mod:`.places`). ``str.find`` gives each hit's byte offset; byte offsets
become code-point offsets with a vectorised binary slice (ASCII rows need no work).
FATALITIES and DATE need number/date grammar and run (vectorised, :mod:`.fatalities_vec` and
:mod:`.dates_vec`) only on the rows whose match found a death word, a date word or a digit.

Overlapping spans keep the longest (then the earliest). ``actor1`` is the first actor named,
except that protests/riots put the demonstrators first and violence against civilians puts the
civilians second (ACLED: actor2 is the target); ``location`` is the first town named and
``country`` its country (or the first country named).
"""

from __future__ import annotations

import functools

import polars as pl

from conflictset.dataset.prelabel.date_spec import NUMERIC_CHECK, RELATIVE_TABLES, alternation
from conflictset.dataset.prelabel.dates_vec import date_spans
from conflictset.dataset.prelabel.entities import ENTITY_SCHEMA, entity_table
from conflictset.dataset.prelabel.fatalities_vec import fatalities_frame
from conflictset.dataset.prelabel.fatality_spec import fatality_words
from conflictset.dataset.prelabel.lexicon import DATE_KEYS, LANGUAGES, lexicon_for
from conflictset.dataset.prelabel.matcher import HITS, has
from conflictset.dataset.prelabel.normalise import normalise_term
from conflictset.dataset.runs import first_in, last_in, run_first
from conflictset.schemas.prelabel import PRELABEL_COLUMNS
from conflictset.schemas.spans import SPAN_DTYPE

ROW = "_row"
#: words after/before an actor that make it the speaker, not the doer (all lexicon languages)
SPEAKER_AFTER = (r"^\W*(?:'s\s+)?(?:spokes\w*|officials?|sources?|said|says|statement|commander said|"
                 r"woordvoerder|zegt|zei|porte-parole|a déclaré|portavoz|dijo|sprecher|sagte)\b")
SPEAKER_BEFORE = r"(?:according to|volgens|selon|según|laut)\W+(?:the\s+|de\s+|het\s+|la\s+|le\s+|el\s+)?$"
FLAT = ("fatalities", "actor1", "inter1", "actor2", "inter2", "location", "country", "event_date",
        "time_precision", "spans")
def _char_offset(padded: pl.Expr, byte_pos: pl.Expr) -> pl.Expr:
    ascii_ = padded.str.len_bytes() == padded.str.len_chars()
    return pl.when(ascii_).then(byte_pos).otherwise(
        padded.cast(pl.Binary).bin.slice(0, byte_pos).cast(pl.String).str.len_chars())


@functools.cache
def _table(language: str, cased: bool) -> pl.DataFrame:
    """The :func:`.entities.entity_table` rows of one case mode, each numbered (``_pid``)."""
    return entity_table(language).filter(pl.col("cased") == cased).drop("cased").with_row_index("_pid")


def _find(part: pl.DataFrame, col: str, language: str, cased: bool) -> pl.DataFrame | None:
    """The entity hits among the matcher's hits (column :data:`.matcher.HITS` of ``col``) with
    their code-point ``start``/``end``, in found order."""
    table = _table(language, cased)
    if table.height == 0 or part.height == 0:
        return None
    hits = (part.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_at"), ROW, pl.col(HITS[col]).alias("pattern"))
            .explode("pattern").drop_nulls("pattern")
            # found order, so ties between spans are broken the same way every run (_resolve_overlaps)
            .join(table, on="pattern", how="inner", maintain_order="left"))
    # _again: a name found more than once in its row (one integer per row and name)
    again = (pl.col("_at").cast(pl.UInt64) * (1 << 32) + pl.col("_pid")).is_duplicated()
    hits = hits.with_columns(again.alias("_again"))
    # the text of the names' rows only (most hits are terms); the matcher's pass only names the
    # patterns: a pattern found once in its row is where str.find puts it
    hits = hits.with_columns(part[col].gather(hits["_at"]).alias("_p")).with_columns(
        pl.col("_p").str.find(pl.col("pattern"), literal=True).alias("pos"))
    if hits["_again"].any():
        hits = _later_occurrences(hits)
    hits = hits.with_columns(_char_offset(pl.col("_p"), pl.col("pos")).alias("start")).with_columns(
        (pl.col("start") + pl.col("pattern").str.len_chars() - 2).alias("end"),
        pl.lit(cased).alias("cased"))
    return hits.drop("_at", "_pid", "_p", "pos", "_again")


def _later_occurrences(hits: pl.DataFrame) -> pl.DataFrame:
    """Byte offsets of the hits (``_again``) of a pattern found more than once in its row: the
    n-th hit of a pattern is its n-th occurrence (Aho–Corasick reports matches by their end),
    found by a second pass over these rows with only the patterns they hold."""
    hits = hits.with_row_index("_i")
    again = hits.filter("_again")
    nth = pl.int_range(pl.len()).over(ROW, "pattern").alias("_n")
    rows = again.unique(ROW, keep="first").select(ROW, "_p")
    held = pl.lit(again["pattern"].unique().implode())
    occurrences = (rows.select(ROW, pl.col("_p").str.extract_many(held, overlapping=True).alias("pattern"),
                               pl.col("_p").str.find_many(held, overlapping=True).alias("pos"))
                   .explode(["pattern", "pos"]).with_columns(nth))
    fixed = again.select("_i", ROW, "pattern").with_columns(nth).join(
        occurrences, on=[ROW, "pattern", "_n"], how="left", maintain_order="left")
    return hits.with_columns(hits["pos"].scatter(fixed["_i"], fixed["pos"])).drop("_i")


def _entity_hits(frame: pl.DataFrame) -> pl.DataFrame:
    # case-sensitive names (acronyms, places) are the same in every language: one pass for all rows
    parts = [_find(frame, "_pc", "en", True)]
    for (lang,), part in frame.select(ROW, "_lang", "_pl", HITS["_pl"]).partition_by("_lang", as_dict=True).items():
        parts.append(_find(part, "_pl", lang if lang in LANGUAGES else "en", False))
    parts = [p for p in parts if p is not None]
    if not parts:
        return pl.DataFrame(schema={ROW: pl.UInt32, "start": pl.Int64, "end": pl.Int64, **ENTITY_SCHEMA})
    return pl.concat(parts, how="diagonal_relaxed").with_columns(pl.col("start").cast(pl.Int64),
                                                                  pl.col("end").cast(pl.Int64))


@functools.lru_cache(maxsize=1)
def date_checks() -> dict[str, pl.Expr]:
    """Vectorised checks, one per kind group of :data:`.date_spec.KIND_GROUPS` (in its order),
    that find the rows worth parsing for dates: numeric dates (regex); month and weekday names as
    written in the lexicons (case-sensitive regex on the text; weekdays as prefixes for
    "dinsdagochtend"); relative words (Aho–Corasick on the lower-cased padded text). They decide
    the rows where the regex engines disagree; elsewhere the matcher's date-word bits stand in for
    the last three."""
    months, weekdays, rel = set(), set(), set()
    for lang in LANGUAGES:
        d = lexicon_for(lang).dates
        months |= set(d.get("months", {}))
        weekdays |= set(d.get("weekdays", {}))
        for table in RELATIVE_TABLES.values():
            rel |= {f" {normalise_term(w)} " for w in d.get(table, {})}
    text = pl.col("text")
    return {"numeric": text.str.contains(NUMERIC_CHECK), "month": text.str.contains(rf"\b(?:{alternation(months)})\b"),
            "weekday": text.str.contains(rf"\b(?:{alternation(weekdays)})"),
            "relative": pl.col("_pl").str.contains_any(sorted(rel))}


@functools.lru_cache(maxsize=1)
def _number_words() -> list[str]:
    """Padded number words of every lexicon (" two ", " dozens ") for an Aho–Corasick check."""
    words = {gram for lang in LANGUAGES for gram, _ in fatality_words(lang).numbers}
    return sorted(f" {w} " for w in words if w)


def _count_and_date_spans(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FATALITIES and DATE (only rows a pre-check opens) spans and values, both vectorised."""
    suicide = (pl.col("sub_event_type") == "Suicide bomb").fill_null(False)
    # the number checks scan text: run them only on the rows with a death word (a bit test)
    has_number = pl.col("_pl").str.contains(r"\d") | pl.col("_pl").str.contains_any(_number_words())
    fat_rows = (frame.select(ROW, "_lang", "_pl", "text", suicide.alias("suicide"), has("D").alias("_d"))
                .filter(pl.col("_d") | pl.col("suicide")).drop("_d")
                .filter(pl.col("suicide") | has_number))
    fat = fatalities_frame(fat_rows)
    # where the regex engines agree the matcher's date-word bits hold wherever these checks do
    # (see test_date_word_bits_open_every_row_the_checks_open): bit tests instead of text scans
    words = {g: has(key) for g, key in DATE_KEYS.items()}
    dates, date_values = date_spans(frame, date_checks(), words)
    fat_spans = fat.filter(pl.col("start").is_not_null()).select(
        pl.col(ROW).cast(pl.UInt32), pl.lit("FATALITIES").alias("label"),
        pl.col("start").cast(pl.Int64), pl.col("end").cast(pl.Int64))
    spans = pl.concat([dates, fat_spans])
    values = fat.select(pl.col(ROW).cast(pl.UInt32), "fatalities").join(date_values, on=ROW, how="full", coalesce=True)
    return spans, values


def _resolve_overlaps(spans: pl.DataFrame) -> pl.DataFrame:
    """Keep the longest, then earliest, of overlapping spans of a sentence; the kept spans come
    in row and start order."""
    # stable: when spans tie on row, start and end, the first found (entities, then counts,
    # then dates) is kept, not whichever the sort happens to put first
    spans = spans.sort([ROW, "start", "end"], descending=[False, False, True], maintain_order=True)
    # one running maximum over the whole frame: offsetting every sentence by row × BIG keeps the
    # sentences apart (rows are sorted), which avoids a grouped window
    big = pl.lit(1 << 32, dtype=pl.Int64)
    offset = pl.col(ROW).cast(pl.Int64) * big
    prev_end = (offset + pl.col("end")).cum_max().shift(1)
    return spans.filter(prev_end.is_null() | (offset + pl.col("start") >= prev_end))


def _actors(spans: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """actor1/inter1/actor2/inter2 of each sentence from its ACTOR spans (``spans`` in row order)."""
    actors = spans.filter(pl.col("label") == "ACTOR").with_columns(pl.coalesce("name", "text").alias("actor"))
    # a sentence naming one actor needs no ranking: it is actor1 and there is no actor2
    several = ~(first_in(ROW) & last_in(ROW))
    single = actors.filter(~several).select(ROW, pl.col("actor").alias("actor1"), pl.col("inter").alias("inter1"))
    ranked = _ranked_actors(actors.filter(several).join(labels, on=ROW, how="left"))
    return pl.concat([single, ranked], how="diagonal")


def _ranked_actors(actors: pl.DataFrame) -> pl.DataFrame:
    """actor1/inter1 and actor2/inter2 of the sentences that name several actors."""
    parent = pl.col("event_type")
    demo = parent.is_in(["Protests", "Riots"])
    vac = parent == "Violence against civilians"
    # an actor that is only the source of the report ("an army spokesman said …") is not the doer
    speaker = (pl.col("_after").str.contains(SPEAKER_AFTER) | pl.col("_before").str.contains(SPEAKER_BEFORE))
    actors = actors.with_columns(
        pl.col("_text_full").str.slice(pl.col("end"), 24).str.to_lowercase().alias("_after"),
        pl.col("_text_full").str.slice((pl.col("start") - 24).clip(0), pl.col("start") - (pl.col("start") - 24).clip(0))
        .str.to_lowercase().alias("_before"))
    first_rank = (
        pl.when(speaker).then(3)
        .when(demo & pl.col("inter").is_in(["Protesters", "Rioters"])).then(0)
        .when(demo).then(1)
        .when(vac & (pl.col("inter") == "Civilians")).then(2)
        .when(pl.col("inter") == "Civilians").then(1).otherwise(0)
    )
    actors = actors.with_columns(first_rank.alias("_r1")).sort([ROW, "_r1", "start"])
    a1 = actors.filter(first_in(ROW)).select(ROW, pl.col("actor").alias("actor1"), pl.col("inter").alias("inter1"))
    # actor1/inter1 on every row of the sentence (both are never null: every actor has an inter)
    rest = actors.with_columns(run_first(pl.col("actor"), ROW).alias("actor1"),
                               run_first(pl.col("inter"), ROW).alias("inter1"))
    rest = rest.filter(pl.col("actor") != pl.col("actor1"))
    second_rank = (
        pl.when(vac & (pl.col("inter") == "Civilians")).then(0)
        .when(demo & (pl.col("inter") == "State forces")).then(0)
        .when(pl.col("inter") == pl.col("inter1")).then(2).otherwise(1)
    )
    a2 = (rest.with_columns(second_rank.alias("_r2")).sort([ROW, "_r2", "start"]).filter(first_in(ROW))
          .select(ROW, pl.col("actor").alias("actor2"), pl.col("inter").alias("inter2")))
    return a1.join(a2, on=ROW, how="left")


def _places(spans: pl.DataFrame) -> pl.DataFrame:
    """location/country of each sentence from its LOCATION spans (``spans`` in row and start order)."""
    locs = spans.filter(pl.col("label") == "LOCATION")
    city = locs.filter(pl.col("kind") == "city").group_by(ROW).agg(
        pl.col("name").first().alias("location"), pl.col("country").first().alias("_c1"))
    country = locs.filter(pl.col("kind") == "country").group_by(ROW).agg(pl.col("name").first().alias("_c2"))
    return city.join(country, on=ROW, how="full", coalesce=True).select(
        ROW, "location", pl.coalesce("_c1", "_c2").alias("country"))


def extract(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame``: text, _pl, _pc, _lang, published_at, keys, event_type, sub_event_type (row order)."""
    frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW))
    ents = _entity_hits(frame)
    grammar_spans, values = _count_and_date_spans(frame)
    all_spans = pl.concat([ents.select(ROW, "label", "start", "end", "name", "inter", "country", "kind"),
                           grammar_spans], how="diagonal_relaxed")
    all_spans = _resolve_overlaps(all_spans)
    # _row is the position in frame: a gather, not a join
    all_spans = all_spans.with_columns(frame["text"].gather(all_spans[ROW]).alias("text")).with_columns(
        pl.col("text").str.slice(pl.col("start"), pl.col("end") - pl.col("start")))
    # the spans are in row and start order already
    span_lists = all_spans.group_by(ROW).agg(
        pl.struct(pl.col("label"), pl.col("start"), pl.col("end"), pl.col("text")).alias("spans"))
    # joins that keep the frame's row order: no re-sort
    out = (frame.select(ROW, "event_type", "published_at")
           .join(span_lists, on=ROW, how="left", maintain_order="left")
           .join(_actors(all_spans, frame.select(ROW, "event_type", pl.col("text").alias("_text_full"))), on=ROW,
                 how="left", maintain_order="left")
           .join(_places(all_spans), on=ROW, how="left", maintain_order="left")
           .join(values, on=ROW, how="left", maintain_order="left"))
    # an event with no date in its sentence happened around publication: week precision
    fallback = (pl.col("event_type").is_not_null() & pl.col("event_date").is_null()
                & pl.col("published_at").is_not_null())
    out = out.with_columns(
        pl.when(fallback).then(pl.col("published_at")).otherwise(pl.col("event_date")).alias("event_date"),
        pl.when(fallback).then(pl.lit(2, dtype=pl.Int8)).otherwise(pl.col("time_precision")).alias("time_precision"),
        pl.col("spans").fill_null(pl.lit([], dtype=SPAN_DTYPE)),
    )
    return out.select([pl.col(c).cast(PRELABEL_COLUMNS[c]) for c in FLAT])
