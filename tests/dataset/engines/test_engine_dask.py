"""``build(..., engine=DaskEngine(...))`` gives what the local engine gives: the same rows, ids,
labels and quarantine in the same order, on the sample corpus and on a generated corpus whose
files are cut into several shards (with ids repeated across them)."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest
from dask_corpus import write_corpus

from conflictset.dataset.batch import TABLES
from conflictset.dataset.build import build
from conflictset.dataset.engines import shards
from conflictset.dataset.engines.dask_engine import DaskEngine
from conflictset.dataset.ingest import discover
from conflictset.schemas.parts import MANIFEST
from conflictset.schemas.reasons import Reason
from conflictset.schemas.tables import scan_table


def tables(out) -> dict[str, pl.DataFrame]:
    return {name: scan_table(out / f"{name}.parquet").collect() for name in TABLES}


def assert_same(local, dask) -> None:
    for name in TABLES:
        assert local[name].columns == dask[name].columns, name
        assert local[name].equals(dask[name]), name


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    inputs = write_corpus(root / "in")
    local = build(inputs, root / "local")
    return root, inputs, local


def test_sample_corpus_gives_the_same_tables_as_the_local_engine(dask_scheduler, repo_root, tmp_path):
    corpus = repo_root / "dataset" / "sample_corpus"
    build([corpus], tmp_path / "local")
    summary = build([corpus], tmp_path / "dask", engine=DaskEngine(scheduler=dask_scheduler, shard_bytes=8_000))
    assert summary.shards > 2 and summary.reconciled
    assert_same(tables(tmp_path / "local"), tables(tmp_path / "dask"))
    assert not (tmp_path / "dask" / "sentences.parquet").exists()
    assert json.loads((tmp_path / "dask" / "sentences" / MANIFEST).read_text())["rows"] == summary.sentences


def test_generated_corpus_cut_into_ranges_gives_the_same_tables(dask_scheduler, generated):
    root, inputs, local = generated
    sources, _ = discover(inputs)
    plan = shards.plan(sources, 30_000)
    units = [s.unit for s in plan]
    assert units.count("bytes") >= 3 and units.count("row_groups") >= 2 and "files" in units
    summary = build(inputs, root / "dask", engine=DaskEngine(scheduler=dask_scheduler, shard_bytes=30_000))
    assert summary.shards == len(plan) and summary.rerun_for_duplicates >= 1
    assert (summary.input_records, summary.articles, summary.quarantined, summary.sentences) == (
        local.input_records, local.articles, local.quarantined, local.sentences)
    assert summary.quarantined_by_reason == local.quarantined_by_reason
    ours, theirs = tables(root / "local"), tables(root / "dask")
    assert_same(ours, theirs)
    reasons = set(theirs["quarantine"]["reason"])
    assert {Reason.DUPLICATE_ID.value, Reason.BROKEN_JSON.value, Reason.NO_CONTENT_AFTER_CLEANING.value,
            Reason.EMPTY_ARTICLE.value, Reason.EMPTY_FILE.value} <= reasons
    assert theirs["sentences"]["sentence_id"].is_unique().all()


def test_parts_read_back_with_duckdb_in_manifest_order(generated, dask_scheduler):
    root, _, _ = generated
    out = root / "dask"
    if not (out / "sentences" / MANIFEST).exists():
        build(generated[1], out, engine=DaskEngine(scheduler=dask_scheduler, shard_bytes=30_000))
    manifest = json.loads((out / "sentences" / MANIFEST).read_text())
    files = [str(out / "sentences" / p["path"]) for p in manifest["parts"]]
    assert duckdb.sql(f"select count(*) from read_parquet({files})").fetchall()[0][0] == manifest["rows"]
    assert sum(p["rows"] for p in manifest["parts"]) == manifest["rows"]


def test_small_local_batches_give_the_same_quarantine_order(generated, tmp_path):
    root, inputs, _ = generated
    build(inputs, tmp_path / "small", batch_size=60)
    assert_same(tables(root / "local"), tables(tmp_path / "small"))
