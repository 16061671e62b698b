"""Score the cleaner against gold line roles (``conflictset evaluate-clean GOLD_DIR``).

A gold set is a folder (searched recursively) of ``NAME.txt`` articles, each with a
``NAME.gold.jsonl``: one ``{"match", "role"}`` object per line, in text order (the seed
fixture's format; ``"exact": true`` when ``match`` is the whole line). The language is the
file name's prefix (``nl_raqqa_2016`` → ``nl``).

Each gold match is found in the article (searching on from the previous match, so repeated
lines are told apart) and gets the role of the segment that covers most of it. ``leaks`` are
debris lines (credit, boilerplate, related, heading) kept as sentences; ``losses`` are body
lines dropped — a lost body line is a lost event, so they matter most.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl

from conflictset.dataset.clean import clean
from conflictset.dataset.ingest.decode import normalise
from conflictset.schemas.errors import InputError
from conflictset.schemas.pipeline import SENTENCE_ROLES

KEPT = set(SENTENCE_ROLES)


def _gold_files(gold_dir: Path) -> list[tuple[Path, Path]]:
    if not gold_dir.is_dir():
        raise InputError(f"{gold_dir} is not a folder", fix="give the folder holding NAME.txt + NAME.gold.jsonl")
    pairs = []
    for gold in sorted(gold_dir.rglob("*.gold.jsonl")):
        text = gold.with_name(gold.name.removesuffix(".gold.jsonl") + ".txt")
        if not text.is_file():
            raise InputError(f"{gold} has no article beside it (expected {text.name})",
                             fix="add the article text or remove the gold file")
        pairs.append((text, gold))
    if not pairs:
        raise InputError(f"no *.gold.jsonl files under {gold_dir}",
                         fix="each article NAME.txt needs a NAME.gold.jsonl with one {match, role} per line")
    return pairs


def _read_gold(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", file=str(path), row=number,
                             fix="one JSON object per line") from exc
        if not isinstance(row, dict) or not isinstance(row.get("match"), str) or not isinstance(row.get("role"), str):
            raise InputError("expected an object with string fields 'match' and 'role'", file=str(path), row=number,
                             fix='write {"match": "<line text>", "role": "body"}')
        rows.append(row)
    return rows


def _predicted(segments: list[tuple[int, int, str]], start: int, end: int) -> str:
    """Role of the segment covering most of ``[start, end)``; ``none`` if no segment does."""
    best, role = 0, "none"
    for s, e, r in segments:
        overlap = min(e, end) - max(s, start)
        if overlap > best:
            best, role = overlap, r
    return role


def _ratio(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def evaluate_clean(gold_dir: str | Path) -> dict:
    """Line-role accuracy of :func:`clean` on a gold folder: overall, per role and per language,
    with every leak, loss and other miss listed."""
    pairs = _gold_files(Path(gold_dir))
    texts = [normalise(t.read_text(encoding="utf-8")) for t, _ in pairs]
    names = [t.name.removesuffix(".txt") for t, _ in pairs]
    segments = clean(pl.DataFrame({"article_id": names, "text": texts}))
    by_article: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for aid, s, e, r in segments.select("article_id", "char_start", "char_end", "role").iter_rows():
        by_article[aid].append((s, e, r))

    per_role: dict[str, Counter] = defaultdict(Counter)
    per_lang: dict[str, Counter] = defaultdict(Counter)
    confusion: dict[str, Counter] = defaultdict(Counter)
    leaks, losses, misses, unmatched = [], [], [], []
    for (_, gold_path), name, text in zip(pairs, names, texts):
        lang = name.split("_", 1)[0] if "_" in name else "?"
        pos = 0
        for row in _read_gold(gold_path):
            match = row["match"]
            start = text.find(match, pos)
            if start < 0:
                start = text.find(match)
            if start < 0:
                unmatched.append({"file": name, "match": match})
                continue
            end = start + len(match)
            pos = end
            gold, got = row["role"], _predicted(by_article[name], start, end)
            right = gold == got
            per_role[gold].update(n=1, right=int(right))
            per_lang[lang].update(n=1, right=int(right))
            confusion[gold][got] += 1
            item = {"file": name, "gold": gold, "predicted": got, "line": match[:120]}
            if gold not in KEPT and got in KEPT:
                leaks.append(item)
            elif gold == "body" and got not in KEPT:
                losses.append(item)
            elif not right:
                misses.append(item)
    n = sum(c["n"] for c in per_role.values())
    right = sum(c["right"] for c in per_role.values())
    body = per_role["body"]["n"]
    return {
        "gold_dir": str(gold_dir),
        "articles": len(pairs),
        "lines": n,
        "accuracy": _ratio(right, n),
        "per_role": {r: {"lines": c["n"], "right": c["right"], "accuracy": _ratio(c["right"], c["n"])}
                     for r, c in sorted(per_role.items())},
        "per_language": {lang: {"lines": c["n"], "right": c["right"], "accuracy": _ratio(c["right"], c["n"])}
                         for lang, c in sorted(per_lang.items())},
        "confusion": {g: dict(sorted(c.items())) for g, c in sorted(confusion.items())},
        "leaks": len(leaks),
        "leaks_by_role": dict(Counter(x["gold"] for x in leaks)),
        "losses": len(losses),
        "body_lines": body,
        "body_lost_share": _ratio(len(losses), body),
        "leaked": leaks,
        "lost": losses,
        "other_misses": misses,
        "unmatched": unmatched,
    }
