"""Pull: a Label Studio snapshot export → annotations, task statuses and a quarantine table.

The export is a JSON array of tasks. ``read_export`` splits it into one raw JSON text per task
(a truncated file keeps every complete task and quarantines the broken tail). Stage
``from_label_studio`` parses each annotation's result with :func:`parse_result`; anything it
cannot map back onto the taxonomy and the sentence (unknown label, wrong parent, offsets outside
the text, a task from another project…) goes to the quarantine with a reason code, so
pushed = annotated + unannotated + skipped and annotations in = parsed + quarantined.

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

from dataset.errors import InputError
from dataset.io import write_parquet
from dataset.prelabel import SPAN_DTYPE
from dataset.stages import run_stage
from export.label_studio import config as cfg
from export.label_studio.client import StudioClient, connect
from export.label_studio.errors import StudioServerError
from export.label_studio.push import check_config, project_salt
from schemas.annotations import SPAN_LABELS, Annotation, Task
from schemas.pipeline import QUARANTINE_SCHEMA, Quarantine
from schemas.reasons import Reason
from schemas.taxonomy import EVENT_TYPES, NO_EVENT, PARENT_OF
from schemas.validation import validate

STAGE = "from_label_studio"
EXPORT_SCHEMA = {"source_row": pl.Int64(), "raw": pl.String()}
ANNOTATION_SCHEMA = {
    "sentence_id": pl.String(), "task_id": pl.Int64(), "annotation_id": pl.Int64(),
    "annotator": pl.String(), "event_type": pl.String(), "sub_event_type": pl.String(),
    "spans": SPAN_DTYPE, "lead_time": pl.Float64(), "was_cancelled": pl.Boolean(),
    "ground_truth": pl.Boolean(), "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"), "prediction_accepted": pl.Boolean(),
    "prelabel_version": pl.String(),
}
TASK_SCHEMA = {
    "task_id": pl.Int64(), "sentence_id": pl.String(), "project_id": pl.Int64(),
    "status": pl.String(), "n_annotations": pl.Int64(), "n_cancelled": pl.Int64(),
    "prelabel_version": pl.String(),
}
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


def from_label_studio(export: pl.DataFrame, *, project_id: int | None = None,
                      salt: str | None = None, source_file: str = "export") -> PullFrames:
    """Stage: export rows (``source_row, raw``) → annotations, tasks, quarantine.

    ``project_id``: tasks of any other project are quarantined (``foreign_project``); when
    None, the project most tasks belong to is taken. ``salt`` for the annotator pseudonyms
    defaults to ``project-<id>``.
    """
    tasks_json = [json.loads(raw) for raw in export["raw"]]
    if project_id is None:
        counts = Counter(t.get("project") for t in tasks_json if isinstance(t, dict))
        project_id = min(counts, key=lambda p: (-counts[p], str(p))) if counts else None
    if salt is None:
        salt = f"project-{project_id}"
    annotations, tasks, bad = [], [], []
    for row, task in zip(export["source_row"], tasks_json):
        where = f"task {task.get('id') if isinstance(task, dict) else '?'}"
        if not isinstance(task, dict) or type(task.get("id")) is not int:
            bad.append(_qrow(source_file, row, "task", Reason.MALFORMED_RESULT,
                             "not a Label Studio task (no integer id)", task))
            continue
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        sid, text = data.get("sentence_id"), data.get("text")
        if task.get("project") is not None and task.get("project") != project_id:
            bad.append(_qrow(source_file, row, "project", Reason.FOREIGN_PROJECT,
                             f"{where} belongs to project {task.get('project')}, not {project_id}",
                             _scrub_task(task, salt)))
            continue
        if not isinstance(sid, str) or not isinstance(text, str):
            bad.append(_qrow(source_file, row, "data.sentence_id", Reason.UNKNOWN_TASK,
                             f"{where} has no data.sentence_id/text: it was not pushed by conflictset",
                             _scrub_task(task, salt)))
            continue
        prediction, prelabel = _prediction(task, text)
        version = prediction.get("model_version") if prediction else None
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        cancelled = sum(bool(a.get("was_cancelled")) for a in anns)
        status = "unannotated" if not anns else ("skipped" if cancelled == len(anns) else "annotated")
        tasks.append({"task_id": task["id"], "sentence_id": sid, "project_id": project_id,
                      "status": status, "n_annotations": len(anns), "n_cancelled": cancelled,
                      "prelabel_version": version})
        for i, ann in enumerate(anns):
            was_cancelled = bool(ann.get("was_cancelled"))
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
                "ground_truth": bool(ann.get("ground_truth")),
                "created_at": _time(ann.get("created_at")), "updated_at": _time(ann.get("updated_at")),
                "prediction_accepted": None if prelabel is None else (not was_cancelled and labels == prelabel),
                "prelabel_version": version,
            })
    return PullFrames(
        validate(pl.DataFrame(annotations, schema=ANNOTATION_SCHEMA), Annotation,
                 table="annotations", stage=STAGE),
        validate(pl.DataFrame(tasks, schema=TASK_SCHEMA), Task, table="tasks", stage=STAGE),
        pl.DataFrame(bad, schema=QUARANTINE_SCHEMA),
    )


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
@dataclass
class PullResult:
    out: Path
    project_id: int | None
    counts: dict = field(default_factory=dict)

    def summary(self) -> str:
        c = self.counts
        return (f"{c['tasks']} tasks ({c['annotated']} annotated, {c['unannotated']} unannotated, "
                f"{c['skipped']} skipped), {c['annotations']} annotations, "
                f"{c['quarantined']} quarantined → {self.out}")


def pull(project: str | None, out: str | Path, *, client: StudioClient | None = None,
         from_file: str | Path | None = None, salt: str | None = None,
         allow_config_change: bool = False) -> PullResult:
    """Export the project (or read ``from_file``) and write the three Parquet tables to ``out``."""
    out = Path(out)
    project_id = None
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
                       source_file=source)
    quarantine = validate(pl.concat([unreadable, frames.quarantine]), Quarantine,
                          table="annotation_quarantine", stage=STAGE)
    write_parquet(frames.annotations, out / "annotations.parquet")
    write_parquet(frames.tasks, out / "tasks.parquet")
    write_parquet(quarantine, out / "annotation_quarantine.parquet")
    status = frames.tasks["status"].value_counts()
    by = dict(zip(status["status"], status["count"]))
    counts = {"tasks": frames.tasks.height, "annotated": by.get("annotated", 0),
              "unannotated": by.get("unannotated", 0), "skipped": by.get("skipped", 0),
              "annotations": frames.annotations.height, "quarantined": quarantine.height,
              "quarantine_reasons": dict(Counter(quarantine["reason"].to_list()))}
    return PullResult(out, project_id, counts)

