"""Benchmark ``conflictset push`` against the raw Label Studio SDK import, in one run.

    python bench/studio.py [--tasks N] [--batch-size B] [--rounds R]

Starts a private Label Studio (a copy of the pre-built ``.studio/template`` data dir, or the
server named by LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY), synthesises N sentences with pre-labels
and times, alternating the order each round so neither side profits from a warmer server:

- raw: ``LabelStudio(...).projects.create`` + ``projects.import_tasks`` of the very same tasks
  (as Python dicts, batches of B) — what a hand-written script would do;
- ours: ``export.label_studio.push.push`` (read Parquet, check every pre-label, build the tasks,
  create the project, query existing sentence ids, import batches of B).

Prints ``ratio=<our throughput / raw throughput>`` (target ≥ 0.9) and tasks/s for both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import polars as pl  # noqa: E402

from conflictset.dataset.io import write_parquet  # noqa: E402
from conflictset.schemas.prelabel import PRELABEL_COLUMNS  # noqa: E402
from conflictset.export.label_studio import server  # noqa: E402
from conflictset.export.label_studio.client import StudioClient  # noqa: E402
from conflictset.export.label_studio.config import label_config  # noqa: E402
from conflictset.export.label_studio.push import push, to_label_studio  # noqa: E402

TEMPLATES = [  # (text, event_type, sub_event_type, score, spans as (label, surface))
    ("Rebels clashed with the army near Idlib on Monday, killing 4.", "Battles", "Armed clash", 0.9,
     [("ACTOR", "Rebels"), ("ACTOR", "army"), ("LOCATION", "Idlib"), ("DATE", "Monday"), ("FATALITIES", "4")]),
    ("Een drone trof een konvooi bij Raqqa 😢.", "Explosions/Remote violence", "Air/drone strike", 0.7,
     [("LOCATION", "Raqqa")]),
    ("Des milliers de personnes ont manifesté à Bamako.", "Protests", "Peaceful protest", 0.6,
     [("LOCATION", "Bamako")]),
    ("The council discussed the budget.", None, None, 0.05, []),
]


def sentences(n: int) -> pl.DataFrame:
    rows = []
    for i in range(n):
        text, et, sub, score, spans = TEMPLATES[i % len(TEMPLATES)]
        text = f"{text} [{i}]"
        found = [{"label": lab, "start": text.index(s), "end": text.index(s) + len(s), "text": s}
                 for lab, s in spans]
        article = f"bench-{i // 20:06d}"
        rows.append({"article_id": article, "sentence_id": f"{article}-{i % 20:05d}",
                     "sentence_index": i % 20, "text": text, "char_start": 0, "char_end": len(text),
                     "language": "en", "role": "body", "title": f"Article {i // 20}", "source": "bench",
                     "url": None, "published_at": dt.date(2020, 1, 1), "prev_text": None,
                     "next_text": None, "event_type": et, "sub_event_type": sub, "score": score,
                     "spans": found, "prelabel_version": "bench-1"})
    schema = {"article_id": pl.String, "sentence_id": pl.String, "sentence_index": pl.Int64,
              "text": pl.String, "char_start": pl.Int64, "char_end": pl.Int64, "language": pl.String,
              "role": pl.String, "title": pl.String, "source": pl.String, "url": pl.String,
              "published_at": pl.Date, "prev_text": pl.String, "next_text": pl.String,
              **{k: PRELABEL_COLUMNS[k] for k in ("event_type", "sub_event_type", "score", "spans",
                                                 "prelabel_version")}}
    return pl.DataFrame(rows, schema=schema)


def raw_sdk(url: str, token: str, title: str, tasks: list[dict], batch: int) -> float:
    from label_studio_sdk import LabelStudio

    started = time.perf_counter()
    ls = LabelStudio(base_url=url, api_key=token, timeout=600)
    project = ls.projects.create(title=title, label_config=label_config())
    for i in range(0, len(tasks), batch):
        ls.projects.import_tasks(id=project.id, request=tasks[i:i + batch])
    return time.perf_counter() - started


def ours(url: str, token: str, title: str, build: Path, batch: int) -> float:
    started = time.perf_counter()
    with StudioClient(url, token) as client:
        result = push(build, title, client=client, batch_size=batch)
    assert result.pushed == result.selected, result
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-studio-"))
    frame = sentences(args.tasks)
    build = tmp / "build"
    build.mkdir()
    write_parquet(frame, build / "sentences.parquet")
    tasks = [json.loads(t) for t in to_label_studio(frame)["task"]]

    url, token = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    own_server = not (url and token)
    if own_server:
        install_root = REPO / ".studio"
        server.install(install_root)
        template, creds = server.build_template(install_root)
        server.link_venv(install_root, tmp)
        info = server.start(tmp, port=server.free_port(18900), data_dir=tmp / "data",
                            credentials=creds, template=template)
        url, token = info.url, creds.token
    try:
        times = {"raw": 0.0, "ours": 0.0}
        stamp = int(time.time())
        for r in range(args.rounds):
            order = ("raw", "ours") if r % 2 == 0 else ("ours", "raw")
            for side in order:
                title = f"bench-{side}-{stamp}-{r}"
                t = (raw_sdk(url, token, title, tasks, args.batch_size) if side == "raw"
                     else ours(url, token, title, build, args.batch_size))
                times[side] += t
                print(f"round {r + 1} {side}: {args.tasks} tasks in {t:.1f} s "
                      f"({args.tasks / t:.0f} tasks/s)", flush=True)
    finally:
        if own_server:
            server.stop(tmp)
    n = args.tasks * args.rounds
    print(f"raw_tasks_per_s={n / times['raw']:.0f} ours_tasks_per_s={n / times['ours']:.0f}")
    print(f"ratio={times['raw'] / times['ours']:.2f}")


if __name__ == "__main__":
    main()
