"""A generated corpus that exercises what can differ between engines: ids repeated across shards
(exact repeats and different texts, given and hash ids), bad lines beside articles that clean to
nothing (quarantine order), long articles, a JSONL file and a Parquet file large enough to be
cut into ranges, and whole files of the other formats."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

PARAGRAPHS = [
    "Fighting broke out on Monday between the army and rebels near the border, officials said.",
    "At least {n} fighters were killed and {m} civilians wounded in the clashes, a hospital source said.",
    "Thousands of people marched through the capital on Saturday to protest against rising prices.",
    "Police arrested {n} demonstrators after protesters threw stones at security forces.",
    "An airstrike hit a market in the north of the province, killing {n} people, residents said.",
    "De politie hield {n} mensen aan na een betoging in de hoofdstad.",
]
DEBRIS = "Accept all cookies\n\nWe use cookies to improve your experience. Manage your cookie settings."


def article(i: int, long: bool = False) -> str:
    body = [PARAGRAPHS[(i + k) % len(PARAGRAPHS)].format(n=i % 17 + k, m=i % 5) for k in range(60 if long else 4)]
    return f"Report number {i}\n\n" + "\n\n".join(body)


def jsonl_lines(count: int) -> list[str]:
    lines = []
    for i in range(count):
        record = {"id": f"j{i}", "title": f"Headline {i}", "text": article(i, long=i % 40 == 7), "language": "en"}
        if i % 23 == 5:
            lines.append("{broken json")
            continue
        if i % 29 == 3:
            record = {"id": f"d{i}", "text": DEBRIS, "language": "en"}  # cleans to nothing
        if i % 31 == 11:
            record["text"] = "   "  # empty article
        if i % 37 == 20:
            record["id"] = f"j{i - 15}"  # repeated id, different text, an earlier shard
        if i % 41 == 30:
            record = {"text": article(i - 25), "language": "en"}  # hash id, exact repeat of a given-id text?
        if i % 43 == 33:
            record = {"text": article(3)}  # the same text without id: hash-id repeats
        lines.append(json.dumps(record, ensure_ascii=False))
        if i % 50 == 49:
            lines.append("")  # blank lines are skipped but counted
    return lines


def write_corpus(root: Path) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    big = root / "a_big.jsonl"
    big.write_text("\n".join(jsonl_lines(400)) + "\n", encoding="utf-8")
    rows = [{"id": f"p{i}" if i % 19 != 4 else f"j{i}", "text": article(1000 + i), "language": "en"}
            for i in range(200)]
    rows[50]["text"] = "  "
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, root / "b_rows.parquet", row_group_size=25, compression="none")
    pl.DataFrame({"id": ["c1", "j2", "c3"], "text": [article(7), article(8), DEBRIS]}).write_csv(root / "c_small.csv")
    (root / "d_one.txt").write_text(article(9, long=True), encoding="utf-8")
    (root / "e_empty.txt").write_bytes(b"")
    (root / "f_repeat.jsonl").write_text(json.dumps({"id": "j10", "text": article(10)}) + "\n"
                                         + json.dumps({"text": article(3)}) + "\n", encoding="utf-8")
    return [root]
