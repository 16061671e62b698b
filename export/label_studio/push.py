"""Push: sentences → Label Studio tasks with the pre-label as a prediction.

Stage ``to_label_studio`` turns a sentences frame into one JSON task per sentence, built with
polars expressions (no per-sentence Python loop). ``push`` creates or reuses the project, skips
sentences whose ``data.sentence_id`` is already there (idempotent, and resumable: every batch is
one server transaction, so a killed push leaves whole batches behind and the next push imports
the rest), checks every pre-label against the config and the taxonomy hierarchy, then imports in
batches. Every imported batch is recorded in the push ledger (``BUILD_DIR/pushed.parquet``,
:mod:`.ledger`) so a pull can report tasks deleted on the server.

``push_adjudication`` (``conflictset push --adjudicate``) sends the build's ties — sentences whose
reviewers disagree and that nobody decided (:func:`conflictset.export.build_dir.load_ties`) — to an adjudication
project: the same config plus the competing labels as read-only context, and no prediction (the
adjudicator decides without one answer pre-filled). Its pull marks every decision
``ground_truth``, which :mod:`export.adjudicate` takes as deciding.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from conflictset.dataset.stages import run_stage
from conflictset.export.build_dir import load_ties
from conflictset.export.label_studio import config as cfg
from conflictset.export.label_studio import ledger
from conflictset.export.label_studio.client import StudioClient, connect
from conflictset.export.label_studio.errors import ConfigChanged, ProjectMissing
from conflictset.schemas.annotations import Task
from conflictset.schemas.errors import InputError
from conflictset.schemas.prelabel import PrelabelledSentence
from conflictset.schemas.spans import SPAN_DTYPE
from conflictset.schemas.tables import read_table
from conflictset.schemas.taxonomy import NO_EVENT, PARENT_OF

ORDERS = ("document", "uncertain", "score")
DEFAULT_BATCH = 1000
SALT_MARK = "conflictset-salt:"
ADJUDICATION_MARK = "conflictset-adjudication-of:"
ADJUDICATION_SUFFIX = " — adjudication"
MAX_TITLE = 50  # Label Studio's limit

@dataclass(frozen=True)
class PushResult:
    project_id: int
    project_url: str
    selected: int  # sentences chosen by the filters
    already: int  # of those, already in the project
    pushed: int  # imported now
    batches: int
    title: str = ""


def _json_value(expr: pl.Expr) -> pl.Expr:
    """Any expression as its JSON text (strings quoted and escaped, nulls as null)."""
    encoded = pl.struct(expr.alias("v")).struct.json_encode()
    return encoded.str.slice(5, encoded.str.len_bytes() - 6)  # strip '{"v":' and '}'


def to_label_studio(sentences: pl.DataFrame, extra_data: tuple[str, ...] = ()) -> pl.DataFrame:
    """Stage: one task per sentence → frame ``sentence_id, article_id, sentence_index, language,
    score, task`` where ``task`` is the JSON the import endpoint takes.

    ``extra_data``: more string columns copied into the task data (adjudication: candidates).
    A sentence without ``prelabel_version`` gets no prediction."""
    ctx = lambda c: pl.col(c).cast(pl.String).fill_null("")  # noqa: E731 — Text tags need strings
    data = pl.struct(
        pl.col("sentence_id"), pl.col("article_id"), pl.col("text"),
        ctx("title").alias("title"), ctx("source").alias("source"),
        pl.col("published_at").cast(pl.String).fill_null("").alias("date"),
        ctx("prev_text").alias("prev_text"), ctx("next_text").alias("next_text"),
        ctx("language").alias("language"),
        *[ctx(c).alias(c) for c in extra_data],
    ).struct.json_encode()
    path = (pl.when(pl.col("event_type").is_null())
            .then(pl.concat_list(pl.lit(NO_EVENT)))
            .otherwise(pl.concat_list(pl.col("event_type"), pl.col("sub_event_type"))))
    taxonomy = pl.concat_str(
        pl.lit(f'{{"id":"event","from_name":"{cfg.TAXONOMY_NAME}","to_name":"{cfg.TEXT_NAME}",'
               '"type":"taxonomy","value":{"taxonomy":['),
        _json_value(path), pl.lit("]}}"))
    el = pl.element().struct.field
    spans = pl.col("spans").fill_null(pl.lit([], dtype=SPAN_DTYPE)).list.eval(
        pl.struct(
            pl.format("s{}", pl.int_range(pl.len())).alias("id"),
            pl.lit(cfg.SPAN_NAME).alias("from_name"), pl.lit(cfg.TEXT_NAME).alias("to_name"),
            pl.lit("labels").alias("type"),
            pl.struct(el("start"), el("end"), el("text"), pl.concat_list(el("label")).alias("labels"))
            .alias("value"),
        ).struct.json_encode()
    ).list.join(",")
    result = pl.concat_str(pl.lit("["), taxonomy,
                           pl.when(spans != "").then(pl.lit(",") + spans).otherwise(pl.lit("")),
                           pl.lit("]"))
    prediction = pl.concat_str(
        pl.lit('{"model_version":'), _json_value(pl.col("prelabel_version")),
        pl.lit(',"score":'), _json_value(pl.col("score")),
        pl.lit(',"result":'), result, pl.lit("}"))
    predictions = (pl.when(pl.col("prelabel_version").is_null()).then(pl.lit("[]"))
                   .otherwise(pl.concat_str(pl.lit("["), prediction, pl.lit("]"))))
    task = pl.concat_str(pl.lit('{"data":'), data, pl.lit(',"predictions":'), predictions, pl.lit("}"))
    return sentences.select(
        "sentence_id", "article_id", "sentence_index", "language", "score", task.alias("task"))


# -- checks before anything is sent -------------------------------------------------------------
def allowed_paths(xml: str | None = None) -> tuple[set[tuple[str, ...]], set[str]]:
    """Taxonomy leaf paths and span labels the config accepts (read from the XML itself)."""
    root = ET.fromstring(xml or cfg.label_config())
    paths: set[tuple[str, ...]] = set()

    def walk(node, prefix):
        for choice in node.findall("Choice"):
            path = (*prefix, choice.get("value"))
            if choice.find("Choice") is None:
                paths.add(path)
            walk(choice, path)

    labels: set[str] = set()
    for tax in root.iter("Taxonomy"):
        if tax.get("name") == cfg.TAXONOMY_NAME:
            walk(tax, ())
    for lab in root.iter("Labels"):
        if lab.get("name") == cfg.SPAN_NAME:
            labels |= {el.get("value") for el in lab.findall("Label")}
    return paths, labels


def prelabel_problems(sentences: pl.DataFrame) -> pl.DataFrame:
    """``sentence_id, problem`` for every pre-label the config or the hierarchy would reject.

    Label Studio's own prediction check treats a Taxonomy as flat (a wrong parent passes) and
    never checks offsets, so both are checked here, vectorised.
    """
    paths, labels = allowed_paths()
    pairs = pl.DataFrame({"event_type": [p[0] for p in paths if len(p) == 2],
                          "sub_event_type": [p[1] for p in paths if len(p) == 2]})
    labelled = sentences.filter(pl.col("prelabel_version").is_not_null())
    parent = pl.col("sub_event_type").replace_strict(PARENT_OF, default=None, return_dtype=pl.String)
    in_config = labelled.join(pairs.with_columns(pl.lit(True).alias("_ok")),
                              on=["event_type", "sub_event_type"], how="left", nulls_equal=False)
    taxonomy_bad = in_config.filter(
        ~(pl.col("event_type").is_null() & pl.col("sub_event_type").is_null())
        & (pl.col("_ok").is_null() | (parent != pl.col("event_type")).fill_null(True))
    ).select("sentence_id", pl.format("event_type {} / sub_event_type {} is not a path of the "
                                      "taxonomy", pl.col("event_type").fill_null("null"),
                                      pl.col("sub_event_type").fill_null("null")).alias("problem"))
    spans = (labelled.select("sentence_id", pl.col("text").alias("_sentence"), "spans")
             .explode("spans").filter(pl.col("spans").is_not_null())
             .select("sentence_id", "_sentence",
                     *[pl.col("spans").struct.field(f).alias(f"span_{f}")
                       for f in ("label", "start", "end", "text")]))
    n_chars = pl.col("_sentence").str.len_chars()
    span_bad = spans.select(
        "sentence_id",
        pl.when(~pl.col("span_label").is_in(sorted(labels)))
        .then(pl.format("span label {} is not in the config", pl.col("span_label").fill_null("null")))
        .when((pl.col("span_start") < 0) | (pl.col("span_end") > n_chars)
              | (pl.col("span_start") >= pl.col("span_end")))
        .then(pl.format("span [{}, {}) is outside the sentence", pl.col("span_start"), pl.col("span_end")))
        .when(pl.col("_sentence").str.slice(pl.col("span_start"), pl.col("span_end") - pl.col("span_start"))
              != pl.col("span_text"))
        .then(pl.format("span text {} differs from the sentence at [{}, {})",
                        pl.col("span_text"), pl.col("span_start"), pl.col("span_end")))
        .alias("problem"),
    ).filter(pl.col("problem").is_not_null())
    return pl.concat([taxonomy_bad, span_bad])


# -- selection --------------------------------------------------------------------------------
def select_sentences(sentences: pl.DataFrame, *, min_score: float | None = None,
                     limit: int | None = None, language: str | None = None,
                     order: str = "document") -> pl.DataFrame:
    """Filter and order for review; import order is the order Label Studio shows tasks in."""
    if order not in ORDERS:
        raise InputError(f"unknown order {order!r}; expected one of {ORDERS}", field="--order")
    if limit is not None and limit < 0:
        raise InputError(f"--limit {limit} is negative; expected a number of sentences ≥ 0", field="--limit",
                         fix="drop --limit to push every selected sentence")
    frame = sentences
    if language:
        frame = frame.filter(pl.col("language").is_in([x.strip() for x in language.split(",")]))
    if min_score is not None:
        frame = frame.filter(pl.col("score") >= min_score)
    document = ["article_id", "sentence_index"]
    if order == "document":
        frame = frame.sort(document)
    elif order == "score":
        frame = frame.sort(["score", *document], descending=[True, False, False], nulls_last=True)
    else:  # most uncertain first: score closest to 0.5
        frame = frame.sort([(pl.col("score") - 0.5).abs(), *document], nulls_last=True)
    if limit is not None:
        frame = frame.head(limit)
    return frame


def read_sentences(build_dir: str | Path) -> pl.DataFrame:
    return read_table(Path(build_dir) / "sentences.parquet", PrelabelledSentence,
                      fix="build first, with pre-labels: `conflictset build INPUT --out BUILD_DIR`")


# -- the project --------------------------------------------------------------------------------
def ensure_project(client: StudioClient, title: str, *, adjudication_of: int | None = None) -> dict:
    """The project titled ``title``, created with our config; refuses one whose config changed.

    ``adjudication_of``: the reviewed project's id; the project gets the adjudication config.
    """
    if not 1 <= len(title) <= MAX_TITLE:
        raise InputError(f"project title {title!r} has {len(title)} characters; Label Studio allows "
                         f"1 to {MAX_TITLE}", field="--project", fix="choose a shorter title")
    xml = cfg.label_config(adjudication=adjudication_of is not None)
    project = client.find_project(title)
    if project is None:
        description = (f"Created by conflictset. Keep this line: {cfg.hash_marker(xml)} "
                       f"{SALT_MARK}{secrets.token_hex(8)}")
        if adjudication_of is not None:
            description += f" {ADJUDICATION_MARK}{adjudication_of}"
        return client.create_project(title, xml, description)
    if (adjudication_of is not None) != (adjudicated_project(project) is not None):
        kind = "an adjudication project" if adjudication_of is None else "a review project"
        raise InputError(
            f"project {title!r} is {kind}", field="--project",
            fix=("push the build's sentences to a review project, and ties with `--adjudicate`"
                 if adjudication_of is None else
                 "omit --project to use the default adjudication title, or name a new project"))
    check_config(project, current=True, expected=xml)
    return project


def adjudicated_project(project: dict) -> int | None:
    """The id of the project this one adjudicates (None for a review project)."""
    desc = project.get("description") or ""
    at = desc.find(ADJUDICATION_MARK)
    if at < 0:
        return None
    value = desc[at + len(ADJUDICATION_MARK):].split()
    return int(value[0]) if value and value[0].isdigit() else None


def check_config(project: dict, *, current: bool, expected: str | None = None) -> None:
    """The project's config must be the one it was pushed with (and, for pushes, ours:
    ``expected``, default the review config)."""
    stored = cfg.stored_hash(project.get("description"))
    title = project.get("title")
    if stored is None:
        raise ConfigChanged(
            f"project {title!r} was not created by conflictset (no config fingerprint in its "
            "description) — fix: push to a new project title")
    live = cfg.config_hash(project.get("label_config") or "")
    if live != stored:
        raise ConfigChanged(
            f"the labelling config of project {title!r} was changed in Label Studio since the push "
            f"(fingerprint {live}, pushed with {stored}) — fix: restore the generated config "
            "(`conflictset studio config`) in the project settings, or push to a new project")
    ours = cfg.config_hash(expected)
    if current and stored != ours:
        raise ConfigChanged(
            f"project {title!r} was pushed with labelling config {stored}, but this version of "
            f"conflictset generates {ours} (the taxonomy or config changed) — fix: "
            "push to a new project title")


def project_salt(project: dict) -> str:
    desc = project.get("description") or ""
    at = desc.find(SALT_MARK)
    if at >= 0:
        return desc[at + len(SALT_MARK):].split()[0]
    return f"project-{project['id']}"


# -- push ---------------------------------------------------------------------------------------
def push(build_dir: str | Path, project: str, *, client: StudioClient | None = None,
         min_score: float | None = None, limit: int | None = None, language: str | None = None,
         order: str = "document", batch_size: int = DEFAULT_BATCH,
         progress: Callable[[int, int], None] | None = None) -> PushResult:
    """Push the build's sentences as tasks; a repeated or resumed push adds only what is missing."""
    if batch_size < 1:
        raise InputError("--batch-size must be at least 1", field="--batch-size")
    sentences = read_sentences(build_dir)
    selected = select_sentences(sentences, min_score=min_score, limit=limit, language=language,
                                order=order)
    problems = prelabel_problems(selected)
    if problems.height:
        first = "; ".join(f"{r['sentence_id']}: {r['problem']}" for r in problems.head(3).iter_rows(named=True))
        raise InputError(
            f"{problems.height} pre-label(s) would be rejected by the labelling config ({first})",
            file=str(Path(build_dir) / "sentences.parquet"),
            fix="re-run the pre-labeller; pre-labels must follow schemas/taxonomy.py")
    tasks = run_stage("to_label_studio", to_label_studio, selected)
    own = client is None
    client = client or connect()
    try:
        proj = ensure_project(client, project)
        return _import(client, proj, tasks, Path(build_dir), sentences["sentence_id"],
                       selected=selected.height, batch_size=batch_size, progress=progress)
    finally:
        if own:
            client.close()


def _import(client: StudioClient, proj: dict, tasks: pl.DataFrame, build_dir: Path,
            build_ids: pl.Series, *, selected: int, batch_size: int,
            progress: Callable[[int, int], None] | None) -> PushResult:
    """Import the tasks the project lacks, in batches, recording each batch in the ledger."""
    ledger_path = build_dir / ledger.LEDGER_FILE
    existing = client.task_sentence_ids(proj["id"])
    # tasks of this build a killed push imported but could not record yet
    known = set(ledger.of_project(ledger.read(ledger_path), proj["id"])["task_id"].to_list())
    missing = [(sid, tid) for sid, tid in existing.items() if tid not in known]
    if missing:
        in_build = set(build_ids.filter(build_ids.is_in([m[0] for m in missing])).to_list())
        missing = [m for m in missing if m[0] in in_build]
        ledger.record(ledger_path, proj["id"], [m[0] for m in missing], [m[1] for m in missing])
    todo = tasks.filter(~pl.col("sentence_id").is_in(list(existing)))
    total, batches, unrecorded = todo.height, 0, []
    if progress:
        progress(0, total)
    for offset in range(0, total, batch_size):
        chunk = todo.slice(offset, batch_size)
        body = ("[" + ",".join(chunk["task"].to_list()) + "]").encode("utf-8")
        answer = client.import_tasks(proj["id"], body)
        if answer.get("task_count") != chunk.height:
            raise InputError(f"Label Studio imported {answer.get('task_count')} of {chunk.height} "
                             "tasks in a batch", fix="re-run the push; it only adds what is missing")
        task_ids = answer.get("task_ids")
        if isinstance(task_ids, list) and len(task_ids) == chunk.height:
            ledger.record(ledger_path, proj["id"], chunk["sentence_id"].to_list(), task_ids)
        else:  # a server that does not return ids: look them up once at the end
            unrecorded.extend(chunk["sentence_id"].to_list())
        batches += 1
        if progress:
            progress(min(offset + batch_size, total), total)
    if unrecorded:
        now = client.task_sentence_ids(proj["id"])
        found = [s for s in unrecorded if s in now]
        ledger.record(ledger_path, proj["id"], found, [now[s] for s in found])
    return PushResult(proj["id"], client.project_url(proj["id"]), selected, selected - total, total,
                      batches, proj.get("title", ""))


# -- push --adjudicate --------------------------------------------------------------------------
def adjudication_title(title: str) -> str:
    """``<title> — adjudication``, the review title shortened to fit Label Studio's limit."""
    room = MAX_TITLE - len(ADJUDICATION_SUFFIX)
    return (title if len(title) <= room else title[: room - 1] + "…") + ADJUDICATION_SUFFIX


def reviewed_project_id(build_dir: str | Path) -> int:
    """The project the build's annotations were pulled from (``tasks.parquet``)."""
    path = Path(build_dir) / "tasks.parquet"
    fix = "pull the review project into the build first: `conflictset pull --project T --out BUILD_DIR`"
    ids = read_table(path, Task, need=("project_id",), fix=fix)["project_id"].unique().drop_nulls()
    if ids.len() != 1:
        raise InputError(f"tasks.parquet lists {ids.len()} projects, expected one", file=str(path),
                         fix="name the adjudication project with --project")
    return int(ids[0])


def adjudication_tasks(sentences: pl.DataFrame, ties: pl.DataFrame) -> pl.DataFrame:
    """Stage input for the ties: each tied sentence with ``candidates`` and no pre-label."""
    candidates = ties.select("sentence_id", pl.col("candidate_labels").list.join("; ").alias(cfg.CANDIDATES_KEY))
    return (sentences.join(candidates, on="sentence_id", how="inner", maintain_order="left")
            .with_columns(pl.lit(None, dtype=pl.String).alias("prelabel_version"))
            .sort(["article_id", "sentence_index"]))


def push_adjudication(build_dir: str | Path, project: str | None = None, *,
                      client: StudioClient | None = None, batch_size: int = DEFAULT_BATCH,
                      progress: Callable[[int, int], None] | None = None) -> PushResult:
    """Push the build's ties to its adjudication project (idempotent and resumable like ``push``).

    ``project`` defaults to ``<reviewed project title> — adjudication``. Nothing is created
    when there is no tie.
    """
    if batch_size < 1:
        raise InputError("--batch-size must be at least 1", field="--batch-size")
    build = Path(build_dir)
    if not (build / "annotations.parquet").is_file():
        raise InputError("no annotations.parquet: there is nothing to adjudicate yet", file=str(build),
                         fix="pull the review project into the build first: "
                             "`conflictset pull --project T --out BUILD_DIR`")
    reviewed = reviewed_project_id(build)
    sentences = read_sentences(build)
    frame = adjudication_tasks(sentences, load_ties(build))
    if frame.is_empty():
        return PushResult(0, "", 0, 0, 0, 0, project or "")
    own = client is None
    client = client or connect()
    try:
        if project is None:
            found = client.project_by_id(reviewed)
            if found is None:
                raise ProjectMissing(
                    f"the review project {reviewed} (from {build / 'tasks.parquet'}) is not on "
                    f"{client.url} — fix: name the adjudication project with --project")
            project = adjudication_title(found["title"])
        title = project
        tasks = run_stage("to_label_studio", to_label_studio, frame, extra_data=(cfg.CANDIDATES_KEY,))
        proj = ensure_project(client, title, adjudication_of=reviewed)
        return _import(client, proj, tasks, build, sentences["sentence_id"], selected=frame.height,
                       batch_size=batch_size, progress=progress)
    finally:
        if own:
            client.close()
