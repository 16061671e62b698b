"""Push → review through the API → pull against a real Label Studio server."""

from __future__ import annotations

import copy
import subprocess
import sys

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from studio_helpers import VERSION, sentence_frame, write_build

from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import push

pytestmark = pytest.mark.studio
CLI = [sys.executable, "-c", "from conflictset.cli import main; main()"]


def _annotate(client, task_id: int, result: list, **extra) -> dict:
    return client.sdk.annotations.create(task_id, result=result, **extra).dict()


def _prediction_result(client, task_id: int) -> list:
    task = client.sdk.tasks.get(task_id).dict()
    (prediction,) = task["predictions"]
    return copy.deepcopy(prediction["result"])


def _taxonomy(path: list[str]) -> dict:
    return {"from_name": "event", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [path]}}


def _span(text: str, label: str, surface: str) -> dict:
    start = text.index(surface)
    return {"from_name": "span", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}}


def test_reviewer_actions_round_trip_exactly(client, project_title, tmp_path):
    frame = sentence_frame()
    build = write_build(tmp_path / "build", frame)
    first = push(build, project_title, client=client)
    assert (first.selected, first.already, first.pushed) == (8, 0, 8)
    ids = client.task_sentence_ids(first.project_id)
    sid = frame["sentence_id"].to_list()
    texts = dict(zip(sid, frame["text"]))
    task = {s: ids[s] for s in sid}

    # 0: accepted unchanged (with a lead time, marked ground truth)
    _annotate(client, task[sid[0]], _prediction_result(client, task[sid[0]]), lead_time=12.5,
              ground_truth=True)
    # 1: sub-event type changed, spans kept
    changed = _prediction_result(client, task[sid[1]])
    changed[0]["value"]["taxonomy"] = [["Explosions/Remote violence", "Shelling/artillery/missile attack"]]
    _annotate(client, task[sid[1]], changed)
    # 3: the LOCATION span deleted
    fewer = [r for r in _prediction_result(client, task[sid[3]]) if r["type"] != "labels"]
    _annotate(client, task[sid[3]], fewer)
    # 4: marked "No event"
    _annotate(client, task[sid[4]], [_taxonomy(["No event"])])
    # 5: two annotators disagree
    second = client.sdk.users.create(email=f"second-{project_title[-12:]}@example.org",
                                     username=f"u{project_title[-12:]}").dict()
    _annotate(client, task[sid[5]], _prediction_result(client, task[sid[5]]))
    _annotate(client, task[sid[5]], [_taxonomy(["Battles", "Armed clash"]),
                                     _span(texts[sid[5]], "LOCATION", "Deir ez-Zor")],
              completed_by=second["id"])
    # 6: skipped
    _annotate(client, task[sid[6]], [], was_cancelled=True)
    # 2 and 7: untouched

    out = tmp_path / "pulled"
    result = pull(project_title, out, client=client)
    c = result.counts
    assert (c["tasks"], c["annotated"], c["unannotated"], c["skipped"]) == (8, 5, 2, 1)
    assert c["tasks"] == c["annotated"] + c["unannotated"] + c["skipped"] == first.pushed
    assert (c["annotations"], c["quarantined"]) == (7, 0)

    ann = pl.read_parquet(out / "annotations.parquet")
    by_sentence = {s: ann.filter(pl.col("sentence_id") == s).sort("annotation_id").to_dicts() for s in sid}

    (a0,) = by_sentence[sid[0]]
    assert (a0["event_type"], a0["sub_event_type"]) == ("Battles", "Armed clash")
    assert [(s["label"], s["text"]) for s in a0["spans"]] == sorted(
        [("ACTOR", "SDF"), ("ACTOR", "IS"), ("LOCATION", "Raqqa"), ("DATE", "dinsdag")],
        key=lambda x: texts[sid[0]].index(x[1]))
    assert a0["prediction_accepted"] is True and a0["prelabel_version"] == VERSION
    assert a0["lead_time"] == 12.5 and a0["ground_truth"] is True and a0["was_cancelled"] is False
    assert a0["task_id"] == task[sid[0]] and a0["created_at"] is not None

    (a1,) = by_sentence[sid[1]]
    assert (a1["event_type"], a1["sub_event_type"]) == ("Explosions/Remote violence",
                                                         "Shelling/artillery/missile attack")
    assert {s["text"] for s in a1["spans"]} == {"Tabqa", "twaalf"}
    assert a1["prediction_accepted"] is False

    (a3,) = by_sentence[sid[3]]
    assert (a3["event_type"], a3["sub_event_type"], a3["spans"]) == ("Protests", "Peaceful protest", [])
    assert a3["prediction_accepted"] is False

    (a4,) = by_sentence[sid[4]]
    assert (a4["event_type"], a4["sub_event_type"], a4["spans"]) == (None, None, [])
    assert a4["prediction_accepted"] is False

    admin5, second5 = by_sentence[sid[5]]
    assert admin5["prediction_accepted"] is True
    assert (second5["event_type"], second5["sub_event_type"]) == ("Battles", "Armed clash")
    assert [(s["label"], s["text"]) for s in second5["spans"]] == [("LOCATION", "Deir ez-Zor")]
    assert admin5["annotator"] != second5["annotator"]
    assert all(a["annotator"].startswith("ann-") for a in ann.to_dicts())
    assert ann.filter(pl.col("sentence_id") != sid[5])["annotator"].n_unique() == 1  # admin is stable

    (a6,) = by_sentence[sid[6]]
    assert a6["was_cancelled"] is True and a6["event_type"] is None and a6["prediction_accepted"] is False
    assert by_sentence[sid[2]] == [] and by_sentence[sid[7]] == []

    tasks = pl.read_parquet(out / "tasks.parquet")
    status = dict(zip(tasks["sentence_id"], tasks["status"]))
    assert status == {sid[0]: "annotated", sid[1]: "annotated", sid[2]: "unannotated",
                      sid[3]: "annotated", sid[4]: "annotated", sid[5]: "annotated",
                      sid[6]: "skipped", sid[7]: "unannotated"}

    # the same tables read back by pyarrow and duckdb; no e-mail address anywhere
    assert pq.read_table(out / "annotations.parquet").num_rows == 7
    assert duckdb.sql(f"select count(*) from '{out / 'tasks.parquet'}' where status = 'skipped'").fetchall() == [(1,)]
    for name in ("annotations", "tasks", "annotation_quarantine"):
        assert "@" not in str(pl.read_parquet(out / f"{name}.parquet").to_dicts())

    again = push(build, project_title, client=client)
    assert (again.pushed, again.already) == (0, 8)


def test_invalid_annotations_from_the_server_are_quarantined(client, project_title, tmp_path):
    frame = sentence_frame()
    build = write_build(tmp_path / "build", frame)
    pushed = push(build, project_title, client=client)
    ids = client.task_sentence_ids(pushed.project_id)
    sid, texts = frame["sentence_id"].to_list(), dict(zip(frame["sentence_id"], frame["text"]))
    # the server stores annotations without checking them against the config
    _annotate(client, ids[sid[0]], [_taxonomy(["Battles", "Coup d'état"])])
    _annotate(client, ids[sid[1]], [_taxonomy(["Riots", "Armed clash"])])
    bad_span = _span(texts[sid[2]], "ACTOR", "gemeenteraad")
    bad_span["value"]["end"] = 999
    _annotate(client, ids[sid[2]], [_taxonomy(["No event"]), bad_span])
    kobani = _span(texts[sid[3]], "ACTOR", "Kobani")
    weapon = {**kobani, "value": {**kobani["value"], "labels": ["WEAPON"]}}
    _annotate(client, ids[sid[3]], [_taxonomy(["No event"]), weapon])
    _annotate(client, ids[sid[4]], [_taxonomy(["No event"])])

    out = tmp_path / "pulled"
    result = pull(project_title, out, client=client)
    quarantine = pl.read_parquet(out / "annotation_quarantine.parquet").sort("source_row")
    assert quarantine["reason"].to_list() == ["unknown_label", "wrong_parent", "span_out_of_range",
                                              "unknown_label"]
    assert set(quarantine["stage"]) == {"from_label_studio"}
    assert all(f"({s})" in m for s, m in zip(sid[:4], quarantine["message"]))
    assert result.counts["annotations"] == 1 and result.counts["quarantined"] == 4
    # every task is still accounted for: quarantined annotations do not lose their tasks
    assert result.counts["tasks"] == 8 and result.counts["annotated"] == 5
    assert "@" not in str(pl.read_parquet(out / "annotation_quarantine.parquet").to_dicts())


def test_push_filters_and_review_order(client, project_title, tmp_path):
    build = write_build(tmp_path / "build", sentence_frame())
    result = push(build, project_title, client=client, min_score=0.5, order="uncertain", limit=3)
    assert result.pushed == 3
    tasks = list(client.tasks(result.project_id, fields="all"))
    order = [(t["id"], t["data"]["sentence_id"], t["predictions"][0]["score"])
             for t in sorted(tasks, key=lambda t: t["id"])]
    assert [o[2] for o in order] == [0.55, 0.6, 0.65]  # closest to 0.5 first, all ≥ 0.5
    more = push(build, project_title, client=client, min_score=0.5, order="uncertain")
    assert (more.pushed, more.already) == (3, 3)  # 0.7, 0.8, 0.9 were left out by --limit


def test_push_resumes_after_an_injected_failure(studio, project_title, tmp_path):
    from conflictset.export.label_studio.client import StudioClient

    class DiesAfterThreeBatches(StudioClient):
        calls = 0

        def import_tasks(self, project_id, body):
            if self.calls == 3:
                raise KeyboardInterrupt
            self.calls += 1
            return super().import_tasks(project_id, body)

    from studio_helpers import many_sentences

    build = write_build(tmp_path / "build", many_sentences(50))
    with DiesAfterThreeBatches(studio.url, studio.token) as dying, pytest.raises(KeyboardInterrupt):
        push(build, project_title, client=dying, batch_size=7)
    with studio.client() as client:
        project = client.find_project(project_title)
        assert len(client.task_sentence_ids(project["id"])) == 21
        resumed = push(build, project_title, client=client, batch_size=7)
        assert (resumed.already, resumed.pushed) == (21, 29)
        _assert_complete(client, project["id"], 50)


def _assert_complete(client, project_id: int, n: int) -> None:
    tasks = list(client.tasks(project_id))
    sentence_ids = [t["data"]["sentence_id"] for t in tasks]
    assert len(sentence_ids) == n and len(set(sentence_ids)) == n


def test_killed_push_process_resumes_without_duplicates(studio, project_title, tmp_path):
    import signal
    import time

    from studio_helpers import many_sentences

    n = 80
    build = write_build(tmp_path / "build", many_sentences(n))
    cmd = [*CLI, "push", str(build), "--project", project_title,
           "--batch-size", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, env=studio.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = 0
    with studio.client() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            project = client.find_project(project_title)
            seen = len(client.task_sentence_ids(project["id"])) if project else 0
            if seen >= 10:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        project = client.find_project(project_title)
        killed_at = len(client.task_sentence_ids(project["id"]))
        assert 10 <= killed_at < n, "the push finished before it could be killed"
        again = subprocess.run([*cmd[:-3], "--no-progress"], env=studio.env(), capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert f"pushed {n - killed_at} new task(s)" in again.stdout
        _assert_complete(client, project["id"], n)
        # the ledger holds every task once, including any the kill struck before it was recorded
        from conflictset.export.label_studio import ledger

        recorded = ledger.read(build / "pushed.parquet")
        assert dict(zip(recorded["sentence_id"], recorded["task_id"])) == client.task_sentence_ids(project["id"])
        assert recorded.height == n


def test_seed_build_round_trip(client, project_title, seed_txt, tmp_path):
    """The real pipeline: build the seed article, push it, accept every pre-label, pull."""
    from conflictset.dataset.build import build

    build(seed_txt, tmp_path / "build")
    sentences = pl.read_parquet(tmp_path / "build" / "sentences.parquet")
    pushed = push(tmp_path / "build", project_title, client=client)
    assert pushed.pushed == sentences.height
    ids = client.task_sentence_ids(pushed.project_id)
    labelled = sentences.filter(pl.col("event_type").is_not_null())
    for sid in labelled["sentence_id"]:
        _annotate(client, ids[sid], _prediction_result(client, ids[sid]))
    result = pull(project_title, tmp_path / "pulled", client=client)
    assert result.counts["tasks"] == sentences.height
    assert result.counts["annotated"] == labelled.height and result.counts["quarantined"] == 0
    ann = pl.read_parquet(tmp_path / "pulled" / "annotations.parquet")
    assert ann["prediction_accepted"].all()
    got = ann.select("sentence_id", "event_type", "sub_event_type", "spans").sort("sentence_id")
    want = labelled.select("sentence_id", "event_type", "sub_event_type", "spans").sort("sentence_id")
    # spans come back in text order; the pre-labeller's order may differ
    order = lambda f: f.with_columns(pl.col("spans").list.eval(pl.element().sort_by(  # noqa: E731
        pl.element().struct.field("start"), pl.element().struct.field("end"))))
    assert order(got).equals(order(want))
