"""Benchmark ``conflictset push`` on the SDK-based client against today's httpx importer, in one run.

    python bench/studio.py [--tasks N] [--batch-size B] [--rounds R]

Starts a private Label Studio (a copy of the pre-built ``.studio/template`` data dir, or the
server named by LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY), synthesises N sentences with pre-labels
and, after one untimed warm-up push, pushes them once per side and round, to a new project each
time, reversing the order every other round so no side profits from a warmer server:

- httpx: ``push`` with :class:`HttpxImporter`, the pre-SDK client reduced to what a push calls
  (plain httpx, batches POSTed as pre-serialised JSON);
- ours: ``push`` with ``export.label_studio.client.StudioClient`` (``label_studio_sdk.LabelStudio``);
- sdk_typed: ours, but importing through the SDK's typed ``projects.import_tasks`` (the tasks as
  dicts, re-encoded by the SDK) — why ours sends the pre-serialised JSON through the SDK's HTTP
  layer instead (see the client CPU it prints).

Each reads Parquet, checks every pre-label, builds the tasks, creates the project, queries existing
sentence ids and imports batches of B. Prints tasks/s and client CPU (this process; the server
runs in its own) of each, ``ratio=<ours / httpx throughput>`` (target ≥ 0.9) and
``ratio_sdk_typed=<sdk_typed / httpx>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import polars as pl  # noqa: E402

from conflictset.dataset.io import write_parquet  # noqa: E402
from conflictset.export.label_studio import server  # noqa: E402
from conflictset.export.label_studio.client import StudioClient  # noqa: E402
from conflictset.export.label_studio.push import push  # noqa: E402
from conflictset.schemas.prelabel import PRELABEL_COLUMNS  # noqa: E402

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


class HttpxImporter:
    """The pre-SDK ``StudioClient`` (httpx, pre-serialised import) cut down to what ``push`` calls."""

    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=600)
        if token.count(".") == 2 and token.startswith("ey"):  # personal access token
            token = f"Bearer {self._json('POST', '/api/token/refresh/', json={'refresh': token})['access']}"
        else:
            token = f"Token {token}"
        self._http.headers["Authorization"] = token

    def _json(self, method: str, path: str, **kwargs):
        resp = self._http.request(method, path, **kwargs)
        resp.raise_for_status()
        return resp.json()

    def find_project(self, title: str) -> dict | None:
        found = self._json("GET", "/api/projects/", params={"title": title, "page_size": 100,
                                                             "include": "id,title"})["results"]
        ids = [p["id"] for p in found if p["title"] == title]
        return self._json("GET", f"/api/projects/{ids[0]}/") if ids else None

    def create_project(self, title: str, label_config: str, description: str) -> dict:
        return self._json("POST", "/api/projects/", json={
            "title": title, "label_config": label_config, "description": description})

    def task_sentence_ids(self, project_id: int, page_size: int = 5000) -> dict[str, int]:
        found, page = {}, 1
        while True:
            body = self._json("GET", "/api/tasks/", params={
                "project": project_id, "fields": "task_only", "include": "id,data",
                "page": page, "page_size": page_size})
            for task in body.get("tasks", []):
                found[str(task["data"]["sentence_id"])] = task["id"]
            if not body.get("tasks") or page * page_size >= body.get("total", 0):
                return found
            page += 1

    def import_tasks(self, project_id: int, body: bytes) -> dict:
        return self._json("POST", f"/api/projects/{project_id}/import", content=body,
                          params={"return_task_ids": "true"},
                          headers={"Content-Type": "application/json"})

    def project_url(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}/data"

    def close(self) -> None:
        self._http.close()


class SdkTypedImport(StudioClient):
    def import_tasks(self, project_id: int, body: bytes) -> dict:
        return self.call(self.sdk.projects.import_tasks, project_id, request=json.loads(body),
                         return_task_ids=True).dict()


def timed_push(client_class, url: str, token: str, title: str, build: Path,
               batch: int) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of this (client) process: the server runs in its own."""
    started, cpu = time.perf_counter(), time.process_time()
    client = client_class(url, token)
    try:
        result = push(build, title, client=client, batch_size=batch)
    finally:
        client.close()
    assert result.pushed == result.selected, result
    return time.perf_counter() - started, time.process_time() - cpu


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
    warmup = tmp / "warmup"
    warmup.mkdir()
    write_parquet(frame.head(args.batch_size), warmup / "sentences.parquet")

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
        sides = {"httpx": HttpxImporter, "ours": StudioClient, "sdk_typed": SdkTypedImport}
        times, cpus = dict.fromkeys(sides, 0.0), dict.fromkeys(sides, 0.0)
        stamp = int(time.time())
        # untimed: the first push meets a cold server (imports, caches) whichever side it is
        timed_push(StudioClient, url, token, f"bench-warmup-{stamp}", warmup, args.batch_size)
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for side in order:
                t, cpu = timed_push(sides[side], url, token, f"bench-{side}-{stamp}-{r}", build,
                                    args.batch_size)
                times[side] += t
                cpus[side] += cpu
                print(f"round {r + 1} {side}: {args.tasks} tasks in {t:.1f} s "
                      f"({args.tasks / t:.0f} tasks/s, client CPU {cpu:.1f} s)", flush=True)
    finally:
        if own_server:
            server.stop(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    n = args.tasks * args.rounds
    print(" ".join(f"{side}_tasks_per_s={n / t:.0f}" for side, t in times.items()))
    print("client_cpu_s_per_10k: " + " ".join(f"{side}={c / n * 1e4:.1f}" for side, c in cpus.items()))
    print(f"ratio={times['httpx'] / times['ours']:.2f}")
    print(f"ratio_sdk_typed={times['httpx'] / times['sdk_typed']:.2f}")


if __name__ == "__main__":
    main()
