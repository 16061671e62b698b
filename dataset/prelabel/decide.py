"""One label per sentence from the rule votes.

How pre-labelling decides
-------------------------
1. Every rule (:mod:`dataset.prelabel.rules`, one per ACLED sub-event type) votes a strength for
   its sub-event type, or abstains (0): 1.0 for a strong trigger (a term that names the event
   kind: "air strike", "roadside bomb", "tear gas"), 0.5 for a weak one ("attacked", "bomb"),
   0.75–0.9 for combinations (an attack with armed actors on both sides; "captured" + a town).
   Overrides vote above 1: 1.2 when weapons are defused, intercepted, seized or found and nothing
   went off (the disrupted weapon, not the explosion it would have been), 1.3 for a place taken
   "without a fight" (non-violent transfer, not a territory battle).
2. Sentence-level cues scale every vote: a question headline, an intent/future cue ("plans to",
   "threatened to", "wil") or a reported aim ("aims to", "is erop gericht om") veto (× 0);
   speculation ("could", "may", "zou kunnen") × 0.6; negation ("not", "geen") × 0.8; claims of
   responsibility and clearly non-conflict happenings (gas leaks, earthquakes, sanctions,
   diplomats) × 0.45; a softer non-conflict context (disasters, ordinary crime, diplomacy)
   × 0.45 on weak evidence only (strong triggers keep their label, × 0.9).
3. The strongest remaining vote wins if it is at least 0.5; otherwise the sentence is "no event"
   (all label columns null). Ties go to the earlier entry of this order, which follows ACLED's
   precedence: Battles (a ground battle with air support is a battle; but a clash whose named
   weapon is a grenade, shell, mine, IED, chemical or suicide bomb votes 0.9, so the explosion
   type wins), Explosions/Remote violence (an explosion that kills civilians is an explosion),
   Riots (a protest that turns violent is a riot), Protests (excessive force > intervention >
   peaceful), Violence against civilians, Strategic developments; inside an event type the
   codebook order (the earlier sub-type wins). The two territory sub-types are then settled by
   who took the place: the first actor named that is not just the source of the report (state
   forces → Government regains territory, non-state groups → Non-state actor overtakes territory).
4. ``score`` estimates how likely the proposed label is right, for sorting review queues.
   For an event: ``0.55 + 0.1 × (distinct strong terms of the winning sub-type, at most 3)
   − 0.07 × (other sub-types that also have strong terms, at most 3)``, + 0.05 when no rule of
   another event type voted ≥ 0.5, − 0.05 with a speculation cue. For "no event": 0.85 when no
   rule voted at all, 0.6 when evidence was vetoed or too weak. The constants were set from the
   calibration table of ``conflictset evaluate`` (accuracy by score bucket) on the English
   development file; the table is printed with every evaluation so drift shows.
"""

from __future__ import annotations

import functools
import operator

import polars as pl

from conflictset.dataset.prelabel.lexicon import key_bits
from conflictset.dataset.prelabel.rules import RULES, C
from conflictset.schemas.taxonomy import DISORDER_OF, EVENT_TYPES, PARENT_OF, precedence

#: cross-type order used to break ties (see module docstring)
EVENT_TYPE_ORDER = ("Battles", "Explosions/Remote violence", "Riots", "Protests",
                    "Violence against civilians", "Strategic developments")
assert set(EVENT_TYPE_ORDER) == set(EVENT_TYPES)

ORDERED_RULES = tuple(sorted(RULES, key=lambda r: (EVENT_TYPE_ORDER.index(PARENT_OF[r.sub_event_type]),
                                                   precedence(r.sub_event_type))))
THRESHOLD = 0.5
SPECULATION, NEGATION, NON_EVENT = 0.6, 0.8, 0.45
NON_EVENT_CUES = ("disaster", "crime", "diplomacy")
NON_EVENT_STRONG = 0.9


def question_headline() -> pl.Expr:
    return (pl.col("role") == "headline") & pl.col("text").str.strip_chars().str.ends_with("?")


def factor() -> pl.Expr:
    """Product of the cue multipliers (0 = veto)."""
    veto = question_headline().fill_null(False) | C("intent") | C("aims")
    non_event = pl.any_horizontal(C(c) for c in NON_EVENT_CUES)
    return (
        pl.when(veto).then(0.0).otherwise(1.0)
        * pl.when(C("speculation")).then(SPECULATION).otherwise(1.0)
        * pl.when(C("negation")).then(NEGATION).otherwise(1.0)
        # non-conflict context: vetoes weak evidence only (strong triggers keep their label)
        * pl.when(non_event & (pl.col("_raw_max") < 1.0)).then(NON_EVENT)
          .when(non_event).then(NON_EVENT_STRONG).otherwise(1.0)
        * pl.when(C("attribution") | C("non_conflict")).then(NON_EVENT).otherwise(1.0)
    )


def cue_tags() -> list[tuple[pl.Expr, str]]:
    """(condition, evidence tag) of every sentence-level cue."""
    names = ("intent", "aims", "speculation", "negation", "attribution", "non_conflict") + NON_EVENT_CUES
    return [(C(n), f"cue:{n}") for n in names] + [(question_headline().fill_null(False), "cue:question_headline")]


def _tag_code(pairs: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """The conditions of ``pairs`` packed into one bit code per row (see :func:`_tags`)."""
    if len(pairs) > 64:
        raise ValueError(f"{len(pairs)} tags; at most 64 fit the tag code")
    zero = pl.lit(0, dtype=pl.UInt64)
    bits = [pl.when(cond.fill_null(False)).then(pl.lit(1 << i, dtype=pl.UInt64)).otherwise(zero)
            for i, (cond, _) in enumerate(pairs)]
    return functools.reduce(operator.or_, bits, zero)


def _tags(codes: pl.Series, pairs: list[tuple[pl.Expr, str]]) -> pl.Series:
    """Per row, the list of the tags whose condition holds, from the :func:`_tag_code` codes: the
    few distinct codes are turned into lists once (building a list per row with when/then is
    ten times slower)."""
    distinct = codes.unique()
    lists = pl.Series([[tag for i, (_, tag) in enumerate(pairs) if code >> i & 1] for code in distinct],
                      dtype=pl.List(pl.String))
    return lists.gather(codes.replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True)))


def _winner_strong_terms(work: pl.DataFrame, subs: list[str]) -> pl.Series:
    """Per row, the number of distinct strong trigger terms of the winning sub-event type. Only
    rows whose masks hold a strong trigger of the winner can have one: the others are skipped
    before the terms are exploded."""
    winner_bit = _by_winner(pl.Series([key_bits()[f"T:{s}"][1] for s in subs], dtype=pl.UInt64))
    exploded = (work.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), "_best", "_mT", "terms")
                .filter((pl.col("_mT") & winner_bit) != 0).explode("terms"))
    counts = (exploded.filter(pl.col("terms").str.starts_with(_by_winner(pl.Series([f"T:{s}=" for s in subs]))))
              .group_by("_i", maintain_order=True).agg(pl.col("terms").n_unique().alias("n")))
    return pl.zeros(work.height, dtype=pl.UInt32, eager=True).scatter(counts["_i"], counts["n"])


def _by_winner(values: pl.Series, winner: pl.Expr = pl.col("_best")) -> pl.Expr:
    """Per row the entry of ``values`` (one per rule, in :data:`ORDERED_RULES` order) of the
    winning rule, null where ``winner`` is: a gather, cheaper than a lookup by value."""
    return pl.lit(values).gather(winner)


def _evidence(tags: pl.Series, terms: pl.Series) -> pl.Series:
    """Per row its tags, then its terms. ``concat_list`` builds the lists row by row (three times
    slower): both are exploded instead and gathered back by row; every row keeps a null from its
    tags, so rows without evidence get an empty list and the groups stay in row order."""
    row = pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i")
    flat = pl.concat([tags.to_frame("e").select(row, "e").explode("e", empty_as_null=True, keep_nulls=True),
                      terms.to_frame("e").select(row, "e").explode("e", keep_nulls=False)])
    # sorted, the grouping takes its fast path (6× faster than hashing the rows)
    flat = flat.sort("_i", maintain_order=True)
    return flat.group_by("_i", maintain_order=True).agg(pl.col("e").drop_nulls())["e"]


def decide(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` has the key masks and ``terms`` (from the matcher), ``text`` and ``role``."""
    names = [r.name for r in ORDERED_RULES]
    subs = [r.sub_event_type for r in ORDERED_RULES]
    parents = [PARENT_OF[s] for s in subs]
    # one lazy query: the rules share their key tests, which the optimiser computes once
    work = frame.lazy().with_columns([r.expr.alias(r.name) for r in ORDERED_RULES])
    work = work.with_columns(pl.max_horizontal(names).alias("_raw_max")).with_columns(factor().alias("_factor"))
    work = work.with_columns([(pl.col(n) * pl.col("_factor")).alias(n) for n in names])
    work = work.with_columns(pl.max_horizontal(names).alias("_s"))
    # first rule (in precedence order) reaching the best strength
    best = pl.coalesce([pl.when(pl.col(n) == pl.col("_s")).then(pl.lit(i)) for i, n in enumerate(names)])
    # evidence: the rules that voted, then the cues, then the matched terms
    pairs = [(pl.col(n) > 0, n) for n in names] + cue_tags()
    work = work.with_columns(best.alias("_best"), _tag_code(pairs).alias("_tags")).collect()
    work = work.with_columns(_winner_strong_terms(work, [r.sub_event_type for r in ORDERED_RULES]).alias("_nT"))
    is_event = pl.col("_s") >= THRESHOLD
    # the labels are the winner's entries (null: no event)
    winner = pl.when(is_event).then(pl.col("_best"))
    # whether a rule of another event type than the winner voted at least THRESHOLD: a bit per
    # event type that has such a vote, tested against the bits of the other types (max/when
    # over the type columns cost a fifth of the decision)
    type_bits = functools.reduce(operator.or_, [
        pl.any_horizontal(pl.col(n) >= THRESHOLD for n, p in zip(names, parents) if p == e)
        .cast(pl.UInt8) * (1 << i) for i, e in enumerate(EVENT_TYPE_ORDER)])
    others = _by_winner(pl.Series([(1 << len(EVENT_TYPE_ORDER)) - 1 - (1 << EVENT_TYPE_ORDER.index(p))
                                   for p in parents], dtype=pl.UInt8))
    other_strong = (type_bits & others) != 0
    # how many distinct strong terms name the winner, how many sub-types have strong terms
    n_subs = pl.col("_mT").bitwise_count_ones().cast(pl.Int64)
    event_score = (0.55 + 0.1 * pl.col("_nT").clip(0, 3) - 0.07 * (n_subs - 1).clip(0, 3)
                   + pl.when(~other_strong).then(0.05).otherwise(0.0)
                   - pl.when(C("speculation")).then(0.05).otherwise(0.0))
    none_score = pl.when(pl.col("_raw_max") == 0).then(0.85).otherwise(0.6)
    tags = _tags(work["_tags"], pairs)
    return work.select(
        _by_winner(pl.Series(parents, dtype=pl.String), winner).alias("event_type"),
        _by_winner(pl.Series(subs, dtype=pl.String), winner).alias("sub_event_type"),
        pl.when(is_event).then(event_score).otherwise(none_score).clip(0.0, 1.0).cast(pl.Float64).alias("score"),
        pl.lit(_evidence(tags, work["terms"])).alias("evidence"),
        _by_winner(pl.Series([DISORDER_OF.get(s) for s in subs], dtype=pl.String), winner).alias("disorder_type"),
    )
