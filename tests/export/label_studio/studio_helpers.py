"""Small builds to push, and a handle on a running test server (imported by the studio tests)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from conflictset.dataset.io import write_parquet
from conflictset.export.label_studio.client import StudioClient
from conflictset.export.label_studio.push import to_label_studio
from conflictset.schemas.prelabel import PRELABEL_COLUMNS

VERSION = "rules-test-1"

# (text, event_type, sub_event_type, score, spans as (label, surface))
SENTENCES = [
    ("Koerdische strijders van de SDF vochten dinsdag tegen IS bij Raqqa.", "Battles", "Armed clash", 0.9,
     [("ACTOR", "SDF"), ("ACTOR", "IS"), ("LOCATION", "Raqqa"), ("DATE", "dinsdag")]),
    ("Bij een luchtaanval op Tabqa kwamen twaalf burgers om 😢.", "Explosions/Remote violence",
     "Air/drone strike", 0.8, [("LOCATION", "Tabqa"), ("FATALITIES", "twaalf")]),
    ("De gemeenteraad vergaderde over de watervoorziening.", None, None, 0.05, []),
    ("Honderden mensen demonstreerden vreedzaam in Kobani.", "Protests", "Peaceful protest", 0.7,
     [("LOCATION", "Kobani")]),
    ("De politie arresteerde vijf activisten in Aleppo.", "Strategic developments", "Arrests", 0.6,
     [("ACTOR", "politie"), ("LOCATION", "Aleppo")]),
    ("Een bermbom doodde twee soldaten bij Deir ez-Zor.", "Explosions/Remote violence",
     "Remote explosive/landmine/IED", 0.55, [("FATALITIES", "twee"), ("LOCATION", "Deir ez-Zor")]),
    ("Inwoners zeiden dat de markt weer open is.", None, None, 0.1, []),
    ("Gewapende mannen ontvoerden een lokale journalist in Manbij.", "Violence against civilians",
     "Abduction/forced disappearance", 0.65, [("LOCATION", "Manbij")]),
]


def sentence_frame(rows=SENTENCES, article_id: str = "nl-raqqa", version: str | None = VERSION) -> pl.DataFrame:
    """A sentences.parquet frame with every documented column and hand-set pre-labels."""
    records = []
    for i, (text, et, sub, score, spans) in enumerate(rows):
        found = []
        for label, surface in spans:
            start = text.index(surface)
            found.append({"label": label, "start": start, "end": start + len(surface), "text": surface})
        records.append({
            "article_id": article_id, "sentence_id": f"{article_id}-{i:05d}", "sentence_index": i,
            "text": text, "char_start": 0, "char_end": len(text), "language": "nl", "role": "body",
            "title": "Wordt Raqqa binnenkort bevrijd?", "source": "test-krant", "url": None,
            "published_at": dt.date(2016, 5, 24),
            "prev_text": rows[i - 1][0] if i else None,
            "next_text": rows[i + 1][0] if i + 1 < len(rows) else None,
            "event_type": et, "sub_event_type": sub, "score": score, "spans": found,
            "prelabel_version": version,
        })
    schema = {"article_id": pl.String, "sentence_id": pl.String, "sentence_index": pl.Int64,
              "text": pl.String, "char_start": pl.Int64, "char_end": pl.Int64, "language": pl.String,
              "role": pl.String, "title": pl.String, "source": pl.String, "url": pl.String,
              "published_at": pl.Date, "prev_text": pl.String, "next_text": pl.String}
    frame = pl.DataFrame(records, schema={**schema, **{k: PRELABEL_COLUMNS[k] for k in
                                                       ("event_type", "sub_event_type", "score",
                                                        "spans", "prelabel_version")}})
    missing = {k: v for k, v in PRELABEL_COLUMNS.items() if k not in frame.columns}
    return frame.with_columns([pl.lit(None, dtype=v).alias(k) for k, v in missing.items()])


def write_build(directory: Path, frame: pl.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_parquet(frame, directory / "sentences.parquet")
    return directory


def many_sentences(n: int, article_id: str = "bulk") -> pl.DataFrame:
    rows = [SENTENCES[i % len(SENTENCES)] for i in range(n)]
    rows = [(f"{text} ({i})", et, sub, score, spans) for i, (text, et, sub, score, spans) in enumerate(rows)]
    return sentence_frame(rows, article_id=article_id)


@dataclass(frozen=True)
class Studio:
    url: str
    token: str
    root: Path

    def client(self) -> StudioClient:
        return StudioClient(self.url, self.token)

    def env(self, **extra) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
        env.update(LABEL_STUDIO_URL=self.url, LABEL_STUDIO_API_KEY=self.token,
                   CONFLICTSET_STUDIO_DIR=str(self.root))
        env.update(extra)
        return env


#: the project id snapshot tasks are given (offline parse tests)
SNAPSHOT_PROJECT = 7


def snapshot_tasks(frame: pl.DataFrame | None = None, extra_data: tuple[str, ...] = ()) -> list[dict]:
    """Tasks as a snapshot export lists them: our pushed JSON plus ids and project."""
    tasks = []
    for i, raw in enumerate(to_label_studio(frame if frame is not None else sentence_frame(), extra_data)["task"]):
        task = json.loads(raw)
        task.update(id=100 + i, project=SNAPSHOT_PROJECT, annotations=[])
        for pred in task["predictions"]:
            pred.update(id=500 + i, task=task["id"], project=SNAPSHOT_PROJECT)
        tasks.append(task)
    return tasks
