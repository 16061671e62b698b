"""Deleted tasks, duplicate tasks, adjudication exports and --salt, parsed without a server."""

from __future__ import annotations

import json

import polars as pl
import pytest
from click.testing import CliRunner
from studio_helpers import SNAPSHOT_PROJECT, sentence_frame, snapshot_tasks

from conflictset.cli import main
from conflictset.export.label_studio import ledger
from conflictset.export.label_studio.pull import from_label_studio, pseudonym, pull, read_export
from conflictset.export.label_studio.push import adjudication_tasks

PROJECT = SNAPSHOT_PROJECT


def _ann(aid: int, path: list[str], user=1, **extra) -> dict:
    """An annotation choosing ``path`` (an empty path: a skip's empty result)."""
    result = [{"from_name": "event", "to_name": "text", "type": "taxonomy",
               "value": {"taxonomy": [path]}}] if path else []
    return {"id": aid, "completed_by": user, "was_cancelled": False, "ground_truth": False,
            "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:06Z", "lead_time": 3.0,
            "result": result, **extra}


def _frames(tasks: list[dict], **kwargs):
    export, unreadable = read_export(json.dumps(tasks), "export.json")
    assert unreadable.is_empty()
    return from_label_studio(export, source_file="export.json", **kwargs)


def _ledger(tasks: list[dict], project: int = PROJECT) -> pl.DataFrame:
    return pl.DataFrame({"project_id": [project] * len(tasks),
                         "sentence_id": [t["data"]["sentence_id"] for t in tasks],
                         "task_id": [t["id"] for t in tasks]}, schema=ledger.SCHEMA)


def test_deleted_tasks_become_quarantine_rows_and_counts_reconcile():
    tasks = snapshot_tasks()
    pushed = _ledger(tasks)
    tasks[0]["annotations"] = [_ann(1, ["No event"])]
    tasks[1]["annotations"] = [_ann(2, [], was_cancelled=True)]
    gone = [tasks.pop(5), tasks.pop(2)]  # deleted in Label Studio after the push
    frames = _frames(tasks, pushed=pushed)
    rows = frames.quarantine.to_dicts()
    assert [r["reason"] for r in rows] == ["deleted_task", "deleted_task"]
    assert [json.loads(r["raw"]) for r in rows] == [
        {"project_id": PROJECT, "task_id": t["id"], "sentence_id": t["data"]["sentence_id"]}
        for t in sorted(gone, key=lambda t: t["id"])]
    assert all(r["field"] == "task" and r["stage"] == "from_label_studio" for r in rows)
    assert frames.deleted_task_ids == (102, 105) and len(frames.pushed_task_ids) == 8
    status = frames.tasks["status"].value_counts()
    by = dict(zip(status["status"], status["count"]))
    assert (by["annotated"], by["unannotated"], by["skipped"]) == (1, 4, 1)
    assert 8 == by["annotated"] + by["unannotated"] + by["skipped"] + len(frames.deleted_task_ids)


def test_ledger_rows_of_other_projects_are_not_deleted_tasks():
    tasks = snapshot_tasks()
    other = _ledger(tasks, project=99).with_columns(pl.col("task_id") + 1000)
    frames = _frames(tasks, pushed=pl.concat([_ledger(tasks), other]))
    assert frames.quarantine.is_empty() and frames.deleted_task_ids == () and len(frames.pushed_task_ids) == 8
    assert _frames(tasks).pushed_task_ids is None  # no ledger: nothing can be called deleted


def test_duplicate_tasks_keep_the_lowest_id_and_quarantine_the_others():
    tasks = snapshot_tasks()
    copy_annotated = json.loads(json.dumps(tasks[3])) | {"id": 300, "annotations": [
        _ann(30, ["Protests", "Peaceful protest"], user=2), _ann(31, ["No event"], user=3)]}
    copy_bare = json.loads(json.dumps(tasks[3])) | {"id": 301}
    tasks[3]["annotations"] = [_ann(3, ["Protests", "Peaceful protest"])]
    tasks.insert(0, copy_annotated)  # export order must not matter: the lowest id wins
    tasks.append(copy_bare)
    frames = _frames(tasks)
    sid = tasks[4]["data"]["sentence_id"]
    assert frames.tasks.height == 8 and frames.tasks["sentence_id"].n_unique() == 8
    assert frames.tasks.filter(pl.col("sentence_id") == sid)["task_id"].to_list() == [103]
    assert frames.annotations["annotation_id"].to_list() == [3]
    rows = frames.quarantine.to_dicts()
    assert [(r["reason"], r["field"]) for r in rows] == [
        ("duplicate_task", "annotations[0]"), ("duplicate_task", "annotations[1]"), ("duplicate_task", "task")]
    assert [json.loads(r["raw"]).get("id") for r in rows] == [30, 31, 301]
    assert "task 300 repeats sentence" in rows[0]["message"] and "of task 103" in rows[0]["message"]
    assert "completed_by" not in rows[0]["raw"] and json.loads(rows[0]["raw"])["annotator"].startswith("ann-")
    assert frames.duplicate_task_ids == (300, 301)


def test_adjudication_export_marks_decisions_as_ground_truth():
    frame = sentence_frame()
    ties = pl.DataFrame({"sentence_id": [frame["sentence_id"][5]], "n_annotators": [2],
                         "candidate_labels": [["Battles / Armed clash ×1", "Explosions/Remote violence / "
                                               "Remote explosive/landmine/IED ×1"]]})
    task_frame = adjudication_tasks(frame, ties)
    (task,) = snapshot_tasks(task_frame, extra_data=("candidates",))
    assert task["predictions"] == [] and task["data"]["candidates"].startswith("Battles / Armed clash ×1; ")
    task["annotations"] = [_ann(9, ["Battles", "Armed clash"], user=5),
                           _ann(10, [], user=6, was_cancelled=True)]
    frames = _frames([task])
    assert frames.adjudication is True
    assert frames.annotations.select("annotation_id", "ground_truth", "prediction_accepted").rows() == [
        (9, True, None), (10, False, None)]
    assert _frames(snapshot_tasks()).adjudication is False


def test_from_file_pseudonyms_match_a_live_pull_with_the_project_salt(tmp_path):
    tasks = snapshot_tasks()
    tasks[0]["annotations"] = [_ann(1, ["No event"], user=42)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    runner = CliRunner()
    salted = runner.invoke(main, ["pull", "--from-file", str(path), "--out", str(tmp_path / "a"),
                                  "--salt", "0123456789abcdef"])
    assert salted.exit_code == 0, salted.output
    plain = runner.invoke(main, ["pull", "--from-file", str(path), "--out", str(tmp_path / "b")])
    assert plain.exit_code == 0, plain.output
    a = pl.read_parquet(tmp_path / "a" / "annotations.parquet")["annotator"].to_list()
    b = pl.read_parquet(tmp_path / "b" / "annotations.parquet")["annotator"].to_list()
    assert a == [pseudonym(42, "0123456789abcdef")] and b == [pseudonym(42, f"project-{PROJECT}")]
    assert "no push ledger" in plain.output


def test_pull_cli_reports_deleted_tasks_from_an_explicit_ledger(tmp_path):
    tasks = snapshot_tasks()
    ledger.record(tmp_path / "pushed.parquet", PROJECT, [t["data"]["sentence_id"] for t in tasks],
                  [t["id"] for t in tasks])
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks[1:]), encoding="utf-8")
    result = CliRunner().invoke(main, ["pull", "--from-file", str(path), "--out", str(tmp_path / "o"),
                                       "--pushed", str(tmp_path / "pushed.parquet")])
    assert result.exit_code == 0, result.output
    assert "pushed 8 = 0 annotated + 7 unannotated + 0 skipped + 1 deleted in Label Studio" in result.output
    assert "deleted_task: 1" in result.stderr
    missing = CliRunner().invoke(main, ["pull", "--from-file", str(path), "--out", str(tmp_path / "o"),
                                        "--pushed", str(tmp_path / "nope.parquet")])
    assert missing.exit_code == 2 and "nope.parquet" in missing.stderr and "Traceback" not in missing.output


def test_review_and_adjudication_pulls_merge_in_either_order(tmp_path):
    frame = sentence_frame()
    review = snapshot_tasks()
    review[5]["annotations"] = [_ann(1, ["Battles", "Armed clash"], user=1),
                                _ann(2, ["Explosions/Remote violence", "Remote explosive/landmine/IED"], user=2)]
    ties = pl.DataFrame({"sentence_id": [frame["sentence_id"][5]], "n_annotators": [2],
                         "candidate_labels": [["a ×1", "b ×1"]]})
    (adj,) = snapshot_tasks(adjudication_tasks(frame, ties), extra_data=("candidates",))
    adj.update(id=900, project=8)
    adj["annotations"] = [_ann(3, ["Explosions/Remote violence", "Remote explosive/landmine/IED"], user=3)]
    files = {}
    for name, tasks in (("review", review), ("adjudication", [adj])):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(tasks), encoding="utf-8")
    results = {}
    for order in (("review", "adjudication"), ("adjudication", "review"), ("review", "adjudication", "adjudication")):
        out = tmp_path / "-".join(order)
        for name in order:
            pull(None, out, from_file=files[name])
        results[order] = pl.read_parquet(out / "annotations.parquet")
        got = results[order].sort("annotation_id")
        assert got.select("annotation_id", "ground_truth").rows() == [(1, False), (2, False), (3, True)]
        assert pl.read_parquet(out / "adjudications.parquet")["annotation_id"].to_list() == [3]
        assert pl.read_parquet(out / "adjudication_tasks.parquet")["task_id"].to_list() == [900]
        assert pl.read_parquet(out / "tasks.parquet").height == 8
    only = tmp_path / "only-adjudication"
    result = pull(None, only, from_file=files["adjudication"])
    assert result.adjudication and not result.counts["merged"] and not (only / "annotations.parquet").exists()
    assert "kept in adjudications.parquet" in result.summary()


@pytest.mark.parametrize("title,expected", [
    ("Raqqa 2016", "Raqqa 2016 — adjudication"),
    ("x" * 50, "x" * 34 + "… — adjudication"),
])
def test_adjudication_title_fits_label_studio(title, expected):
    from conflictset.export.label_studio.push import MAX_TITLE, adjudication_title

    assert adjudication_title(title) == expected and len(expected) <= MAX_TITLE


def test_push_adjudicate_needs_a_pull_and_says_so(tmp_path):
    from release_fixtures import make_sentences, scenario_annotations, write_build_dir

    env = {"LABEL_STUDIO_URL": "http://127.0.0.1:9", "LABEL_STUDIO_API_KEY": "x"}  # never contacted
    bare = write_build_dir(tmp_path / "bare", make_sentences())
    result = CliRunner().invoke(main, ["push", str(bare), "--adjudicate"], env=env)
    assert result.exit_code == 2 and "no annotations.parquet" in result.stderr
    assert "conflictset pull --project T --out BUILD_DIR" in result.stderr and "Traceback" not in result.output
    filtered = CliRunner().invoke(main, ["push", str(bare), "--adjudicate", "--limit", "3"], env=env)
    assert filtered.exit_code == 2 and "--limit cannot be combined with --adjudicate" in filtered.stderr
    no_project = CliRunner().invoke(main, ["push", str(bare)], env=env)
    assert no_project.exit_code == 2 and "--project is required" in no_project.stderr

    decided = scenario_annotations().filter(pl.col("sentence_id") != "a2-00001")  # the scenario's only tie
    build = write_build_dir(tmp_path / "decided", make_sentences(), decided)
    result = CliRunner().invoke(main, ["push", str(build), "--adjudicate"], env=env)
    assert result.exit_code == 0, result.output + result.stderr
    assert "no ties" in result.output and not (build / "pushed.parquet").exists()
