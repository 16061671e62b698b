"""Inter-annotator agreement on the event labels.

Figures, at two levels — ``event_type`` (Battles, Protests, …, "No event") and
``sub_event_type`` (the 25 sub-event types, "No event"):

* **Krippendorff's α (nominal)**, computed by the ``krippendorff`` package from the
  items × categories count matrix. Only items with ≥ 2 annotations are pairable; the others are
  excluded and counted (``items_excluded``).
* **Observed agreement** ``A_o``: Krippendorff's observed agreement, the share of pairable
  value pairs within an item that match (``1 - D_o`` in nominal terms); ``expected`` is the
  chance agreement ``A_e``, so ``α = (A_o - A_e) / (1 - A_e)``.
* **α per category** (one-vs-rest): the labels binarised into "this category / anything else",
  then nominal α — how reliably the category is told apart from the rest.
* **Cohen's κ per annotator pair**, over the items both annotated.
* **Hierarchy-aware α and observed agreement** (our design): the distance between two labels is
  0 when they are the same sub-event type, **0.5** when they share the event type but differ in
  sub-event type, 1 otherwise (an event against "No event" included). It is Krippendorff's α
  with that distance instead of the nominal 0/1 one, so a Battles/Armed clash vs
  Battles/Government regains territory disagreement costs half of a Battles vs Riots one.

Cancelled annotations are excluded; an annotator counts once per item (latest annotation).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import krippendorff
import numpy as np
import polars as pl

from conflictset.export.adjudicate import normalise_annotations, one_vote_per_annotator
from conflictset.schemas import taxonomy as tx

LEVELS = ("event_type", "sub_event_type")
PARTIAL_CREDIT = 0.5  # distance 1 - 0.5 when the event type matches but the sub-type does not

KAPPA_SCHEMA = {"level": pl.String, "annotator_a": pl.String, "annotator_b": pl.String, "n_items": pl.Int64,
                "observed": pl.Float64, "kappa": pl.Float64}
CATEGORY_SCHEMA = {"level": pl.String, "category": pl.String, "alpha": pl.Float64, "n_items": pl.Int64,
                   "n_values": pl.Int64}


@dataclass
class LevelAgreement:
    alpha: float | None
    observed: float | None
    expected: float | None


@dataclass
class AgreementReport:
    items_reviewed: int  # items with ≥ 1 usable annotation
    items_pairable: int  # items with ≥ 2 annotators: the ones agreement is computed on
    items_excluded: int  # reviewed by one annotator only
    n_annotations: int
    n_annotators: int
    levels: dict[str, LevelAgreement]
    hierarchy: LevelAgreement
    per_category: pl.DataFrame = field(repr=False)
    kappa: pl.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        """Plain JSON-ready figures (no frames with floats formatted differently per run)."""
        return {
            "items_reviewed": self.items_reviewed,
            "items_pairable": self.items_pairable,
            "items_excluded": self.items_excluded,
            "n_annotations": self.n_annotations,
            "n_annotators": self.n_annotators,
            "levels": {k: _round(asdict(v)) for k, v in self.levels.items()},
            "hierarchy": _round(asdict(self.hierarchy)),
            "per_category": [_round(r) for r in self.per_category.iter_rows(named=True)],
            "kappa": [_round(r) for r in self.kappa.iter_rows(named=True)],
        }


def _round(row: dict) -> dict:
    return {k: round(v, 6) if isinstance(v, float) and v == v else (None if isinstance(v, float) else v)
            for k, v in row.items()}


def level_label(level: str) -> pl.Expr:
    """The category an annotation gives at ``level``; "No event" when it has no event."""
    return pl.col(level).fill_null(pl.lit(tx.NO_EVENT)).alias("label")


def value_counts(votes: pl.DataFrame, level: str, categories: list[str]) -> np.ndarray:
    """Items × categories matrix of how many annotators chose each category (pairable items only)."""
    counts = (
        votes.select("sentence_id", level_label(level))
        .group_by("sentence_id", "label").len()
        .pivot(on="label", index="sentence_id", values="len")
        .fill_null(0)
        .sort("sentence_id")
    )
    for c in categories:
        if c not in counts.columns:
            counts = counts.with_columns(pl.lit(0, dtype=pl.UInt32).alias(c))
    matrix = counts.select(categories).to_numpy().astype(np.int64)
    return matrix[matrix.sum(axis=1) >= 2]


def coincidences(counts: np.ndarray) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck = Σ_u n_uc·n_uk / (m_u − 1), minus self-pairs."""
    m = counts.sum(axis=1)
    weights = counts / (m - 1)[:, None]
    return weights.T @ counts - np.diag(weights.sum(axis=0))


def _alpha(counts: np.ndarray, distance: np.ndarray, *, reference: bool = True) -> LevelAgreement:
    """α, A_o and A_e for a count matrix and a category distance matrix (0 on the diagonal).

    With ``reference`` α comes from the ``krippendorff`` package; without, from the same
    coincidence matrices that give A_o and A_e (α = 1 − D_o/D_e) — used for our own
    hierarchy-aware figure, which the tests check against the package with the same distance.
    """
    if counts.shape[0] == 0:
        return LevelAgreement(None, None, None)
    o = coincidences(counts)
    n = o.sum()
    n_c = o.sum(axis=0)
    observed = 1.0 - float((o * distance).sum() / n)
    e = (np.outer(n_c, n_c) - np.diag(n_c)) / (n - 1)
    expected = 1.0 - float((e * distance).sum() / n)
    used = n_c > 0
    if used.sum() <= 1:  # one category only: α is undefined (no variation to agree on)
        return LevelAgreement(None, observed, expected)
    if not reference:
        return LevelAgreement(1.0 - (1.0 - observed) / (1.0 - expected), observed, expected)
    idx = np.flatnonzero(used)

    def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
        return distance[np.ix_(idx, idx)][i1, i2].astype(dtype)

    value = krippendorff.alpha(value_counts=counts[:, used], level_of_measurement=metric)
    return LevelAgreement(float(value), observed, expected)


def nominal_distance(k: int) -> np.ndarray:
    return 1.0 - np.eye(k)


def hierarchy_distance(subs: list[str]) -> np.ndarray:
    """0 same sub-type, 1 − PARTIAL_CREDIT same event type, 1 otherwise ("No event" has no parent)."""
    parents = [tx.PARENT_OF.get(s) for s in subs]
    d = np.ones((len(subs), len(subs)))
    for i, pi in enumerate(parents):
        for j, pj in enumerate(parents):
            if i == j:
                d[i, j] = 0.0
            elif pi is not None and pi == pj:
                d[i, j] = 1.0 - PARTIAL_CREDIT
    return d


def nominal_alpha(counts: np.ndarray) -> float | None:
    return _alpha(counts, nominal_distance(counts.shape[1])).alpha


def per_category(counts: np.ndarray, level: str, categories: list[str]) -> pl.DataFrame:
    rows = []
    for i, cat in enumerate(categories):
        binary = np.stack([counts[:, i], counts.sum(axis=1) - counts[:, i]], axis=1)
        present = binary[:, 0] > 0
        if not present.any():
            continue
        rows.append({"level": level, "category": cat, "alpha": nominal_alpha(binary),
                     "n_items": int(present.sum()), "n_values": int(binary[:, 0].sum())})
    return pl.DataFrame(rows, schema=CATEGORY_SCHEMA)


def cohen_kappa(votes: pl.DataFrame, level: str) -> pl.DataFrame:
    """κ = (p_o − p_e) / (1 − p_e) for every annotator pair, over the items both annotated."""
    lab = votes.select("sentence_id", "annotator", level_label(level))
    pairs = (
        lab.join(lab, on="sentence_id", suffix="_b")
        .filter(pl.col("annotator") < pl.col("annotator_b"))
        .rename({"annotator": "annotator_a", "label": "label_a"})
    )
    if pairs.is_empty():
        return pl.DataFrame(schema=KAPPA_SCHEMA)
    keys = ["annotator_a", "annotator_b"]
    observed = pairs.group_by(keys).agg(pl.len().alias("n_items"),
                                        (pl.col("label_a") == pl.col("label_b")).mean().alias("observed"))
    marg_a = pairs.group_by(*keys, pl.col("label_a").alias("label")).len().rename({"len": "n_a"})
    marg_b = pairs.group_by(*keys, pl.col("label_b").alias("label")).len().rename({"len": "n_b"})
    chance = (
        marg_a.join(marg_b, on=[*keys, "label"], how="inner")
        .group_by(keys).agg((pl.col("n_a") * pl.col("n_b")).sum().alias("agree_products"))
    )
    out = (
        observed.join(chance, on=keys, how="left")
        .with_columns((pl.col("agree_products").fill_null(0) / pl.col("n_items") ** 2).alias("expected"))
        .with_columns(
            pl.when(pl.col("expected") < 1.0)
            .then((pl.col("observed") - pl.col("expected")) / (1.0 - pl.col("expected")))
            .otherwise(None).alias("kappa"),
            pl.lit(level).alias("level"),
        )
        .sort(keys)
    )
    return out.select([pl.col(c).cast(dt) for c, dt in KAPPA_SCHEMA.items()])


def agreement(annotations: pl.DataFrame | None) -> AgreementReport:
    """All agreement figures for a pulled annotations table (see the module doc)."""
    votes = one_vote_per_annotator(normalise_annotations(annotations))
    per_item = votes.group_by("sentence_id").len()
    pairable_ids = per_item.filter(pl.col("len") >= 2).select("sentence_id")
    pairable = votes.join(pairable_ids, on="sentence_id", how="semi")

    categories = {
        "event_type": [*tx.EVENT_TYPES, tx.NO_EVENT],
        "sub_event_type": [*tx.SUB_EVENT_TYPE_NAMES, tx.NO_EVENT],
    }
    levels, cats, kappas, counts = {}, [], [], {}
    for level in LEVELS:
        counts[level] = value_counts(pairable, level, categories[level])
        levels[level] = _alpha(counts[level], nominal_distance(len(categories[level])))
        cats.append(per_category(counts[level], level, categories[level]))
        kappas.append(cohen_kappa(pairable, level))
    subs = categories["sub_event_type"]
    hierarchy = _alpha(counts["sub_event_type"], hierarchy_distance(subs), reference=False)
    return AgreementReport(
        items_reviewed=per_item.height,
        items_pairable=pairable_ids.height,
        items_excluded=per_item.height - pairable_ids.height,
        n_annotations=votes.height,
        n_annotators=votes["annotator"].n_unique() if votes.height else 0,
        levels=levels,
        hierarchy=hierarchy,
        per_category=pl.concat(cats),
        kappa=pl.concat(kappas),
    )
