"""Parsing Label Studio exports without a server: crafted exports, quarantine reason codes."""

from __future__ import annotations

import json

import polars as pl
import pytest
from click.testing import CliRunner
from studio_helpers import SNAPSHOT_PROJECT, VERSION, sentence_frame, snapshot_tasks

from conflictset.cli import main
from conflictset.export.label_studio.pull import from_label_studio, read_export

PROJECT = SNAPSHOT_PROJECT


def _annotation(aid: int, result, user=1, **extra) -> dict:
    return {"id": aid, "completed_by": user, "result": result, "was_cancelled": False,
            "ground_truth": False, "created_at": "2026-01-02T03:04:05.123456Z",
            "updated_at": "2026-01-02T03:04:06Z", "lead_time": 4.0, **extra}


def _tax(*path):
    return {"from_name": "event", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [list(path)]}}


def _span(label, start, end, text=None):
    value = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"from_name": "span", "to_name": "text", "type": "labels", "value": value}


def _parse(tasks: list[dict], text: str | None = None):
    export, unreadable = read_export(text if text is not None else json.dumps(tasks), "export.json")
    frames = from_label_studio(export, source_file="export.json")
    return frames, unreadable


CASES = [
    ("unknown event type", [_tax("Coups", "Armed clash")], "unknown_label"),
    ("unknown sub-event type", [_tax("Battles", "Skirmish")], "unknown_label"),
    ("wrong parent", [_tax("Riots", "Armed clash")], "wrong_parent"),
    ("parent only", [_tax("Battles")], "malformed_result"),
    ("two event types", [{**_tax("Battles", "Armed clash"),
                          "value": {"taxonomy": [["Battles", "Armed clash"], ["No event"]]}}], "malformed_result"),
    ("no event type", [_span("ACTOR", 0, 3)], "malformed_result"),
    ("span outside the text", [_tax("No event"), _span("ACTOR", 5, 9999)], "span_out_of_range"),
    ("negative span", [_tax("No event"), _span("ACTOR", -1, 3)], "span_out_of_range"),
    ("span text differs", [_tax("No event"), _span("ACTOR", 0, 3, "XYZ")], "span_text_mismatch"),
    ("unknown span label", [_tax("No event"), _span("WEAPON", 0, 3)], "unknown_label"),
    ("unknown control", [{"from_name": "sentiment", "to_name": "text", "type": "choices",
                          "value": {"choices": ["x"]}}], "unknown_label"),
    ("string offsets", [_tax("No event"), _span("ACTOR", "0", "3")], "malformed_result"),
    ("result not a list", {"oops": 1}, "malformed_result"),
]


@pytest.mark.parametrize("name, result, reason", CASES, ids=[c[0] for c in CASES])
def test_bad_results_are_quarantined_with_their_reason(name, result, reason):
    tasks = snapshot_tasks()
    tasks[0]["annotations"] = [_annotation(1, result), _annotation(2, [_tax("No event")])]
    frames, unreadable = _parse(tasks)
    assert unreadable.height == 0
    assert frames.quarantine["reason"].to_list() == [reason]
    q = frames.quarantine.row(0, named=True)
    assert (q["stage"], q["source_file"], q["source_row"], q["field"]) == (
        "from_label_studio", "export.json", 1, "annotations[0].result")
    assert "annotation 1" in q["message"] and "nl-raqqa-00000" in q["message"]
    assert json.loads(q["raw"])["result"] == result  # nothing lost
    # in = out + quarantined, and the task keeps its status
    assert frames.annotations["annotation_id"].to_list() == [2]
    assert frames.tasks.filter(pl.col("task_id") == 100)["status"].item() == "annotated"


def test_foreign_and_unknown_tasks_are_quarantined():
    tasks = snapshot_tasks()
    tasks[1]["project"] = 99
    del tasks[2]["data"]["sentence_id"]
    frames, _ = _parse(tasks)
    assert sorted(frames.quarantine["reason"]) == ["foreign_project", "unknown_task"]
    assert frames.tasks.height == len(tasks) - 2
    assert frames.tasks["project_id"].unique().to_list() == [PROJECT]


def test_truncated_export_keeps_every_complete_task():
    tasks = snapshot_tasks()
    text = json.dumps(tasks)
    cut = text.index('"sentence_id": "nl-raqqa-00003"')
    frames, unreadable = _parse(tasks, text[:cut])
    assert frames.tasks["sentence_id"].to_list() == [f"nl-raqqa-0000{i}" for i in range(3)]
    (row,) = unreadable.to_dicts()
    assert row["reason"] == "truncated_export" and row["source_row"] == 4
    assert text[:cut].endswith(row["raw"])  # the broken tail is kept verbatim


@pytest.mark.parametrize("text, reason", [("", "truncated_export"), ('{"id": 1}', "malformed_result"),
                                          ("[", "truncated_export")])
def test_unusable_export_files(text, reason):
    export, unreadable = read_export(text, "x.json")
    assert export.height == 0 and unreadable["reason"].to_list() == [reason]


def test_annotators_are_pseudonyms_and_deleted_users_are_kept():
    tasks = snapshot_tasks()
    tasks[0]["annotations"] = [
        _annotation(1, [_tax("No event")], user={"id": 3, "email": "a@b.org", "first_name": "Ann"}),
        _annotation(2, [_tax("No event")], user=3),
        _annotation(3, [_tax("No event")], user=None),  # the user was deleted
    ]
    tasks[0]["annotations"][0]["created_username"] = "Ann a@b.org, 3"
    tasks[1]["annotations"] = [_annotation(4, [_tax("Riots", "Armed clash")],
                                           user={"id": 3, "email": "a@b.org"})]
    frames, _ = _parse(tasks)
    ann = frames.annotations.sort("annotation_id")
    first, second, deleted = ann["annotator"].to_list()
    assert first == second and first.startswith("ann-") and len(first) == 14 and deleted is None
    assert "@" not in str(ann.to_dicts()) + str(frames.quarantine.to_dicts())


def test_emoji_and_combining_characters_slice_exactly():
    text = "Bij Tabqa 😢 vielen e\u0301e\u0301n doden in Mañbij."
    frame = sentence_frame([(text, "Battles", "Armed clash", 0.9,
                             [("LOCATION", "Tabqa"), ("LOCATION", "Mañbij"), ("FATALITIES", "e\u0301e\u0301n")])])
    tasks = snapshot_tasks(frame)
    tasks[0]["annotations"] = [_annotation(1, tasks[0]["predictions"][0]["result"])]
    frames, _ = _parse(tasks)
    (row,) = frames.annotations.to_dicts()
    assert row["prediction_accepted"] is True and row["prelabel_version"] == VERSION
    assert [(s["text"], text[s["start"]:s["end"]]) for s in row["spans"]] == [
        ("Tabqa", "Tabqa"), ("e\u0301e\u0301n", "e\u0301e\u0301n"), ("Mañbij", "Mañbij")]


def test_pull_from_file_cli_reconciles_counts(tmp_path):
    tasks = snapshot_tasks()
    tasks[0]["annotations"] = [_annotation(1, tasks[0]["predictions"][0]["result"])]
    tasks[1]["annotations"] = [_annotation(2, [], was_cancelled=True)]
    tasks[2]["annotations"] = [_annotation(3, [_tax("Riots", "Armed clash")])]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    result = CliRunner().invoke(main, ["pull", "--from-file", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "8 tasks (2 annotated, 5 unannotated, 1 skipped), 2 annotations, 1 quarantined" in result.output
    assert "wrong_parent: 1" in result.stderr
    ann = pl.read_parquet(tmp_path / "o" / "annotations.parquet")
    quarantine = pl.read_parquet(tmp_path / "o" / "annotation_quarantine.parquet")
    assert ann.height + quarantine.height == 3
    tasks_out = pl.read_parquet(tmp_path / "o" / "tasks.parquet")
    assert tasks_out.height == 8 and tasks_out["status"].value_counts().height == 3


def test_pull_from_missing_or_broken_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe[")
    result = CliRunner().invoke(main, ["pull", "--from-file", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "bad.json" in result.stderr and "Traceback" not in result.output
