"""Score the pre-labeller against a gold file (``conflictset evaluate``).

Gold: TSV, JSONL or Parquet with ``text``, ``event_type``, ``sub_event_type`` (empty or null =
no event; optional ``language``, default English). F1 is computed over the classes present in
the gold file with "No event" as one more class (7 classes at the event-type level, up to 26 at
the sub-type level); macro = unweighted mean, weighted = weighted by gold support. Scores
restricted to the gold event rows are reported too, as is the share of gold no-event rows the
pre-labeller leaves unlabelled (``no_event_abstain_rate``) and a calibration table (accuracy by
score bucket). The result is a flat dict with dotted keys (``event_type.macro_f1`` …).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from conflictset.dataset.prelabel.pipeline import prelabel
from conflictset.schemas.errors import InputError
from conflictset.schemas.taxonomy import EVENT_TYPES, NO_EVENT, PARENT_OF, SUB_EVENT_TYPE_NAMES

BUCKETS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def read_gold(path: str | Path) -> pl.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError("gold file not found", file=str(path), fix="give the path of a TSV, JSONL or Parquet file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".tsv", ".tab"):
            df = pl.read_csv(path, separator="\t", quote_char=None, infer_schema=False)
        elif suffix == ".csv":
            df = pl.read_csv(path, infer_schema=False)
        elif suffix in (".jsonl", ".ndjson"):
            df = pl.read_ndjson(path)
        elif suffix == ".parquet":
            df = pl.read_parquet(path)
        else:
            raise InputError(f"unsupported gold format {suffix!r}", file=str(path),
                             fix="use .tsv, .csv, .jsonl or .parquet")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 — unreadable file is a user error
        raise InputError(f"cannot read gold file: {exc}", file=str(path)) from None
    missing = [c for c in ("text", "event_type", "sub_event_type") if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; found {df.columns}", file=str(path),
                         fix="the gold file needs text, event_type and sub_event_type (empty = no event)")
    df = df.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c)
         for c in ("event_type", "sub_event_type")]
    ).with_columns(pl.col("text").cast(pl.String).str.normalize("NFC")).filter(
        pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
    bad_sub = sorted(set(df["sub_event_type"].drop_nulls()) - set(SUB_EVENT_TYPE_NAMES))
    bad_evt = sorted(set(df["event_type"].drop_nulls()) - set(EVENT_TYPES))
    if bad_sub or bad_evt:
        raise InputError(f"labels not in the ACLED taxonomy: {bad_evt + bad_sub}", file=str(path),
                         fix="use the exact names from schemas/taxonomy.py")
    # a sub-type alone implies its event type
    return df.with_columns(
        pl.coalesce("event_type", pl.col("sub_event_type").replace_strict(PARENT_OF, default=None)).alias("event_type"))


def _prf(gold: list[str], pred: list[str], classes: list[str]) -> dict:
    out: dict = {}
    f1s, weights = [], []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, pred) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, pred) if g == c and p != c)
        p_ = tp / (tp + fp) if tp + fp else 0.0
        r_ = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0
        out[c] = {"precision": round(p_, 4), "recall": round(r_, 4), "f1": round(f1, 4), "support": tp + fn}
        f1s.append(f1)
        weights.append(tp + fn)
    total = sum(weights) or 1
    return {
        "per_class": out,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "weighted_f1": round(sum(f * w for f, w in zip(f1s, weights)) / total, 4),
        "accuracy": round(sum(g == p for g, p in zip(gold, pred)) / (len(gold) or 1), 4),
    }


def _level(gold: list[str], pred: list[str]) -> dict:
    classes = sorted(set(gold), key=lambda c: (c == NO_EVENT, c))
    return _prf(gold, pred, classes)


def _confusion(gold: list[str], pred: list[str]) -> dict:
    m: dict = {}
    for g, p in zip(gold, pred):
        m.setdefault(g, {}).setdefault(p, 0)
        m[g][p] += 1
    return m


def _calibration(scores: list[float], ok_sub: list[bool], ok_evt: list[bool]) -> list[dict]:
    rows = []
    for lo, hi in zip(BUCKETS, BUCKETS[1:]):
        idx = [i for i, s in enumerate(scores) if lo <= s < hi]
        if not idx:
            rows.append({"bucket": f"[{lo:.1f},{min(hi, 1.0):.1f}]", "n": 0,
                         "event_type_accuracy": None, "sub_event_type_accuracy": None})
            continue
        rows.append({
            "bucket": f"[{lo:.1f},{min(hi, 1.0):.1f}]", "n": len(idx),
            "event_type_accuracy": round(sum(ok_evt[i] for i in idx) / len(idx), 4),
            "sub_event_type_accuracy": round(sum(ok_sub[i] for i in idx) / len(idx), 4),
        })
    return rows


def predict(gold: pl.DataFrame) -> pl.DataFrame:
    sentences = gold.select(
        pl.format("gold-{}", pl.int_range(pl.len())).alias("sentence_id"),
        pl.col("text"),
        (pl.col("language") if "language" in gold.columns else pl.lit("en")).alias("language"),
        pl.lit("body").alias("role"),
        pl.lit(None, dtype=pl.Date).alias("published_at"),
    )
    return prelabel(sentences)


def evaluate(path: str | Path) -> dict:
    """Run the pre-labeller on a gold file and return flat metrics (see module docstring)."""
    gold = read_gold(path)
    pred = predict(gold)
    g_evt = gold["event_type"].fill_null(NO_EVENT).to_list()
    g_sub = gold["sub_event_type"].fill_null(NO_EVENT).to_list()
    # gold rows with an event type but no sub-type are scored at the event-type level only
    p_evt = pred["event_type"].fill_null(NO_EVENT).to_list()
    p_sub = pred["sub_event_type"].fill_null(NO_EVENT).to_list()
    scores = pred["score"].to_list()
    has_sub = [not (e != NO_EVENT and s == NO_EVENT) for e, s in zip(g_evt, g_sub)]
    gs = [g for g, k in zip(g_sub, has_sub) if k]
    ps = [p for p, k in zip(p_sub, has_sub) if k]
    evt = _level(g_evt, p_evt)
    sub = _level(gs, ps)
    ev_rows = [i for i, g in enumerate(g_evt) if g != NO_EVENT]
    evt_only = _prf([g_evt[i] for i in ev_rows], [p_evt[i] for i in ev_rows],
                    sorted({g_evt[i] for i in ev_rows}))
    sub_rows = [i for i in ev_rows if has_sub[i]]
    sub_only = _prf([g_sub[i] for i in sub_rows], [p_sub[i] for i in sub_rows],
                    sorted({g_sub[i] for i in sub_rows}))
    none_rows = [i for i, g in enumerate(g_evt) if g == NO_EVENT]
    abstain = (sum(p_evt[i] == NO_EVENT for i in none_rows) / len(none_rows)) if none_rows else None
    result = {
        "gold_file": str(path),
        "n": len(g_evt),
        "n_event_rows": len(ev_rows),
        "n_no_event_rows": len(none_rows),
        "event_type.macro_f1": evt["macro_f1"],
        "event_type.weighted_f1": evt["weighted_f1"],
        "event_type.accuracy": evt["accuracy"],
        "sub_event_type.macro_f1": sub["macro_f1"],
        "sub_event_type.weighted_f1": sub["weighted_f1"],
        "sub_event_type.accuracy": sub["accuracy"],
        "no_event_abstain_rate": None if abstain is None else round(abstain, 4),
        "event_rows.event_type.macro_f1": evt_only["macro_f1"],
        "event_rows.event_type.weighted_f1": evt_only["weighted_f1"],
        "event_rows.event_type.accuracy": evt_only["accuracy"],
        "event_rows.sub_event_type.macro_f1": sub_only["macro_f1"],
        "event_rows.sub_event_type.weighted_f1": sub_only["weighted_f1"],
        "event_rows.sub_event_type.accuracy": sub_only["accuracy"],
        "event_rows.labelled_rate": round(sum(p_evt[i] != NO_EVENT for i in ev_rows) / (len(ev_rows) or 1), 4),
        "event_type.per_class": evt["per_class"],
        "sub_event_type.per_class": sub["per_class"],
        "event_type.confusion": _confusion(g_evt, p_evt),
        "calibration": _calibration(scores, [a == b for a, b in zip(g_sub, p_sub)],
                                    [a == b for a, b in zip(g_evt, p_evt)]),
    }
    return result


def to_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, sort_keys=False)
