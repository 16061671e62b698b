"""Reading a build directory: what ``conflictset build`` and ``conflictset pull`` left in it.

Release, push (``--adjudicate``) and the reports read the same tables through here: the
pre-labelled sentences, the pulled annotations, the ties nobody decided yet, the quarantine counts
and the fingerprints of every input file.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from conflictset.dataset.io import sha256_file
from conflictset.dataset.stages import run_stage
from conflictset.export.adjudicate import adjudicate, ties
from conflictset.schemas.annotations import Annotation, Task
from conflictset.schemas.errors import InputError
from conflictset.schemas.parts import MANIFEST, parts_dir
from conflictset.schemas.prelabel import PrelabelledSentence
from conflictset.schemas.tables import read_table, scan_table, table_exists

INPUT_FILES = ("sentences.parquet", "articles.parquet", "segments.parquet", "quarantine.parquet",
               "annotations.parquet", "tasks.parquet", "annotation_quarantine.parquet",
               "adjudications.parquet", "adjudication_tasks.parquet", "adjudication_quarantine.parquet")
#: annotation columns a release needs (created_at/updated_at and prediction_accepted are optional)
ANNOTATION_COLUMNS = ("sentence_id", "task_id", "annotation_id", "annotator", "event_type", "sub_event_type",
                      "spans", "lead_time", "was_cancelled", "ground_truth", "prelabel_version")
_FIX = "it must be written by a current `conflictset build` or `pull`"


def read_build(build_dir: str | os.PathLike) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """(sentences, annotations or None before the first pull) of a build directory."""
    build = Path(build_dir)
    sentences_path = build / "sentences.parquet"
    sentences = read_table(sentences_path, PrelabelledSentence,
                           fix="pass the --out directory of `conflictset build` (with pre-labels)")
    duplicated = sentences.filter(pl.col("sentence_id").is_duplicated())["sentence_id"].unique().sort()
    if duplicated.len():
        raise InputError(f"{duplicated.len()} sentence_id value(s) occur more than once, e.g. "
                         f"{duplicated.head(3).to_list()}", file=str(sentences_path), field="sentence_id",
                         fix="rebuild it with one `conflictset build` run (ids are unique per build)")
    ann_path = build / "annotations.parquet"
    annotations = read_table(ann_path, Annotation, need=ANNOTATION_COLUMNS, fix=_FIX) if ann_path.is_file() else None
    return sentences, annotations


def quarantined(build_dir: str | os.PathLike) -> dict[str, int]:
    """Rows the build and the pull set aside (reported in the card, never silently dropped)."""
    build = Path(build_dir)
    return {f"{name.removesuffix('.parquet')}_rows": scan_table(build / name).select(pl.len()).collect().item()
            for name in ("quarantine.parquet", "annotation_quarantine.parquet", "adjudication_quarantine.parquet")
            if table_exists(build / name)}


def reviewer_votes(annotations: pl.DataFrame | None, build_dir: str | os.PathLike) -> pl.DataFrame | None:
    """Annotations without the adjudicators' decisions: adjudicators see the reviewers' candidate
    labels, so counting them would inflate agreement."""
    adjudication_tasks = Path(build_dir) / "adjudication_tasks.parquet"
    if not adjudication_tasks.is_file() or annotations is None:
        return annotations
    decided = read_table(adjudication_tasks, Task, need=("task_id",), fix=_FIX).select("task_id")
    return annotations.join(decided, on="task_id", how="anti")


def load_ties(build_dir: str | os.PathLike) -> pl.DataFrame:
    """The unresolved sentences of a build (``sentence_id, n_annotators, candidate_labels``).

    For ``conflictset push --adjudicate``: these go back to Label Studio, where a ground-truth
    annotation decides them at the next pull.
    """
    sentences, annotations = read_build(build_dir)
    return ties(run_stage("adjudicate", adjudicate, sentences, annotations))


def fingerprints(build_dir: str | os.PathLike) -> dict[str, dict]:
    """sha256 and size of every input file; a partitioned table is fingerprinted by its parts
    manifest, which lists every part's sha256 (the same figure without re-reading the parts)."""
    build = Path(build_dir)
    found = {}
    for name in INPUT_FILES:
        path = build / name if (build / name).is_file() else parts_dir(build / name) / MANIFEST
        if path.is_file():
            found[name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return found
