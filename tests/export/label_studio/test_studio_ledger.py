"""Against the real server: deleted tasks, duplicate tasks, --salt, and push --adjudicate → release."""

from __future__ import annotations

import json

import polars as pl
import pytest
from click.testing import CliRunner
from release_fixtures import make_sentences, write_build_dir
from studio_helpers import sentence_frame, write_build

from conflictset.cli import main
from conflictset.export.label_studio import ledger
from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import project_salt, push, push_adjudication, to_label_studio
from conflictset.schemas.errors import InputError

pytestmark = pytest.mark.studio


def _annotate(client, task_id: int, path: list[str] | None, **extra) -> dict:
    result = [{"from_name": "event", "to_name": "text", "type": "taxonomy",
               "value": {"taxonomy": [path]}}] if path else []
    return client.sdk.annotations.create(task_id, result=result, **extra).dict()


def _user(client, name: str) -> int:
    return client.sdk.users.create(email=f"{name}@example.org", username=name).id


def test_deleted_task_is_reported_and_counts_reconcile(client, project_title, tmp_path):
    build = write_build(tmp_path / "build", sentence_frame())
    pushed = push(build, project_title, client=client)
    recorded = ledger.read(build / "pushed.parquet")
    ids = client.task_sentence_ids(pushed.project_id)
    assert dict(zip(recorded["sentence_id"], recorded["task_id"])) == ids  # ids as the server has them
    assert set(recorded["project_id"]) == {pushed.project_id}
    sid = sorted(ids)
    _annotate(client, ids[sid[0]], ["No event"])
    _annotate(client, ids[sid[1]], None, was_cancelled=True)
    client.sdk.tasks.delete(ids[sid[2]])

    result = pull(project_title, build, client=client)  # the ledger is found in the build directory
    c = result.counts
    assert (c["pushed"], c["annotated"], c["unannotated"], c["skipped"], c["deleted"]) == (8, 1, 5, 1, 1)
    assert c["pushed"] == c["pushed_annotated"] + c["pushed_unannotated"] + c["pushed_skipped"] + c["deleted"]
    (row,) = pl.read_parquet(build / "annotation_quarantine.parquet").to_dicts()
    assert (row["reason"], row["field"]) == ("deleted_task", "task")
    assert json.loads(row["raw"]) == {"project_id": pushed.project_id, "task_id": ids[sid[2]], "sentence_id": sid[2]}
    assert "pushed 8 = 1 annotated + 5 unannotated + 1 skipped + 1 deleted" in result.summary()

    # the next push sends the deleted sentence again; the old task stays in the ledger as deleted
    again = push(build, project_title, client=client)
    assert (again.pushed, again.already) == (1, 7)
    c = pull(project_title, tmp_path / "elsewhere", client=client, pushed=build / "pushed.parquet").counts
    assert (c["pushed"], c["tasks"], c["deleted"], c["not_pushed"]) == (9, 8, 1, 0)


def test_duplicate_task_imported_by_hand_is_set_aside(client, project_title, tmp_path):
    frame = sentence_frame().head(3)
    build = write_build(tmp_path / "build", frame)
    pushed = push(build, project_title, client=client)
    original = client.task_sentence_ids(pushed.project_id)[frame["sentence_id"][0]]
    task_json = to_label_studio(frame.head(1))["task"][0]
    copy_id = client.import_tasks(pushed.project_id, f"[{task_json}]".encode())["task_ids"][0]
    assert copy_id > original
    _annotate(client, original, ["No event"])
    dup_ann = _annotate(client, copy_id, ["Battles", "Armed clash"])

    result = pull(project_title, build, client=client)
    c = result.counts
    assert (c["tasks"], c["duplicates"], c["annotations"], c["pushed"], c["not_pushed"]) == (3, 1, 1, 3, 1)
    tasks = pl.read_parquet(build / "tasks.parquet")
    assert tasks.filter(pl.col("sentence_id") == frame["sentence_id"][0])["task_id"].to_list() == [original]
    (row,) = pl.read_parquet(build / "annotation_quarantine.parquet").to_dicts()
    assert (row["reason"], row["field"]) == ("duplicate_task", "annotations[0]")
    assert json.loads(row["raw"])["id"] == dup_ann["id"] and "@" not in row["raw"]
    assert "1 duplicate task(s) set aside" in result.summary()


def test_from_file_pull_with_the_project_salt_matches_the_live_pull(client, project_title, tmp_path):
    build = write_build(tmp_path / "build", sentence_frame().head(2))
    pushed = push(build, project_title, client=client)
    other = _user(client, f"salt{project_title[-9:]}")
    for task in client.task_sentence_ids(pushed.project_id).values():
        _annotate(client, task, ["No event"])
        _annotate(client, task, ["No event"], completed_by=other)
    live = pull(project_title, tmp_path / "live", client=client)
    export = client.export_snapshot(pushed.project_id, tmp_path / "export.json")
    salt = project_salt(client.find_project(project_title))
    salted = CliRunner().invoke(main, ["pull", "--from-file", str(export), "--out", str(tmp_path / "file"),
                                       "--salt", salt])
    assert salted.exit_code == 0, salted.output
    pull(None, tmp_path / "plain", from_file=export)
    key = ["annotation_id"]
    got = {name: pl.read_parquet(tmp_path / name / "annotations.parquet").sort(key)
           for name in ("live", "file", "plain")}
    assert live.counts["annotations"] == 4 and got["live"]["annotator"].n_unique() == 2
    assert got["file"].equals(got["live"])
    assert not set(got["plain"]["annotator"]) & set(got["live"]["annotator"])  # default: project-<id>


def test_adjudication_round_trip_decides_a_tie_in_the_release(studio, client, project_title, tmp_path):
    from conflictset.export.build_dir import load_ties
    from conflictset.export.release import release

    sentences = make_sentences()
    build = write_build_dir(tmp_path / "build", sentences)
    title = project_title[:30]
    pushed = push(build, title, client=client)
    ids = client.task_sentence_ids(pushed.project_id)
    tie, single = "a2-00001", "a1-00000"  # "A roadside bomb killed two soldiers…", "Air strikes…"
    first, second, judge = (_user(client, f"{who}{project_title[-9:]}") for who in ("ann", "bnn", "judge"))
    _annotate(client, ids[tie], ["Explosions/Remote violence", "Remote explosive/landmine/IED"], completed_by=first)
    _annotate(client, ids[tie], ["Explosions/Remote violence", "Shelling/artillery/missile attack"],
              completed_by=second)
    _annotate(client, ids[single], ["Explosions/Remote violence", "Air/drone strike"], completed_by=first)
    pull(title, build, client=client)

    (row,) = load_ties(build).to_dicts()
    assert row["sentence_id"] == tie and row["n_annotators"] == 2
    before = release(build, "1.0.0", tmp_path / "r1")
    final = pl.read_parquet(tmp_path / "r1" / "data" / "sentences.parquet")
    assert final.filter(pl.col("sentence_id") == tie)["label_source"].to_list() == ["unresolved"]
    assert before.counts["ties"] == 1

    runner, env = CliRunner(), studio.env()
    cli = runner.invoke(main, ["push", str(build), "--adjudicate", "--no-progress"], env=env)
    assert cli.exit_code == 0, cli.output + cli.stderr
    adjudication = f"{title} — adjudication"
    assert f"pushed 1 new tie(s) to {adjudication!r}" in cli.output
    assert push_adjudication(build, client=client).pushed == 0  # idempotent
    with pytest.raises(InputError, match="is a review project"):
        push_adjudication(build, title, client=client)  # ties never go into the review project
    with pytest.raises(InputError, match="is an adjudication project"):
        push(build, adjudication, client=client)
    project = client.find_project(adjudication)
    (task,) = client.tasks(project["id"], fields="all")
    assert task["data"]["sentence_id"] == tie and task["predictions"] == []
    assert task["data"]["candidates"] == "; ".join(row["candidate_labels"])
    assert "Explosions/Remote violence / Remote explosive/landmine/IED ×1" in task["data"]["candidates"]
    ledger_rows = ledger.of_project(ledger.read(build / "pushed.parquet"), project["id"])
    assert ledger_rows.rows() == [(project["id"], tie, task["id"])]
    # the adjudicator decides; no ground-truth star needed: the project exists to decide
    _annotate(client, task["id"], ["Explosions/Remote violence", "Remote explosive/landmine/IED"],
              completed_by=judge)

    pulled = runner.invoke(main, ["pull", "--project", adjudication, "--out", str(build)], env=env)
    assert pulled.exit_code == 0, pulled.output + pulled.stderr
    assert "1 decision(s) merged into annotations.parquet" in pulled.output
    decisions = pl.read_parquet(build / "adjudications.parquet")
    assert decisions.select("sentence_id", "ground_truth").rows() == [(tie, True)]
    assert load_ties(build).is_empty()
    # pulling the review project again keeps the decision (order does not matter)
    pull(title, build, client=client)
    assert pl.read_parquet(build / "annotations.parquet")["ground_truth"].sum() == 1

    release(build, "1.0.1", tmp_path / "r2")
    final = pl.read_parquet(tmp_path / "r2" / "data" / "sentences.parquet").filter(pl.col("sentence_id") == tie)
    # the adjudicator is a voter of their own (the adjudication project's pseudonyms): 3 annotators
    assert final.select("label_source", "event_type", "sub_event_type", "n_annotators", "agreement").rows() == [
        ("adjudicated", "Explosions/Remote violence", "Remote explosive/landmine/IED", 3, False)]
    published = pl.read_parquet(tmp_path / "r2" / "data" / "annotations.parquet")
    assert published.filter(pl.col("ground_truth"))["annotation_id"].to_list() == decisions["annotation_id"].to_list()
    again = runner.invoke(main, ["push", str(build), "--adjudicate", "--no-progress"], env=env)
    assert again.exit_code == 0 and "no ties" in again.output
