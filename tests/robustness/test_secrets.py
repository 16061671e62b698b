"""Secrets and privacy across every command (issue 6, item 4).

Every ``conflictset`` command — discovered by walking the click group, so a new command fails
:func:`test_every_cli_command_is_exercised` until it is added to :data:`RUNS` — runs with
recognisable secrets in the environment (``LABEL_STUDIO_API_KEY``, ``LABEL_STUDIO_PASSWORD``)
and a studio state directory holding a stored token. Afterwards no secret may appear in any
command's stdout or stderr, in any file written under the working directory (Parquet files are
read back, since their pages are compressed), or in anything under ``.studio/`` except
``credentials.json`` (mode 0600) and the server's own database.

The studio half really starts a server (``conflictset studio start`` on a copied template:
~5 s), pushes, annotates as two users with e-mail addresses, pulls and releases; no e-mail
address may reach the pulled tables or the release. Article ids with ``../`` ride along and
must never create a file outside the working directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import click
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conflictset.cli import main
from conflictset.export.label_studio import credentials as creds_mod
from conflictset.export.label_studio import server
from conflictset.export.label_studio.client import StudioClient

SECRET = "tok-SECRET-7f3a9c5e1d2b4a6f8091"
PASSWORD = "pw-SECRET-c0ffee-4d2a"
ESCAPE_ID = "../../../escape-h7"
EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
#: an '@' that is neither a JSON-LD keyword (croissant.json legitimately has "@context", "@type"…) nor a
#: BibTeX entry type (the card, croissant.json's citeAs: "@misc{…")
JSON_LD_OTHER = re.compile(rb"@(?!(?:context|type|id|vocab|language|value|list|base|json|graph|set|reverse|"
                           rb"index|container|nest|direction|version|none|included|import|protected|"
                           rb"propagate|prefix)\b|(?:misc|article|inproceedings|techreport|phdthesis|book)\{)\w*")
REVIEWER_EMAIL = "reviewer.h7@example.org"
PROJECT = "secrets-h7"

ARTICLES = [
    {"id": "a-raqqa", "title": "Clashes near Raqqa", "language": "en", "published_at": "2016-05-24",
     "text": "Fighting broke out on Monday between the army and rebels near Raqqa, officials said. "
             "At least 4 fighters were killed.\n\nHundreds of people protested peacefully in Kobani."},
    {"id": ESCAPE_ID, "title": "Arrests", "language": "en",
     "text": "Police arrested five activists in Aleppo on Tuesday.\n\nResidents said the market reopened."},
    {"id": "a-ar", "language": "ar", "text": "قتل ثلاثة أشخاص في غارة جوية على إدلب يوم الاثنين."},
]
GOLD = [
    {"text": "Police arrested five activists in Aleppo.", "event_type": "Strategic developments",
     "sub_event_type": "Arrests"},
    {"text": "Hundreds of people protested peacefully in Kobani.", "event_type": "Protests",
     "sub_event_type": "Peaceful protest"},
    {"text": "The council met to discuss the water supply.", "event_type": None, "sub_event_type": None},
]


def cli_commands(group: click.Group = main, prefix: str = "") -> list[str]:
    """Every leaf command as it is typed (``build``, ``studio start``, …)."""
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += cli_commands(command, f"{prefix}{name} ")
        else:
            found.append(f"{prefix}{name}")
    return found


# ------------------------------------------------------------------------------ the runs
# command → (half, args). Paths are relative to the working directory; {port} is filled in.
CLEAN_GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "clean_gold" / "heldout"
OFFLINE = {
    "build": ["build", "corpus.jsonl", "--out", "build", "--no-progress"],
    "init": ["init", "template"],  # the releases use the filled-in dataset.toml beside the build
    "evaluate": ["evaluate", "gold.jsonl"],
    "evaluate-clean": ["evaluate-clean", str(CLEAN_GOLD)],
    "rules-report": ["rules-report", "build"],
    "release": ["release", "build", "--version", "1.0.0", "--out", "rel-1.0.0"],
    "diff": ["diff", "rel-1.0.0", "rel-1.0.1"],  # rel-1.0.1 is released by a prior step
    "validate": ["validate", "rel-1.0.0"],
    "demo": ["demo", "--no-studio", "--out", "demo"],
    "pull": ["pull", "--from-file", "export.json", "--out", "pulled-from-file"],
    "studio status": ["studio", "status"],
    "studio config": ["studio", "config"],
}
STUDIO = {
    "studio install": ["studio", "install"],
    "studio start": ["studio", "start", "--port", "{port}"],
    "push": ["push", "build", "--project", PROJECT, "--no-progress"],
    "pull": ["pull", "--project", PROJECT, "--out", "build"],
    "release": ["release", "build", "--version", "1.1.0", "--out", "rel-reviewed"],
    "validate": ["validate", "rel-reviewed"],
    "studio status": ["studio", "status", "--json"],
    "studio stop": ["studio", "stop"],
}
RUNS = {**OFFLINE, **STUDIO}


@dataclass
class Run:
    command: str
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str


class Workspace:
    """A working directory, a studio state directory and the secrets to look for."""

    def __init__(self, root: Path, studio_root: Path, secrets: tuple[str, ...], *,
                 file_only: tuple[str, ...] = ()):
        self.root, self.studio_root, self.secrets = root, studio_root, secrets
        #: shown on purpose by some commands (the studio login), but never written to a file
        self.file_only = file_only
        self.runs: dict[str, Run] = {}

    def env(self, **extra) -> dict[str, str | None]:
        clean = {k: None for k in os.environ if k.startswith("LABEL_STUDIO_")}
        return {**clean, "LABEL_STUDIO_API_KEY": SECRET, "LABEL_STUDIO_PASSWORD": PASSWORD,
                "CONFLICTSET_STUDIO_DIR": str(self.studio_root), "COLUMNS": "200", **extra}

    def run(self, command: str, args: list[str], **env) -> Run:
        cwd = os.getcwd()
        os.chdir(self.root)  # the commands' relative paths, and `.studio` defaults, resolve here
        try:
            result = CliRunner().invoke(main, args, env=self.env(**env))
        finally:
            os.chdir(cwd)
        run = Run(command, args, result.exit_code, result.stdout, result.stderr)
        self.runs.setdefault(command, run)
        return run


METADATA = 'name = "secrets-check"\nlicense = "CC0-1.0"\n\n[[authors]]\nname = "Robustness tests"\n'


def _write_inputs(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset.toml").write_text(METADATA, encoding="utf-8")
    with (root / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for article in ARTICLES:
            fh.write(json.dumps(article, ensure_ascii=False) + "\n")
    with (root / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for row in GOLD:
            fh.write(json.dumps(row) + "\n")


def _export_with_emails(build: Path, path: Path) -> None:
    """A small snapshot export of the build: annotations by users shown with their e-mails."""
    import polars as pl

    from conflictset.export.label_studio.push import to_label_studio

    tasks = []
    for i, raw in enumerate(to_label_studio(pl.read_parquet(build / "sentences.parquet").head(3))["task"]):
        task = json.loads(raw)
        result = [{"from_name": "event", "to_name": "text", "type": "taxonomy",
                   "value": {"taxonomy": [["No event"]]}}]
        task.update(id=10 + i, project=3, annotations=[
            {"id": 100 + i, "completed_by": {"id": 5, "email": REVIEWER_EMAIL, "first_name": "Rev"},
             "created_username": f"Rev {REVIEWER_EMAIL}, 5", "result": result, "was_cancelled": False,
             "ground_truth": False, "lead_time": 2.0, "created_at": "2026-01-02T03:04:05Z",
             "updated_at": "2026-01-02T03:04:05Z"}])
        tasks.append(task)
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")


# ------------------------------------------------------------------------------ scanning
def file_texts(path: Path) -> list[bytes]:
    """The bytes of a file, plus its decoded values when it is Parquet (pages are compressed)."""
    data = path.read_bytes()
    texts = [data]
    if data[:4] == b"PAR1":
        table = pq.read_table(path)
        texts.append(json.dumps(table.to_pylist(), default=str, ensure_ascii=False).encode())
        texts.append(str(table.schema.metadata).encode())
    return texts


def readable_texts(path: Path) -> list[bytes]:
    """What a person would read in a file: Parquet values decoded, other files as they are
    (compressed Parquet pages can hold any byte, so their raw bytes are not searched for '@')."""
    texts = file_texts(path)
    return texts[1:] if texts[0][:4] == b"PAR1" else texts


def written_files(root: Path, *, skip_dirs: tuple[str, ...] = ()) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if (rel / d).as_posix() not in skip_dirs]
        files += [Path(dirpath) / f for f in filenames if not (Path(dirpath) / f).is_symlink()]
    return sorted(files)


def leaks(files: list[Path], needles: tuple[str, ...], root: Path) -> list[str]:
    found = []
    for path in files:
        for text in file_texts(path):
            found += [f"{path.relative_to(root)} holds {n[:10]}…" for n in needles if n.encode() in text]
    return sorted(set(found))


def one_line(run: Run) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    return lines[0]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def template():
    """The migrated empty studio data dir (+ its credentials) the Label Studio tests build once."""
    install_root = Path(__file__).resolve().parents[2] / ".studio"
    if not server.executable(install_root).exists():
        pytest.skip("Label Studio is not installed (`make studio-install`)")
    return install_root, *server.build_template(install_root)


def _studio_state(root: Path, template) -> Path:
    install_root, data, creds = template
    state = root / ".studio"
    server.link_venv(install_root, state)
    shutil.copytree(data, state / "data")
    creds_mod.write_private_json(state / creds_mod.CREDENTIALS_FILE,
                                 {"username": creds.username, "password": creds.password, "token": creds.token})
    return state


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """Every command that needs no server, in order, with the secrets set; a stored token too."""
    root = tmp_path_factory.mktemp("secrets-offline") / "work"
    _write_inputs(root)
    stored = creds_mod.generate()
    state = root / ".studio"
    creds_mod.write_private_json(state / creds_mod.CREDENTIALS_FILE,
                                 {"username": stored.username, "password": stored.password, "token": stored.token})
    ws = Workspace(root, state, (SECRET, PASSWORD, stored.token, stored.password))
    order = ["build", "init", "evaluate", "evaluate-clean", "rules-report", "release", "validate", "demo",
             "studio status", "studio config"]
    for command in order:
        ws.run(command, OFFLINE[command])
    ws.run("release 1.0.1", ["release", "build", "--version", "1.0.1", "--out", "rel-1.0.1"])
    ws.run("diff", OFFLINE["diff"])
    _export_with_emails(root / "build", root / "export.json")
    ws.run("pull", OFFLINE["pull"])
    ws.run("evaluate --json", ["evaluate", "gold.jsonl", "--json"])
    ws.run("validate --json", ["validate", "build", "--json"])
    # --debug prints tracebacks, which are not redacted line by line: they must not hold it either
    ws.run("--debug pull, no server", ["--debug", "pull", "--project", "p", "--out", "never"],
           LABEL_STUDIO_URL="http://127.0.0.1:9")
    return ws


@pytest.fixture(scope="module")
def studio_run(tmp_path_factory, template):
    """The review loop through the CLI against a server that ``studio start`` itself starts."""
    root = tmp_path_factory.mktemp("secrets-studio") / "work"
    _write_inputs(root)
    state = _studio_state(root, template)
    token = template[2].token
    # `studio start` prints the admin login on purpose; its password must still stay out of files
    ws = Workspace(root, state, (SECRET, PASSWORD, token), file_only=(template[2].password,))
    build = ws.run("build", OFFLINE["build"])
    assert build.exit_code == 0, build.stderr
    port = str(server.free_port(18900))
    valid = {"LABEL_STUDIO_API_KEY": None}  # push/pull use the stored token of the local studio
    try:
        for command in ("studio install", "studio start", "studio status"):
            ws.run(command, [a.replace("{port}", port) for a in STUDIO[command]], **valid)
        ws.run("push", STUDIO["push"], **valid)
        _annotate_as_people_with_emails(state)
        ws.run("pull", STUDIO["pull"], **valid)
        ws.run("release", STUDIO["release"], **valid)
        ws.run("validate", STUDIO["validate"], **valid)
        ws.run("push with a wrong token", STUDIO["push"])  # LABEL_STUDIO_API_KEY=SECRET: rejected
        ws.run("pull with a wrong token", ["pull", "--project", PROJECT, "--out", "never"])
        ws.run("--debug push with a wrong token", ["--debug", *STUDIO["push"]])
        info = server.read_state(state)
        ws.run("push with the key in the environment", STUDIO["push"], LABEL_STUDIO_URL=info.url,
               LABEL_STUDIO_API_KEY=token)
    finally:
        ws.run("studio stop", STUDIO["studio stop"], **valid)
        server.stop(state)  # in case the command failed
    return ws


def _annotate_as_people_with_emails(state: Path) -> None:
    info = server.read_state(state)
    creds = creds_mod.load(state)
    with StudioClient(info.url, creds.token) as client:
        project = client.find_project(PROJECT)
        ids = sorted(client.task_sentence_ids(project["id"]).values())
        reviewer = client.sdk.users.create(email=REVIEWER_EMAIL, username="reviewer-h7", first_name="Rev")
        path = {"from_name": "event", "to_name": "text", "type": "taxonomy",
                "value": {"taxonomy": [["Battles", "Armed clash"]]}}
        for task_id in ids[:3]:  # two people on the same tasks: the admin and the reviewer
            client.sdk.annotations.create(task_id, result=[path])
            client.sdk.annotations.create(task_id, result=[path], completed_by=reviewer.id)


# ------------------------------------------------------------------------------ tests
def test_every_cli_command_is_exercised():
    missing = sorted(set(cli_commands()) - set(RUNS))
    assert missing == [], f"add realistic arguments for {missing} to OFFLINE or STUDIO in {__file__}"
    assert {"build", "push", "pull", "release", "studio start"} <= set(cli_commands())


@pytest.mark.parametrize("command", sorted(OFFLINE))
def test_offline_commands_succeed_without_showing_a_secret(offline, command):
    run = offline.runs[command]
    assert run.exit_code == 0, run.stdout + run.stderr
    for secret in offline.secrets:
        assert secret not in run.stdout + run.stderr


def test_offline_runs_write_no_secret_anywhere(offline):
    for run in offline.runs.values():
        assert run.exit_code == (5 if run.command.startswith("--debug") else 0), (run.args, run.stderr)
        assert not any(s in run.stdout + run.stderr for s in offline.secrets), run.command
    assert "Traceback" in offline.runs["--debug pull, no server"].stderr
    files = written_files(offline.root)
    assert any(p.suffix == ".parquet" for p in files) and len(files) > 20
    stored = [p for p in files if p.name == creds_mod.CREDENTIALS_FILE]
    assert len(leaks(stored, offline.secrets, offline.root)) == 2  # the scan sees the stored secrets
    assert leaks([p for p in files if p not in stored], offline.secrets, offline.root) == []


def test_pulled_and_released_tables_hold_no_email(offline):
    for directory in ("pulled-from-file", "rel-1.0.0", "rel-1.0.1", "demo"):
        files = written_files(offline.root / directory)
        assert files
        for path in files:
            for text in readable_texts(path):
                assert not EMAIL.search(text), f"{path} holds an e-mail address"
    pulled = pq.read_table(offline.root / "pulled-from-file" / "annotations.parquet").to_pylist()
    assert len(pulled) == 3 and all(a["annotator"].startswith("ann-") for a in pulled)


def test_article_ids_with_dot_dot_stay_inside_the_output(offline):
    import polars as pl

    sentences = pl.read_parquet(offline.root / "build" / "sentences.parquet")
    assert ESCAPE_ID in sentences["article_id"].to_list()
    # nothing was created beside or above the working directory
    assert sorted(p.name for p in offline.root.parent.iterdir()) == ["work"]
    assert not any("escape-h7" in p.name for p in written_files(offline.root))
    released = pl.read_parquet(offline.root / "rel-1.0.0" / "data" / "sentences.parquet")
    assert ESCAPE_ID in released["article_id"].to_list()


def test_credentials_file_is_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        creds_mod.load_or_create(tmp_path / "state")
    finally:
        os.umask(old)
    path = tmp_path / "state" / creds_mod.CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [creds_mod.CREDENTIALS_FILE]  # no temp file left


@pytest.mark.studio
def test_studio_commands_succeed_without_showing_a_secret(studio_run):
    for command in STUDIO:
        run = studio_run.runs[command]
        assert run.exit_code == 0, (command, run.stdout, run.stderr)
        for secret in studio_run.secrets:
            assert secret not in run.stdout + run.stderr, command
    started = studio_run.runs["studio start"].stdout
    assert "running at http://127.0.0.1:" in started and "credentials.json (mode 0600)" in started
    pulled = studio_run.runs["pull"].stdout
    assert "6 annotations, 0 quarantined" in pulled


@pytest.mark.studio
def test_a_wrong_token_is_one_line_exit_6_and_never_shown(studio_run):
    for command in ("push with a wrong token", "pull with a wrong token"):
        run = studio_run.runs[command]
        line = one_line(run)
        assert run.exit_code == 6
        assert "rejected the API token (HTTP 401)" in line and "LABEL_STUDIO_API_KEY" in line
        assert SECRET not in run.stdout + run.stderr
    assert not (studio_run.root / "never").exists()
    debug = studio_run.runs["--debug push with a wrong token"]
    assert debug.exit_code == 6 and "Traceback" in debug.stderr  # the traceback is shown…
    assert not any(s in debug.stdout + debug.stderr for s in studio_run.secrets)  # …without the token
    # the right key in the environment works, and is not echoed either
    again = studio_run.runs["push with the key in the environment"]
    assert again.exit_code == 0 and "pushed 0 new task(s)" in again.stdout
    assert not any(s in again.stdout + again.stderr for s in studio_run.secrets)


@pytest.mark.studio
def test_studio_runs_write_no_secret_outside_the_credentials_file(studio_run):
    root, state = studio_run.root, studio_run.studio_root
    # the server's own database necessarily holds its token; everything else must not
    files = written_files(root, skip_dirs=(".studio/data",))
    logs = [p for p in files if p.is_relative_to(state)]
    assert {p.name for p in logs} >= {creds_mod.CREDENTIALS_FILE, "server.log"}
    stored = state / creds_mod.CREDENTIALS_FILE
    assert leaks([p for p in files if p != stored], studio_run.secrets + studio_run.file_only, root) == []
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


@pytest.mark.studio
def test_annotator_emails_never_reach_the_pull_or_the_release(studio_run):
    root = studio_run.root
    annotations = pq.read_table(root / "build" / "annotations.parquet").to_pylist()
    assert len(annotations) == 6 and len({a["annotator"] for a in annotations}) == 2
    assert all(a["annotator"].startswith("ann-") for a in annotations)
    checked = written_files(root / "rel-reviewed") + [root / "build" / f"{n}.parquet" for n in
                                                      ("annotations", "tasks", "annotation_quarantine")]
    for path in checked:
        for text in readable_texts(path):
            assert not EMAIL.search(text), f"{path.relative_to(root)} holds an e-mail address"
    # every '@' in the release is a JSON-LD keyword of croissant.json, never a person
    for path in written_files(root / "rel-reviewed"):
        for text in readable_texts(path):
            stray = JSON_LD_OTHER.findall(text)
            assert stray == [], f"{path.name}: {stray[:3]}"
