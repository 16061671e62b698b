"""`conflictset validate`: releases (checksums included), single tables and build directories."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from click.testing import CliRunner

from conflictset.cli import main
from conflictset.dataset.io import write_parquet
from conflictset.export.release import release
from conflictset.export.validate_release import validate_path


@pytest.fixture
def released(release_build, tmp_path):
    release(release_build, "1.0.0", tmp_path / "release")
    return tmp_path / "release"


def reasons(report) -> list[tuple[str, str]]:
    return report.problems.select("file", "reason").rows()


def test_a_fresh_release_is_valid(released):
    report = validate_path(released)
    assert report.ok, report.lines()
    assert len(report.checked) == 9


def test_a_tampered_file_is_a_checksum_mismatch(released):
    path = released / "data" / "events.parquet"
    frame = pl.read_parquet(path).with_columns(pl.col("fatalities") + 1)  # still a valid table
    write_parquet(frame, path)
    report = validate_path(released)
    assert reasons(report) == [("data/events.parquet", "checksum_mismatch")]


def test_a_tampered_card_is_a_checksum_mismatch(released):
    with open(released / "README.md", "a", encoding="utf-8") as fh:
        fh.write("\nadded later\n")
    got = reasons(validate_path(released))
    assert got == [("README.md", "checksum_mismatch")]


def test_missing_unlisted_and_recounted_files(released):
    (released / "report.html").unlink()
    (released / "data" / "extra.parquet").write_bytes(b"PAR1")
    manifest = json.loads((released / "manifest.json").read_text())
    manifest["files"]["data/sentences.parquet"]["rows"] = 9
    (released / "manifest.json").write_text(json.dumps(manifest))
    got = set(reasons(validate_path(released)))
    assert got == {("report.html", "missing_file"), ("data/extra.parquet", "unlisted_file"),
                   ("data/sentences.parquet", "row_count_mismatch")}


def test_a_broken_manifest(released):
    (released / "manifest.json").write_text("{not json")
    assert reasons(validate_path(released)) == [("manifest.json", "bad_manifest")]


def test_a_codebook_violation_in_a_table_names_the_row(released, tmp_path):
    events = pl.read_parquet(released / "data" / "events.parquet")
    # the strike (row 0) given a Battles sub-event type under Explosions/Remote violence
    broken = events.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("Armed clash")).otherwise(pl.col("sub_event_type"))
        .alias("sub_event_type"))
    path = tmp_path / "events.parquet"
    write_parquet(broken, path)
    problems = validate_path(path).problems
    assert problems.select("reason", "row").rows() == [("hierarchy_mismatch", 0)]
    assert "a1-00000" in problems["failure_case"].item()


def test_other_schema_failures_have_their_codes(released, tmp_path):
    events = pl.read_parquet(released / "data" / "events.parquet")
    broken = events.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(-3).otherwise(pl.col("fatalities")).alias("fatalities"),
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("Protesters")).otherwise(pl.col("inter2")).alias("inter2"),
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit(5, dtype=pl.Int8)).otherwise(pl.col("time_precision"))
        .alias("time_precision"),
    )
    write_parquet(broken, tmp_path / "events.parquet")
    got = set(validate_path(tmp_path / "events.parquet").problems.select("column", "row", "reason").rows())
    assert got == {("fatalities", 1, "out_of_range"), ("time_precision", 3, "out_of_range"),
                   (None, 2, "interaction_mismatch")}


def test_single_tables_are_recognised_by_name_and_columns(released, release_build, tmp_path):
    for name in ("events", "sentences", "annotations"):
        assert validate_path(released / "data" / f"{name}.parquet").ok
    assert validate_path(release_build / "tasks.parquet").ok
    shutil.copy(released / "data" / "events.parquet", tmp_path / "mystery.parquet")
    assert reasons(validate_path(tmp_path / "mystery.parquet")) == [("mystery.parquet", "unknown_table")]
    (tmp_path / "sentences.parquet").write_bytes(b"not parquet at all")
    assert reasons(validate_path(tmp_path / "sentences.parquet")) == [("sentences.parquet", "broken_parquet")]


def test_a_build_directory_with_a_pull_that_leaked_an_email(release_build):
    # the fixture's second reviewer of a2-00001 is an e-mail address: the pull contract forbids it
    problems = validate_path(release_build).problems
    assert problems.select("file", "column", "reason").rows() == [
        ("annotations.parquet", "annotator", "check_failed")]


def test_cli_validate_exit_codes_and_json(released):
    ok = CliRunner().invoke(main, ["validate", str(released)])
    assert ok.exit_code == 0 and ok.output.startswith(f"ok: {released}")
    with open(released / "data" / "annotations.parquet", "ab") as fh:
        fh.write(b"\0")
    bad = CliRunner().invoke(main, ["validate", str(released)])
    assert bad.exit_code == 4
    assert "[checksum_mismatch] data/annotations.parquet" in bad.output
    payload = json.loads(CliRunner().invoke(main, ["validate", str(released), "--json"]).output)
    assert payload["ok"] is False
    assert {p["reason"] for p in payload["problems"]} >= {"checksum_mismatch"}
