"""Small, realistic build directories for the release tests (builders; fixtures in conftest.py).

``make_sentences`` / ``make_annotations`` fill every documented column (docs/ARCHITECTURE.md)
with its contract dtype, so the frames look like what ``conflictset build`` and
``conflictset pull`` write. The ``scenario`` covers every adjudication path once.
``write_build_dir`` also puts a valid ``dataset.toml`` (:data:`METADATA`) inside the build
directory, where ``conflictset release`` looks when there is none beside it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from conflictset.dataset.io import write_parquet
from conflictset.schemas import taxonomy as tx
from conflictset.schemas.prelabel import PRELABEL_COLUMNS
from conflictset.schemas.spans import SPAN_DTYPE

VERSION = "rules-1.0.0"

ANNOTATION_SCHEMA = {
    "sentence_id": pl.String, "task_id": pl.Int64, "annotation_id": pl.Int64, "annotator": pl.String,
    "event_type": pl.String, "sub_event_type": pl.String, "spans": SPAN_DTYPE, "lead_time": pl.Float64,
    "was_cancelled": pl.Boolean, "ground_truth": pl.Boolean, "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"), "prediction_accepted": pl.Boolean, "prelabel_version": pl.String,
}

#: dataset metadata for the fixture releases; a fixed date keeps releases byte-identical across days
METADATA = """\
name = "syria-2016-fixture"
title = "Syria 2016 fixture events"
description = "Eight sentences from two articles, for the release tests."
license = "CC-BY-4.0"
homepage = "https://example.org/syria-2016-fixture"
keywords = ["conflict events", "test fixture"]
date_released = 2026-01-15

[[authors]]
given_names = "Josiah"
family_names = "Carberry"
orcid = "0000-0002-1825-0097"
affiliation = "Example University"

[[authors]]
name = "Fixture Research Group"

[[funding]]
funder = "Example Foundation"
award = "EF-42"
"""


def write_metadata(directory: Path, text: str = METADATA) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dataset.toml").write_text(text, encoding="utf-8")
    return directory / "dataset.toml"


def span(label: str, start: int, text: str) -> dict:
    return {"label": label, "start": start, "end": start + len(text), "text": text}


# article → [(text, pre-label sub-event type or None, extra pre-label fields)]
ARTICLES = {
    "a1": ("Coalition strikes on Raqqa", "https://news.example/raqqa", "Example News", dt.date(2016, 6, 2), [
        ("Air strikes killed 12 civilians in Raqqa on Wednesday.", "Air/drone strike",
         dict(actor1="Coalition aircraft", inter1="External/Other forces", actor2="Civilians",
              inter2="Civilians", fatalities=12, location="Raqqa", country="Syria",
              event_date=dt.date(2016, 6, 1), time_precision=1)),
        ("Islamic State fighters clashed with Kurdish forces north of the city.", "Armed clash",
         dict(actor1="Islamic State", inter1="Rebel group", actor2="Kurdish forces",
              inter2="Identity militia", fatalities=0, location="Raqqa", country="Syria",
              spans=[span("ACTOR", 0, "Islamic State"), span("ACTOR", 36, "Kurdish forces")])),
        ("The city council met to discuss the water supply.", None, {}),
        ("Hundreds protested outside the governor's office.", "Peaceful protest",
         dict(actor1="Protesters", inter1="Protesters", location="Raqqa", country="Syria")),
    ]),
    "a2": ("Arrests in Aleppo", "https://news.example/aleppo", "Example Wire", dt.date(2016, 7, 4), [
        ("Police arrested five activists in Aleppo.", "Arrests",
         dict(actor1="Police", inter1="State forces", actor2="Activists", inter2="Civilians",
              location="Aleppo", country="Syria")),
        ("A roadside bomb killed two soldiers near Deir ez-Zor.", "Remote explosive/landmine/IED",
         dict(actor2="Soldiers", inter2="State forces", fatalities=2, location="Deir ez-Zor", country="Syria")),
        ("Residents said the market reopened.", None, {}),
        ("Gunmen abducted a local journalist.", "Abduction/forced disappearance",
         dict(actor1="Gunmen", inter1="Political militia", actor2="Journalist", inter2="Civilians")),
    ]),
}


def make_sentences(articles: dict = ARTICLES, version: str = VERSION) -> pl.DataFrame:
    rows = []
    for article_id, (title, url, source, published, sentences) in articles.items():
        start = 0
        for i, (text, sub, extra) in enumerate(sentences):
            row = {c: None for c in PRELABEL_COLUMNS}
            row.update(
                article_id=article_id, sentence_id=f"{article_id}-{i:05d}", sentence_index=i, text=text,
                char_start=start, char_end=start + len(text), language="en", role="body" if i else "headline",
                title=title, source=source, url=url, published_at=published,
                prev_text=sentences[i - 1][0] if i else None,
                next_text=sentences[i + 1][0] if i + 1 < len(sentences) else None,
                event_type=tx.parent_of(sub) if sub else None, sub_event_type=sub,
                disorder_type=tx.disorder_type_of(sub) if sub else None,
                score=0.9 if sub else 0.1, evidence=[], spans=[], prelabel_version=version,
            )
            row.update(extra)
            rows.append(row)
            start += len(text) + 1
    schema = {
        "article_id": pl.String, "sentence_id": pl.String, "sentence_index": pl.Int64, "text": pl.String,
        "char_start": pl.Int64, "char_end": pl.Int64, "language": pl.String, "role": pl.String,
        "title": pl.String, "source": pl.String, "url": pl.String, "published_at": pl.Date,
        "prev_text": pl.String, "next_text": pl.String, **PRELABEL_COLUMNS,
    }
    return pl.DataFrame(rows, schema=schema)


def make_articles(sentences: pl.DataFrame) -> pl.DataFrame:
    return (
        sentences.group_by("article_id", maintain_order=True)
        .agg(pl.col("title", "url", "source", "published_at", "language").first(),
             pl.col("text").str.join(" ").alias("clean_text"), pl.len().cast(pl.Int64).alias("n_sentences"))
        .with_columns(pl.lit("fixture.jsonl").alias("source_file"),
                      pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("source_row"),
                      pl.col("n_sentences").alias("n_segments"),
                      pl.col("published_at").cast(pl.String).alias("published_at_raw"),
                      pl.lit(None, pl.String).alias("dateline_place"))
    )


def ann(sentence_id: str, annotator: str, sub: str | None, *, annotation_id: int, lead_time: float = 20.0,
        cancelled: bool = False, ground_truth: bool = False, spans: list | None = None) -> dict:
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=annotation_id)
    return dict(sentence_id=sentence_id, task_id=int(sentence_id[1]) * 100 + int(sentence_id[-1]),
                annotation_id=annotation_id, annotator=annotator,
                event_type=tx.parent_of(sub) if sub else None,  # null = "No event" (pull contract)
                sub_event_type=sub, spans=spans or [], lead_time=lead_time, was_cancelled=cancelled,
                ground_truth=ground_truth, created_at=t, updated_at=t, prediction_accepted=None,
                prelabel_version=VERSION)


def make_annotations(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ANNOTATION_SCHEMA)


def scenario_annotations() -> pl.DataFrame:
    """Every adjudication path once (see test_adjudicate.py for the expected outcome)."""
    return make_annotations([
        # a1-00000: two annotators keep the pre-label → consensus, agreement
        ann("a1-00000", "ann-aaaaaaaaaa", "Air/drone strike", annotation_id=1, lead_time=8.0),
        ann("a1-00000", "ann-bbbbbbbbbb", "Air/drone strike", annotation_id=2, lead_time=12.0),
        # a1-00001: one annotator changes the sub-type → annotator
        ann("a1-00001", "ann-aaaaaaaaaa", "Non-state actor overtakes territory", annotation_id=3, lead_time=40.0,
            spans=[span("ACTOR", 0, "Islamic State fighters"), span("ACTOR", 36, "Kurdish forces")]),
        # a1-00002: one annotator agrees there is no event → annotator
        ann("a1-00002", "ann-bbbbbbbbbb", None, annotation_id=4, lead_time=5.0),
        # a1-00003: 2 of 3 keep Peaceful protest → consensus without agreement
        ann("a1-00003", "ann-aaaaaaaaaa", "Peaceful protest", annotation_id=5, lead_time=10.0),
        ann("a1-00003", "ann-bbbbbbbbbb", "Peaceful protest", annotation_id=6, lead_time=14.0),
        ann("a1-00003", "ann-cccccccccc", "Protest with intervention", annotation_id=7, lead_time=30.0),
        # a2-00000: disagreement decided by a ground-truth annotation → adjudicated
        ann("a2-00000", "ann-aaaaaaaaaa", "Arrests", annotation_id=8, lead_time=9.0),
        ann("a2-00000", "ann-bbbbbbbbbb", "Change to group/activity", annotation_id=9, lead_time=50.0),
        ann("a2-00000", "ann-cccccccccc", "Arrests", annotation_id=10, lead_time=11.0, ground_truth=True),
        # a2-00001: one against one, no ground truth → unresolved tie
        ann("a2-00001", "ann-aaaaaaaaaa", "Remote explosive/landmine/IED", annotation_id=11, lead_time=7.0),
        ann("a2-00001", "alice@example.org", "Shelling/artillery/missile attack", annotation_id=12,
            lead_time=60.0),
        # a2-00002: nobody reviewed → prelabel
        # a2-00003: the only annotation was skipped → prelabel
        ann("a2-00003", "ann-bbbbbbbbbb", None, annotation_id=13, cancelled=True),
    ])


def write_build_dir(path: Path, sentences: pl.DataFrame, annotations: pl.DataFrame | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    write_metadata(path)
    write_parquet(sentences, path / "sentences.parquet")
    write_parquet(make_articles(sentences), path / "articles.parquet")
    if annotations is not None:
        write_parquet(annotations, path / "annotations.parquet")
        per_task = annotations.group_by("sentence_id").agg(
            pl.col("task_id").first(), pl.len().cast(pl.Int64).alias("n_annotations"),
            pl.col("was_cancelled").sum().cast(pl.Int64).alias("n_cancelled"))
        tasks = (
            sentences.select("sentence_id", "prelabel_version", pl.col("sentence_index"))
            .join(per_task, on="sentence_id", how="left")
            .with_columns(pl.col("task_id").fill_null(pl.int_range(1000, 1000 + pl.len())),
                          pl.col("n_annotations", "n_cancelled").fill_null(0),
                          pl.lit(1, dtype=pl.Int64).alias("project_id"))
            .with_columns(pl.when(pl.col("n_annotations") == 0).then(pl.lit("unannotated"))
                          .when(pl.col("n_annotations") == pl.col("n_cancelled")).then(pl.lit("skipped"))
                          .otherwise(pl.lit("annotated")).alias("status"))
            .select("task_id", "sentence_id", "project_id", "status", "n_annotations", "n_cancelled",
                    "prelabel_version")
        )
        write_parquet(tasks, path / "tasks.parquet")
    return path
