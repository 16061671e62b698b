"""The build command: its help states the library's batch defaults (it cannot import them
without loading the whole pipeline, so a test keeps the two in step); --field mapping, date
options and what a user sees on screen when a file gives nothing; evaluate-clean."""

import json

import polars as pl
import pytest
from click.testing import CliRunner

from conflictset.cli import main
from conflictset.dataset.build import DEFAULT_BATCH_SIZE
from conflictset.dataset.ingest import DEFAULT_BATCH_BYTES


def test_build_help_states_the_batch_defaults():
    text = " ".join(CliRunner().invoke(main, ["build", "--help"]).output.split())
    assert f"[default: {DEFAULT_BATCH_SIZE}]" in text
    assert f"{DEFAULT_BATCH_BYTES >> 20} MiB of article text" in text


# ---------------------------------------------------------------------------- field mapping, on-screen errors

CSV = ("id,title,body,date\n"
       "1,Clashes in Goma,\"Fighting broke out near Goma on Tuesday, the army said.\",26/06/2024\n"
       "2,Protest in Nairobi,\"Police fired tear gas at protesters in Nairobi.\",03/04/2024\n")


def run_build(*args: str):
    return CliRunner().invoke(main, ["build", "--no-progress", *args])


def test_a_csv_without_a_text_column_says_why_on_screen_and_exits_2(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    result = run_build(str(tmp_path / "in.csv"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "in.csv: no article built" in result.stderr
    assert "found columns ['id', 'title', 'body', 'date']" in result.stderr
    assert "--field text=body --field published_at=date" in result.stderr
    assert "error: no article was built from 1 input record" in result.stderr
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine["reason"].to_list() == ["missing_text_column"]


def test_field_mapping_builds_and_reads_day_first_dates_of_the_file(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    result = run_build(str(tmp_path / "in.csv"), "--out", str(tmp_path / "out"),
                       "--field", "text=body", "--field", "published_at=date", "--no-prelabel")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr  # 26/06/2024 in the same file settles 03/04/2024
    articles = pl.read_parquet(tmp_path / "out" / "articles.parquet").sort("article_id")
    assert articles["published_at"].cast(pl.String).to_list() == ["2024-06-26", "2024-04-03"]
    assert articles["published_at_raw"].to_list() == ["26/06/2024", "03/04/2024"]


def test_ambiguous_dates_are_warned_about_once_with_a_count(tmp_path):
    rows = "".join(f'{i},"Rebels attacked a base near Gao on day {i}.",0{i}/0{i + 1}/2024\n' for i in range(1, 4))
    (tmp_path / "in.csv").write_text("id,text,published_at\n" + rows, encoding="utf-8")
    result = run_build(str(tmp_path / "in.csv"), "--out", str(tmp_path / "out"), "--no-prelabel")
    assert result.exit_code == 0
    assert result.stderr.count("could be day/month or month/day") == 1
    assert "warning: 3 numeric dates" in result.stderr and "--dayfirst" in result.stderr
    assert pl.read_parquet(tmp_path / "out" / "articles.parquet")["published_at"].null_count() == 3
    again = run_build(str(tmp_path / "in.csv"), "--out", str(tmp_path / "out2"), "--no-prelabel", "--dayfirst")
    assert "day/month" not in again.stderr
    dates = pl.read_parquet(tmp_path / "out2" / "articles.parquet").sort("article_id")["published_at"]
    assert dates.cast(pl.String).to_list() == ["2024-02-01", "2024-03-02", "2024-04-03"]


def test_a_bad_date_quarantines_nothing_and_is_counted(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "Gunmen attacked a convoy.", "published_at": "soon"}\n',
                                       encoding="utf-8")
    result = run_build(str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out"), "--no-prelabel")
    assert result.exit_code == 0
    assert "dates not understood: 1" in result.output
    row = pl.read_parquet(tmp_path / "out" / "articles.parquet").row(0, named=True)
    assert (row["published_at"], row["published_at_raw"]) == (None, "soon")


@pytest.mark.parametrize("spec", ["text", "body=text", "text=", "=body"])
def test_a_bad_field_mapping_is_one_clean_error(tmp_path, spec):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    result = run_build(str(tmp_path / "in.csv"), "--out", str(tmp_path / "out"), "--field", spec)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --field") and "Traceback" not in result.output


def test_evaluate_clean_prints_tables_and_json(repo_root):
    gold = repo_root / "tests" / "fixtures" / "clean_gold" / "heldout"
    result = CliRunner().invoke(main, ["evaluate-clean", str(gold)])
    assert result.exit_code == 0 and "line roles right" in result.output and "per language" in result.output
    data = json.loads(CliRunner().invoke(main, ["evaluate-clean", str(gold), "--json"]).output)
    assert data["articles"] == 15 and data["losses"] == 0 and set(data["per_language"]) >= {"ar", "de", "es"}
    missing = CliRunner().invoke(main, ["evaluate-clean", str(repo_root / "docs")])
    assert missing.exit_code == 2 and "no *.gold.jsonl files" in missing.stderr
