"""`conflictset release`: contents, loaders, checksums, Croissant, card, determinism, atomic replace."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from release_fixtures import make_sentences, write_build_dir

from conflictset import __version__
from conflictset.cli import main
from conflictset.export.release import release
from conflictset.schemas.errors import InputError, OutputError

EVENT_COLUMNS = [
    "event_id", "article_id", "sentence_id", "event_date", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "inter1", "actor2", "inter2", "interaction", "location", "country", "fatalities",
    "source", "url", "notes", "language", "label_source", "n_annotators", "agreement", "prelabel_version",
]
RELEASE_FILES = {"data/events.parquet", "data/sentences.parquet", "data/annotations.parquet", "README.md",
                 "croissant.json", "manifest.json", "report.html", "CITATION.cff", "CHANGELOG.md"}


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def released(release_build, tmp_path) -> Path:
    release(release_build, "1.0.0", tmp_path / "release")
    return tmp_path / "release"


def test_release_writes_every_file_and_a_manifest_that_checks_out(released, release_build):
    assert set(files_of(released)) == RELEASE_FILES
    manifest = json.loads((released / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0"
    assert manifest["tool"] == {"name": "conflictset", "version": __version__}
    assert manifest["schema_version"] == "1.0"
    assert set(manifest["files"]) == RELEASE_FILES - {"manifest.json"}
    for name, meta in manifest["files"].items():
        data = (released / name).read_bytes()
        assert meta["sha256"] == hashlib.sha256(data).hexdigest()
        assert meta["bytes"] == len(data)
    assert {k: v["rows"] for k, v in manifest["files"].items() if "rows" in v} == {
        "data/events.parquet": 5, "data/sentences.parquet": 8, "data/annotations.parquet": 13}
    for name in ("sentences.parquet", "articles.parquet", "annotations.parquet", "tasks.parquet", "dataset.toml"):
        assert manifest["inputs"][name]["sha256"] == hashlib.sha256((release_build / name).read_bytes()).hexdigest()
    assert manifest["counts"]["ties"] == 1
    assert manifest["counts"]["label_source_prelabel"] == 2
    assert manifest["figures"]["agreement"]["levels"]["sub_event_type"]["alpha"] == pytest.approx(0.357143, abs=1e-6)


def test_events_follow_the_acled_columns(released):
    events = pl.read_parquet(released / "data" / "events.parquet")
    assert events.columns == EVENT_COLUMNS
    assert events["sentence_id"].to_list() == ["a1-00000", "a1-00001", "a1-00003", "a2-00000", "a2-00003"]
    strike = events.row(0, named=True)
    assert strike == {
        "event_id": "ev-a1-00000", "article_id": "a1", "sentence_id": "a1-00000",
        "event_date": dt.date(2016, 6, 1), "time_precision": 1, "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
        "actor1": "Coalition aircraft", "inter1": "External/Other forces", "actor2": "Civilians",
        "inter2": "Civilians", "interaction": "Civilians-External/Other forces", "location": "Raqqa",
        "country": "Syria", "fatalities": 12, "source": "Example News", "url": "https://news.example/raqqa",
        "notes": "Air strikes killed 12 civilians in Raqqa on Wednesday.", "language": "en",
        "label_source": "consensus", "n_annotators": 2, "agreement": True, "prelabel_version": "rules-1.0.0",
    }
    # no event date in the pre-label: the publication date, week precision; no fatality figure → 0
    clash = events.filter(pl.col("sentence_id") == "a1-00001").row(0, named=True)
    assert (clash["event_date"], clash["time_precision"], clash["fatalities"]) == (dt.date(2016, 6, 2), 2, 0)
    # the reviewer widened the first actor span: its inter code is unknown, the second actor keeps its own
    assert [clash[c] for c in ("actor1", "inter1", "actor2", "inter2", "interaction", "location")] == [
        "Islamic State fighters", None, "Kurdish forces", "Identity militia", None, "Raqqa"]
    assert events.filter(pl.col("sentence_id") == "a1-00003")["interaction"].item() == "Protesters only"


def test_sentences_and_annotations_tables(released):
    sentences = pl.read_parquet(released / "data" / "sentences.parquet")
    assert sentences.height == 8 and sentences["sentence_id"].is_sorted()
    assert dict(sentences.group_by("label_source").len().iter_rows()) == {
        "prelabel": 2, "annotator": 2, "consensus": 2, "adjudicated": 1, "unresolved": 1}
    annotations = pl.read_parquet(released / "data" / "annotations.parquet")
    assert "created_at" not in annotations.columns and "updated_at" not in annotations.columns
    assert not annotations["annotator"].str.contains("@").any()
    assert b"alice" not in (released / "data" / "annotations.parquet").read_bytes()
    for name in ("README.md", "croissant.json", "report.html", "manifest.json"):
        assert "alice" not in (released / name).read_text()


def test_release_loads_in_polars_pyarrow_and_duckdb(released):
    for name, rows in (("events", 5), ("sentences", 8), ("annotations", 13)):
        path = released / "data" / f"{name}.parquet"
        assert pl.read_parquet(path).height == rows
        assert pq.read_table(path).num_rows == rows
        assert duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall() == [(rows,)]
    got = duckdb.sql(f"select event_type, count(*) from read_parquet('{released}/data/events.parquet') "
                     "group by 1 order by 1").fetchall()
    assert got == [("Battles", 1), ("Explosions/Remote violence", 1), ("Protests", 1),
                   ("Strategic developments", 1), ("Violence against civilians", 1)]


def test_release_loads_untouched_with_hugging_face_datasets(released, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = str(tmp_path / "hf-cache")
    # the generic Parquet builder, one table at a time (the three tables have different columns)
    for name, rows in (("events", 5), ("sentences", 8), ("annotations", 13)):
        ds = datasets.load_dataset("parquet", data_dir=str(released), data_files=f"data/{name}.parquet",
                                   cache_dir=cache)
        assert ds["train"].num_rows == rows
    # the card's `configs` front matter: the release directory is a Hugging Face dataset repo
    events = datasets.load_dataset(str(released), cache_dir=cache)
    assert events["train"].num_rows == 5 and "interaction" in events["train"].column_names
    spans = datasets.load_dataset(str(released), "sentences", cache_dir=cache)["train"]["spans"]
    assert any(s for s in spans)


def test_croissant_is_valid_under_mlcroissant(released):
    mlc = pytest.importorskip("mlcroissant")
    ds = mlc.Dataset(jsonld=str(released / "croissant.json"))
    assert not ds.metadata.ctx.issues.errors
    records = list(ds.records("events"))
    assert len(records) == 5
    assert records[0]["events/sub_event_type"] == b"Air/drone strike"
    meta = json.loads((released / "croissant.json").read_text())
    manifest = json.loads((released / "manifest.json").read_text())
    for fo in meta["distribution"]:
        assert fo["sha256"] == manifest["files"][fo["contentUrl"]]["sha256"]
    assert meta["rai:annotationsPerItem"].startswith("2.17 annotations per reviewed sentence")
    assert meta["rai:machineAnnotationTools"] == [f"conflictset {__version__} rule pre-labeller (rules-1.0.0)"]
    assert meta["rai:dataAnnotationProtocol"]


def test_card_front_matter_and_sections(released):
    text = (released / "README.md").read_text()
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["license"] == "cc-by-4.0"
    assert front["language"] == ["en"]
    assert front["task_categories"] == ["text-classification", "token-classification"]
    assert front["size_categories"] == ["n<1K"]
    assert [(c["config_name"], c["data_files"][0]["path"]) for c in front["configs"]] == [
        ("events", "data/events.parquet"), ("sentences", "data/sentences.parquet"),
        ("annotations", "data/annotations.parquet")]
    for section in ("## Sources", "## Annotation process", "## Annotators", "## Agreement",
                    "## Pre-label acceptance", "## Limitations and bias", "## Privacy"):
        assert section in text
    assert "| sub_event_type | 0.357 | 0.400 |" in text


def test_release_files_are_readable_by_others_as_the_umask_allows(released):
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(released.stat().st_mode) == 0o777 & ~mask
    for path in released.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o777 if path.is_dir() else 0o666) & ~mask


def test_two_releases_from_the_same_inputs_are_byte_identical(release_build, tmp_path):
    release(release_build, "1.0.0", tmp_path / "r1")
    release(release_build, "1.0.0", tmp_path / "r2")
    assert files_of(tmp_path / "r1") == files_of(tmp_path / "r2")
    # another process (other hash seeds, other thread timing) gives the same bytes too
    subprocess.run([sys.executable, "-c", "from conflictset.cli import main; main()", "release", str(release_build),
                    "--version", "1.0.0", "--out", str(tmp_path / "r3")], check=True, capture_output=True)
    assert files_of(tmp_path / "r1") == files_of(tmp_path / "r3")


def test_a_new_release_replaces_the_old_one_and_leaves_no_debris(release_build, tmp_path):
    out = tmp_path / "release"
    release(release_build, "1.0.0", out)
    release(release_build, "1.0.1", out)
    assert json.loads((out / "manifest.json").read_text())["version"] == "1.0.1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "release"]


def test_refuses_to_replace_a_directory_that_is_not_a_release(release_build, tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("keep me")
    with pytest.raises(OutputError, match="not a conflictset release"):
        release(release_build, "1.0.0", precious)
    assert (precious / "chapter1.tex").read_text() == "keep me"


def test_unreviewed_build_releases_prelabels(tmp_path):
    build = write_build_dir(tmp_path / "build", make_sentences())
    summary = release(build, "0.1.0", tmp_path / "release")
    sentences = pl.read_parquet(tmp_path / "release" / "data" / "sentences.parquet")
    assert set(sentences["label_source"]) == {"prelabel"}
    assert summary.counts["events"] == 6 and summary.counts["annotations"] == 0
    assert summary.agreement.levels["event_type"].alpha is None


def test_bad_version_and_missing_build_are_input_errors(release_build, tmp_path):
    with pytest.raises(InputError, match="not X.Y.Z"):
        release(release_build, "v1", tmp_path / "r")
    with pytest.raises(InputError, match="no sentences.parquet"):
        release(tmp_path / "nowhere", "1.0.0", tmp_path / "r")


def test_cli_release(release_build, tmp_path):
    result = CliRunner().invoke(main, ["release", str(release_build), "--version", "2.0.0",
                                       "--out", str(tmp_path / "rel")])
    assert result.exit_code == 0, result.output
    assert "release 2.0.0 written" in result.output
    assert "label sources: adjudicated=1, annotator=2, consensus=2, prelabel=2, unresolved=1" in result.output
    assert "1 tie(s) left unresolved" in result.output
    bad = CliRunner().invoke(main, ["release", str(release_build), "--version", "2.0", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "error: version '2.0' is not X.Y.Z" in bad.output


def test_quarantined_rows_are_counted_and_ties_can_be_loaded_for_adjudication(release_build, tmp_path):
    from conflictset.dataset.io import write_parquet
    from conflictset.export.build_dir import load_ties
    from conflictset.schemas.pipeline import QUARANTINE_SCHEMA

    bad = pl.DataFrame([{"stage": "from_label_studio", "source_file": "export.json", "source_row": 7,
                         "field": "result", "reason": "unknown_label", "message": "unknown label 'Fight'",
                         "raw": "{}"}], schema=QUARANTINE_SCHEMA)
    write_parquet(bad, release_build / "annotation_quarantine.parquet")
    summary = release(release_build, "1.0.0", tmp_path / "release")
    assert summary.counts["annotation_quarantine_rows"] == 1
    manifest = json.loads((tmp_path / "release" / "manifest.json").read_text())
    assert "annotation_quarantine.parquet" in manifest["inputs"]
    assert "Set aside, not lost: 1 Label Studio result that" in (tmp_path / "release" / "README.md").read_text()
    listed = load_ties(release_build)
    assert listed["sentence_id"].to_list() == ["a2-00001"]


@pytest.mark.parametrize("reviewer_spans, expected", [
    # accepted unchanged: the pre-label's coded values stay
    ([("FATALITIES", 23, "two"), ("LOCATION", 41, "Deir ez-Zor")], (2, "Deir ez-Zor", "Syria")),
    # the place corrected, the count removed
    ([("LOCATION", 46, "ez-Zor")], (0, "ez-Zor", "Syria")),
    # the count rewritten in digits; no place left
    ([("FATALITIES", 23, "2")], (2, None, "Syria")),
    # a count in words the rules did not read: the pre-label figure stays
    ([("FATALITIES", 23, "two soldiers")], (2, None, "Syria")),
])
def test_reviewer_spans_correct_event_attributes(tmp_path, reviewer_spans, expected):
    from release_fixtures import ann, make_annotations, span

    sentences = make_sentences().with_columns(
        pl.when(pl.col("sentence_id") == "a2-00001")
        .then(pl.lit([span("FATALITIES", 23, "two"), span("LOCATION", 41, "Deir ez-Zor")],
                     dtype=sentences_schema()["spans"]))
        .otherwise(pl.col("spans")).alias("spans"))
    review = ann("a2-00001", "ann-aaaaaaaaaa", "Remote explosive/landmine/IED", annotation_id=1,
                 spans=[span(*s) for s in reviewer_spans])
    build = write_build_dir(tmp_path / "build", sentences, make_annotations([review]))
    release(build, "1.0.0", tmp_path / "release")
    event = pl.read_parquet(tmp_path / "release" / "data" / "events.parquet").filter(
        pl.col("sentence_id") == "a2-00001").row(0, named=True)
    assert (event["fatalities"], event["location"], event["country"]) == expected


def sentences_schema():
    return make_sentences().schema
