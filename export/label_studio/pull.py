"""Pull: a Label Studio snapshot export → annotations, task statuses and a quarantine table.

The export is a JSON array of tasks. ``read_export`` splits it into one raw JSON text per task
(a truncated file keeps every complete task and quarantines the broken tail). Stage
``from_label_studio`` parses each annotation's result with :func:`parse_result`; anything it
cannot map back onto the taxonomy and the sentence (unknown label, wrong parent, offsets outside
the text, a task from another project…) goes to the quarantine with a reason code, and so do
the annotations of a duplicate task (the same sentence imported twice: the lowest task id is
kept) and every task the push ledger (:mod:`.ledger`) lists but the server no longer has. So
pushed = annotated + unannotated + skipped + deleted, and annotations in = parsed + quarantined.

An adjudication project's pull (``push --adjudicate``) marks each decision ``ground_truth``,
writes ``adjudications.parquet`` and merges the decisions into ``annotations.parquet``, which
the release reads. All tables of one pull are renamed into place together.

Annotators become stable pseudonyms (``ann-`` + sha256(project salt, user id)); e-mails and
names in the export are never written.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import polars as pl

from conflictset.dataset.io import write_parquet
from conflictset.dataset.stages import run_stage
from conflictset.dataset.staging import staged
from conflictset.export.label_studio import config as cfg
from conflictset.export.label_studio import ledger
from conflictset.export.label_studio.client import StudioClient, connect
from conflictset.export.label_studio.errors import StudioServerError
from conflictset.export.label_studio.push import adjudicated_project, check_config, project_salt
from conflictset.schemas.annotations import Annotation, Task
from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.errors import InputError
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA, Quarantine
from conflictset.schemas.reasons import Reason
from conflictset.schemas.spans import SPAN_LABELS
from conflictset.schemas.tables import read_table
from conflictset.schemas.taxonomy import EVENT_TYPES, NO_EVENT, PARENT_OF
from conflictset.schemas.validation import validate

STAGE = "from_label_studio"
EXPORT_SCHEMA = {"source_row": pl.Int64(), "raw": pl.String()}
ANNOTATION_SCHEMA = dtypes(Annotation)
TASK_SCHEMA = dtypes(Task)
#: keys of an annotation that can carry a person's identity; replaced before anything is kept
_IDENTITY_KEYS = ("completed_by", "updated_by", "last_created_by", "created_username",
                  "created_by", "reviewed_by")


class Labels(NamedTuple):
    """What an annotation (or a pre-label) says about a sentence, in canonical form."""

    event_type: str | None
    sub_event_type: str | None
    spans: tuple[tuple[str, int, int, str], ...]  # (label, start, end, text) in text order


class ResultProblem(ValueError):
    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


def parse_result(result, text: str, *, cancelled: bool = False) -> Labels:
    """Map a Label Studio result list back onto taxonomy labels and sentence spans.

    Raises :class:`ResultProblem` with a reason code for anything that does not fit.
    """
    if not isinstance(result, list):
        raise ResultProblem(Reason.MALFORMED_RESULT, f"result is a {type(result).__name__}, not a list")
    paths: list = []
    spans: list[tuple[str, int, int, str]] = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise ResultProblem(Reason.MALFORMED_RESULT, f"result item {str(item)[:80]!r} has no value")
        kind, name, value = item.get("type"), item.get("from_name"), item["value"]
        if kind == "taxonomy" and name == cfg.TAXONOMY_NAME:
            chosen = value.get("taxonomy")
            if not isinstance(chosen, list):
                raise ResultProblem(Reason.MALFORMED_RESULT, "taxonomy value is not a list of paths")
            paths.extend(chosen)
        elif kind == "labels" and name == cfg.SPAN_NAME:
            spans.append(_parse_span(value, text))
        else:
            raise ResultProblem(Reason.UNKNOWN_LABEL,
                                f"result from control {name!r} of type {kind!r} is not in the config")
    if not paths:
        if cancelled:
            return Labels(None, None, _ordered(spans))
        raise ResultProblem(Reason.MALFORMED_RESULT, "no event type chosen")
    if len(paths) > 1:
        raise ResultProblem(Reason.MALFORMED_RESULT, f"{len(paths)} event types chosen, expected one")
    event_type, sub = _parse_path(paths[0])
    return Labels(event_type, sub, _ordered(spans))


def _ordered(spans) -> tuple[tuple[str, int, int, str], ...]:
    """Spans in text order (start, end, label): the canonical order on both sides."""
    return tuple(sorted(spans, key=lambda s: (s[1], s[2], s[0])))


def _parse_path(path) -> tuple[str | None, str | None]:
    if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
        raise ResultProblem(Reason.MALFORMED_RESULT, f"taxonomy path {path!r} is not a list of strings")
    if path == [NO_EVENT]:
        return None, None
    if len(path) != 2:
        known = path and (path[-1] in PARENT_OF or path[-1] in EVENT_TYPES or path[-1] == NO_EVENT)
        reason = Reason.MALFORMED_RESULT if known else Reason.UNKNOWN_LABEL
        raise ResultProblem(reason, f"taxonomy path {path!r} is not event type → sub-event type")
    event_type, sub = path
    if event_type not in EVENT_TYPES:
        raise ResultProblem(Reason.UNKNOWN_LABEL, f"unknown event type {event_type!r}")
    if sub not in PARENT_OF:
        raise ResultProblem(Reason.UNKNOWN_LABEL, f"unknown sub-event type {sub!r}")
    if PARENT_OF[sub] != event_type:
        raise ResultProblem(Reason.WRONG_PARENT,
                            f"sub-event type {sub!r} belongs to {PARENT_OF[sub]!r}, not {event_type!r}")
    return event_type, sub


def _parse_span(value: dict, text: str) -> tuple[str, int, int, str]:
    labels, start, end = value.get("labels"), value.get("start"), value.get("end")
    if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
        raise ResultProblem(Reason.MALFORMED_RESULT, f"span labels {labels!r}: expected exactly one")
    if labels[0] not in SPAN_LABELS:
        raise ResultProblem(Reason.UNKNOWN_LABEL, f"unknown span label {labels[0]!r}")
    if type(start) is not int or type(end) is not int:
        raise ResultProblem(Reason.MALFORMED_RESULT, f"span offsets {start!r}, {end!r} are not integers")
    if not 0 <= start < end <= len(text):
        raise ResultProblem(Reason.SPAN_OUT_OF_RANGE,
                            f"span [{start}, {end}) is outside the sentence of {len(text)} characters")
    if "text" in value and value["text"] != text[start:end]:
        raise ResultProblem(Reason.SPAN_TEXT_MISMATCH,
                            f"span text {value['text']!r} differs from the sentence's {text[start:end]!r}")
    return labels[0], start, end, text[start:end]


def pseudonym(user, salt: str) -> str | None:
    """``ann-`` + 10 hex of sha256(salt, user id); works for ints and for {"id": …} objects."""
    uid = user.get("id") if isinstance(user, dict) else user
    if uid is None:
        return None
    return "ann-" + hashlib.sha256(f"{salt}:{uid}".encode()).hexdigest()[:10]


def _scrub(annotation: dict, salt: str) -> dict:
    clean = {k: v for k, v in annotation.items() if k not in _IDENTITY_KEYS}
    clean["annotator"] = pseudonym(annotation.get("completed_by"), salt)
    clean.pop("prediction", None)  # repeated in the task; keeps quarantine rows small
    return clean


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# -- reading the export -------------------------------------------------------------------------
def read_export(text: str, source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split an export (JSON array of tasks) into ``source_row, raw`` rows + quarantine.

    Parsing task by task means a truncated file still yields every complete task; the broken
    tail is kept verbatim in the quarantine (``truncated_export``).
    """
    decoder = json.JSONDecoder()
    rows, bad = [], []
    pos = _skip(text, 0)
    if pos >= len(text):
        bad.append(_qrow(source_file, None, None, Reason.TRUNCATED_EXPORT, "the export is empty", text))
        return pl.DataFrame(rows, schema=EXPORT_SCHEMA), pl.DataFrame(bad, schema=QUARANTINE_SCHEMA)
    if text[pos] != "[":
        bad.append(_qrow(source_file, None, None, Reason.MALFORMED_RESULT,
                         "the export is not a JSON array of tasks", text))
        return pl.DataFrame(rows, schema=EXPORT_SCHEMA), pl.DataFrame(bad, schema=QUARANTINE_SCHEMA)
    pos = _skip(text, pos + 1)
    n = 0
    while pos < len(text) and text[pos] != "]":
        n += 1
        try:
            _, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            bad.append(_qrow(source_file, n, None, Reason.TRUNCATED_EXPORT,
                             f"task {n} and everything after it cannot be parsed ({exc.msg} at "
                             f"character {exc.pos}); was the export cut off?", text[pos:]))
            break
        rows.append({"source_row": n, "raw": text[pos:end]})
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
    else:
        if pos >= len(text):
            bad.append(_qrow(source_file, n + 1, None, Reason.TRUNCATED_EXPORT,
                             "the export ends without closing ']'; it was cut off", ""))
    return pl.DataFrame(rows, schema=EXPORT_SCHEMA), pl.DataFrame(bad, schema=QUARANTINE_SCHEMA)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _qrow(source_file, row, field_, reason: Reason, message: str, raw) -> dict:
    return {"stage": STAGE, "source_file": source_file, "source_row": row, "field": field_,
            "reason": reason.value, "message": message,
            "raw": raw if raw is None or isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)}


# -- the stage ----------------------------------------------------------------------------------
class PullFrames(NamedTuple):
    annotations: pl.DataFrame
    tasks: pl.DataFrame
    quarantine: pl.DataFrame
    duplicate_task_ids: tuple[int, ...] = ()  # set aside: an earlier task has the same sentence
    deleted_task_ids: tuple[int, ...] = ()  # ledger tasks the export no longer has
    pushed_task_ids: tuple[int, ...] | None = None  # ledger tasks of the project (None: no ledger)
    adjudication: bool = False  # an adjudication project's export


def _sentence_of(task) -> tuple[str | None, str | None]:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    sid, text = data.get("sentence_id"), data.get("text")
    return (sid, text) if isinstance(sid, str) and isinstance(text, str) else (None, None)


def from_label_studio(export: pl.DataFrame, *, project_id: int | None = None,
                      salt: str | None = None, source_file: str = "export",
                      pushed: pl.DataFrame | None = None, adjudication: bool | None = None) -> PullFrames:
    """Stage: export rows (``source_row, raw``) → annotations, tasks, quarantine.

    ``project_id``: tasks of any other project are quarantined (``foreign_project``); when
    None, the project most tasks belong to is taken. ``salt`` for the annotator pseudonyms
    defaults to ``project-<id>``. Several tasks with the same sentence (imported twice by hand):
    the lowest task id is kept, the others' annotations are quarantined (``duplicate_task``).
    ``pushed``: the push ledger (:mod:`.ledger`); its tasks of this project missing from the
    export were deleted on the server (``deleted_task``). ``adjudication``: the export is an
    adjudication project's (default: its tasks carry candidates); every decision that is not a
    skip is marked ``ground_truth``.
    """
    tasks_json = [json.loads(raw) for raw in export["raw"]]
    if project_id is None:
        counts = Counter(t.get("project") for t in tasks_json if isinstance(t, dict))
        project_id = min(counts, key=lambda p: (-counts[p], str(p))) if counts else None
    if salt is None:
        salt = f"project-{project_id}"
    ours = [t for t in tasks_json if isinstance(t, dict) and type(t.get("id")) is int
            and t.get("project") in (None, project_id)]
    if adjudication is None:
        adjudication = any(cfg.CANDIDATES_KEY in (t.get("data") or {}) for t in ours
                           if isinstance(t.get("data"), dict))
    first_task: dict[str, int] = {}
    for t in ours:
        sid, _ = _sentence_of(t)
        if sid is not None:
            first_task[sid] = min(first_task.get(sid, t["id"]), t["id"])
    annotations, tasks, bad = [], [], []
    duplicates: list[int] = []
    for row, task in zip(export["source_row"], tasks_json):
        where = f"task {task.get('id') if isinstance(task, dict) else '?'}"
        if not isinstance(task, dict) or type(task.get("id")) is not int:
            bad.append(_qrow(source_file, row, "task", Reason.MALFORMED_RESULT,
                             "not a Label Studio task (no integer id)", task))
            continue
        if task.get("project") is not None and task.get("project") != project_id:
            bad.append(_qrow(source_file, row, "project", Reason.FOREIGN_PROJECT,
                             f"{where} belongs to project {task.get('project')}, not {project_id}",
                             _scrub_task(task, salt)))
            continue
        sid, text = _sentence_of(task)
        if sid is None:
            bad.append(_qrow(source_file, row, "data.sentence_id", Reason.UNKNOWN_TASK,
                             f"{where} has no data.sentence_id/text: it was not pushed by conflictset",
                             _scrub_task(task, salt)))
            continue
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        if task["id"] != first_task[sid]:
            duplicates.append(task["id"])
            bad.extend(_duplicate_rows(source_file, row, task, anns, first_task[sid], sid, salt))
            continue
        prediction, prelabel = _prediction(task, text)
        version = prediction.get("model_version") if prediction else None
        cancelled = sum(a.get("was_cancelled") is True for a in anns)
        status = "unannotated" if not anns else ("skipped" if cancelled == len(anns) else "annotated")
        tasks.append({"task_id": task["id"], "sentence_id": sid, "project_id": project_id,
                      "status": status, "n_annotations": len(anns), "n_cancelled": cancelled,
                      "prelabel_version": version})
        for i, ann in enumerate(anns):
            wrong = _wrong_field(ann)
            if wrong:
                bad.append(_qrow(source_file, row, f"annotations[{i}].{wrong[0]}", Reason.MALFORMED_RESULT,
                                 f"{where} ({sid}), annotation {ann.get('id')}: {wrong[1]}", _scrub(ann, salt)))
                continue
            was_cancelled = ann.get("was_cancelled") is True
            try:
                labels = parse_result(ann.get("result"), text, cancelled=was_cancelled)
            except ResultProblem as problem:
                bad.append(_qrow(source_file, row, f"annotations[{i}].result", problem.reason,
                                 f"{where} ({sid}), annotation {ann.get('id')}: {problem}",
                                 _scrub(ann, salt)))
                continue
            annotations.append({
                "sentence_id": sid, "task_id": task["id"], "annotation_id": ann.get("id"),
                "annotator": pseudonym(ann.get("completed_by"), salt),
                "event_type": labels.event_type, "sub_event_type": labels.sub_event_type,
                "spans": [dict(zip(("label", "start", "end", "text"), s)) for s in labels.spans],
                "lead_time": ann.get("lead_time"), "was_cancelled": was_cancelled,
                # an adjudication project exists to decide: its answers are the ground truth
                "ground_truth": ann.get("ground_truth") is True or (adjudication and not was_cancelled),
                "created_at": _time(ann.get("created_at")), "updated_at": _time(ann.get("updated_at")),
                "prediction_accepted": None if prelabel is None else (not was_cancelled and labels == prelabel),
                "prelabel_version": version,
            })
    mine = ledger.of_project(pushed if pushed is not None else ledger.empty(), project_id)
    gone = mine.filter(~pl.col("task_id").is_in([t["id"] for t in ours])).sort("task_id")
    bad.extend(_qrow(source_file, None, "task", Reason.DELETED_TASK,
                     f"task {tid} (sentence {sid}) was pushed to project {project_id} but is no longer "
                     "on the server: it was deleted in Label Studio (re-run `conflictset push` to "
                     "send the sentence again if that was a mistake)",
                     {"project_id": project_id, "task_id": tid, "sentence_id": sid})
               for sid, tid in gone.select("sentence_id", "task_id").iter_rows())
    return PullFrames(
        validate(pl.DataFrame(annotations, schema=ANNOTATION_SCHEMA), Annotation,
                 table="annotations", stage=STAGE),
        validate(pl.DataFrame(tasks, schema=TASK_SCHEMA), Task, table="tasks", stage=STAGE),
        pl.DataFrame(bad, schema=QUARANTINE_SCHEMA),
        tuple(duplicates), tuple(gone["task_id"]), None if pushed is None else tuple(mine["task_id"]),
        adjudication,
    )


#: annotation fields we copy, and the JSON types a Label Studio export gives them
_FIELD_TYPES = {"id": (int,), "lead_time": (int, float, type(None)), "was_cancelled": (bool, type(None)),
                "ground_truth": (bool, type(None))}


def _wrong_field(ann: dict) -> tuple[str, str] | None:
    """``(field, problem)`` for the first copied field of the wrong type (a hand-edited export):
    such an annotation is quarantined, never half-read (``"false"`` is not False)."""
    for name, types in _FIELD_TYPES.items():
        value = ann.get(name)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            return name, f"{name} is {json.dumps(value)}, expected {expected}"
    if isinstance(ann.get("lead_time"), (int, float)) and not ann["lead_time"] >= 0:
        return "lead_time", f"lead_time is {ann['lead_time']}, expected a number ≥ 0"
    return None


def _duplicate_rows(source_file, row, task: dict, anns: list[dict], kept: int, sid: str,
                    salt: str) -> list[dict]:
    """Quarantine rows for a duplicate task: one per annotation, or one for the bare task."""
    where = (f"task {task['id']} repeats sentence {sid} of task {kept} (imported twice?); the "
             f"lowest task id is kept")
    if not anns:
        return [_qrow(source_file, row, "task", Reason.DUPLICATE_TASK, f"{where}; it has no annotation",
                      _scrub_task(task, salt))]
    return [_qrow(source_file, row, f"annotations[{i}]", Reason.DUPLICATE_TASK,
                  f"{where}; annotation {ann.get('id')} is set aside — copy it to task {kept} in "
                  "Label Studio and delete the duplicate to keep it", _scrub(ann, salt))
            for i, ann in enumerate(anns)]


def _scrub_task(task: dict, salt: str) -> dict:
    clean = dict(task)
    clean["annotations"] = [_scrub(a, salt) if isinstance(a, dict) else a
                            for a in task.get("annotations") or []]
    for key in _IDENTITY_KEYS:
        clean.pop(key, None)
    return clean


def _prediction(task: dict, text: str) -> tuple[dict | None, Labels | None]:
    """The pushed pre-label (the task's first prediction), parsed; unparseable → none."""
    preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    if not preds:
        return None, None
    try:
        return preds[0], parse_result(preds[0].get("result"), text)
    except ResultProblem:
        return preds[0], None


# -- pull ---------------------------------------------------------------------------------------
#: output file names of a review pull and of an adjudication pull
REVIEW_FILES = {"annotations": "annotations.parquet", "tasks": "tasks.parquet",
                "quarantine": "annotation_quarantine.parquet"}
ADJUDICATION_FILES = {"annotations": "adjudications.parquet", "tasks": "adjudication_tasks.parquet",
                      "quarantine": "adjudication_quarantine.parquet"}


@dataclass
class PullResult:
    out: Path
    project_id: int | None
    counts: dict = field(default_factory=dict)
    adjudication: bool = False

    def summary(self) -> str:
        c = self.counts
        kind = "adjudication tasks" if self.adjudication else "tasks"
        lines = [f"{c['tasks']} {kind} ({c['annotated']} annotated, {c['unannotated']} unannotated, "
                 f"{c['skipped']} skipped), {c['annotations']} annotations, "
                 f"{c['quarantined']} quarantined → {self.out}"]
        if c.get("pushed") is None:
            lines.append(f"no push ledger ({ledger.LEDGER_FILE}) here: deleted tasks cannot be "
                         "detected (pass --pushed BUILD_DIR/pushed.parquet)")
        else:
            line = (f"pushed {c['pushed']} = {c['pushed_annotated']} annotated + "
                    f"{c['pushed_unannotated']} unannotated + {c['pushed_skipped']} skipped + "
                    f"{c['deleted']} deleted in Label Studio")
            if c["pushed_duplicates"]:
                line += f" + {c['pushed_duplicates']} duplicate"
            if c["not_pushed"]:
                line += f"; {c['not_pushed']} task(s) were added by hand, not by this build's pushes"
            lines.append(line)
        if c["duplicates"]:
            lines.append(f"{c['duplicates']} duplicate task(s) set aside (same sentence as an earlier task)")
        if self.adjudication:
            lines.append(f"{c['decisions']} decision(s) " + (
                "merged into annotations.parquet" if c["merged"] else
                "kept in adjudications.parquet; pull the review project into the same directory "
                "to merge them"))
        return "\n".join(lines)


def pull(project: str | None, out: str | Path, *, client: StudioClient | None = None,
         from_file: str | Path | None = None, salt: str | None = None,
         pushed: str | Path | None = None, allow_config_change: bool = False) -> PullResult:
    """Export the project (or read ``from_file``) and write its Parquet tables to ``out``.

    ``salt``: for the annotator pseudonyms; default the project's own (stored in its description
    at the push) for a live pull, ``project-<id>`` for a file — pass the project's salt to get
    the same pseudonyms from a file. ``pushed``: the push ledger, default ``out/pushed.parquet``.
    A review project writes ``annotations.parquet``, ``tasks.parquet``,
    ``annotation_quarantine.parquet``; an adjudication project writes ``adjudications.parquet``,
    ``adjudication_tasks.parquet``, ``adjudication_quarantine.parquet``, and in both cases
    ``annotations.parquet`` ends up holding the review annotations plus the decisions.
    """
    out = Path(out)
    project_id, adjudication = None, None
    ledger_path = Path(pushed) if pushed is not None else out / ledger.LEDGER_FILE
    if pushed is not None and not ledger_path.is_file():
        raise InputError("no push ledger at this path", file=str(ledger_path),
                         fix=f"pass the {ledger.LEDGER_FILE} of the build directory you pushed from")
    if from_file is not None:
        path = Path(from_file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the export: {exc}", file=str(path),
                             fix="pass a Label Studio JSON export") from None
        source = path.name
    else:
        if not project:
            raise InputError("--project is required unless --from-file is given", field="--project")
        own = client is None
        client = client or connect()
        try:
            proj = client.project(project)
            if not allow_config_change:
                check_config(proj, current=False)
            project_id, salt = proj["id"], salt or project_salt(proj)
            adjudication = adjudicated_project(proj) is not None
            with tempfile.TemporaryDirectory() as tmp:
                text = client.export_snapshot(project_id, Path(tmp) / "export.json").read_text("utf-8")
        finally:
            if own:
                client.close()
        source = f"{client.url}/projects/{project_id}"
    export, unreadable = read_export(text, source)
    if project_id is not None and unreadable.height:
        # a live export is never legitimately cut off: the download broke, so retry, don't quarantine
        raise StudioServerError(
            f"the export of project {project!r} from {source} is incomplete "
            f"({unreadable['message'][0]}) — fix: re-run `conflictset pull`; nothing was written")
    frames = run_stage(STAGE, from_label_studio, export, project_id=project_id, salt=salt,
                       source_file=source, adjudication=adjudication,
                       pushed=ledger.read(ledger_path) if ledger_path.is_file() else None)
    quarantine = validate(pl.concat([unreadable, frames.quarantine]), Quarantine,
                          table="annotation_quarantine", stage=STAGE)
    names = ADJUDICATION_FILES if frames.adjudication else REVIEW_FILES
    tables, merged = _merged(out, frames.annotations, adjudication=frames.adjudication)
    tables.update({names["tasks"]: frames.tasks, names["quarantine"]: quarantine})
    _write_together(out, tables)
    status = frames.tasks["status"].value_counts()
    by = dict(zip(status["status"], status["count"]))
    counts = {"tasks": frames.tasks.height, "annotated": by.get("annotated", 0),
              "unannotated": by.get("unannotated", 0), "skipped": by.get("skipped", 0),
              "duplicates": len(frames.duplicate_task_ids), "annotations": frames.annotations.height,
              "decisions": int(frames.annotations["ground_truth"].sum()) if frames.adjudication else 0,
              "merged": merged, "quarantined": quarantine.height,
              "quarantine_reasons": dict(Counter(quarantine["reason"].to_list())),
              **reconcile(frames)}
    return PullResult(out, project_id, counts, frames.adjudication)


def reconcile(frames: PullFrames) -> dict:
    """The push ledger against the export: pushed = annotated + unannotated + skipped + deleted
    (+ duplicates, when a pushed task was imported again by hand), and the tasks no push recorded.

    ``pushed`` is None (and the rest 0) without a ledger.
    """
    if frames.pushed_task_ids is None:
        return {"pushed": None, "deleted": 0, "pushed_annotated": 0, "pushed_unannotated": 0,
                "pushed_skipped": 0, "pushed_duplicates": 0, "not_pushed": 0}
    pushed = set(frames.pushed_task_ids)
    status = frames.tasks.filter(pl.col("task_id").is_in(list(pushed)))["status"].to_list()
    dups = set(frames.duplicate_task_ids)
    return {"pushed": len(pushed), "deleted": len(frames.deleted_task_ids),
            "pushed_annotated": status.count("annotated"), "pushed_unannotated": status.count("unannotated"),
            "pushed_skipped": status.count("skipped"), "pushed_duplicates": len(dups & pushed),
            "not_pushed": frames.tasks.height - len(status) + len(dups - pushed)}


def _merged(out: Path, annotations: pl.DataFrame, *, adjudication: bool) -> tuple[dict, bool]:
    """The annotation tables to write, so that ``annotations.parquet`` = reviews + decisions, and
    whether ``annotations.parquet`` then holds any decision.

    Whichever project is pulled last, the result is the same: a review pull appends the
    decisions kept in ``adjudications.parquet``; an adjudication pull replaces the decisions it
    merged before (known by their ids in the previous ``adjudications.parquet``) with the new
    ones (and leaves ``annotations.parquet`` alone when there is none yet).
    """
    reviews_path, decisions_path = out / REVIEW_FILES["annotations"], out / ADJUDICATION_FILES["annotations"]
    tables: dict = {}
    if adjudication:
        previous = _read_annotations(decisions_path)
        tables[decisions_path.name] = annotations
        if not reviews_path.is_file():
            return tables, False
        stale = pl.concat([previous["annotation_id"], annotations["annotation_id"]])
        reviews = _read_annotations(reviews_path).filter(~pl.col("annotation_id").is_in(stale.implode()))
        decisions = annotations
    else:
        reviews = annotations
        decisions = _read_annotations(decisions_path)
        decisions = decisions.filter(~pl.col("annotation_id").is_in(reviews["annotation_id"].implode()))
    tables[reviews_path.name] = validate(pl.concat([reviews, decisions]), Annotation,
                                         table="annotations", stage=STAGE)
    return tables, decisions.height > 0


def _write_together(out: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Write every table into a staging directory first, then rename them into place in one go,
    so an interrupted pull leaves the previous pull's files, not a mix of old and new."""
    with staged(out, kind="pull") as stage:
        for name, frame in tables.items():
            write_parquet(frame, stage.path / name)
        stage.commit(list(tables))


def _read_annotations(path: Path) -> pl.DataFrame:
    if not path.is_file():
        return pl.DataFrame(schema=ANNOTATION_SCHEMA)
    frame = read_table(path, Annotation, fix="delete it and pull the review and adjudication projects again")
    try:
        return frame.select([pl.col(c).cast(t) for c, t in ANNOTATION_SCHEMA.items()])
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"a column has the wrong type ({type(exc).__name__}: {exc})", file=str(path),
                         fix="delete it and pull the review and adjudication projects again") from None
