"""Cases of the issue-6 matrix that no area test covered (see docs/ROBUSTNESS.md for the map).

- every command turns Ctrl-C and unexpected errors into one line (structural: each leaf command
  is wrapped by ``handle_errors``);
- files nobody can read, also when the tests run as root (a FIFO, a link to ``/proc/self/mem``);
- a server answering HTTP 500 to the real CLI (``pull`` and ``push``): exit 7, one line, nothing
  written, the token never shown;
- annotations by users deleted in Label Studio go through pull *and* release;
- ``pull`` into a read-only directory keeps the previous pull;
- annotations of sentences that are not in the build are counted in the release, not dropped silently;
- ``build --out`` inside an input folder never re-reads the previous outputs as articles;
- ``push --limit -1`` is refused before anything is sent (it used to push all but the last sentence);
- hand-edited exports with wrongly typed annotation fields are quarantined (they used to stop the
  pull, or flip ``was_cancelled``/``ground_truth`` silently);
- an error message with line breaks is still printed on one line.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner
from release_fixtures import make_sentences, write_build_dir

from conflictset.cli import handle_errors, main
from conflictset.dataset.build import build
from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import to_label_studio
from conflictset.export.release import release
from conflictset.schemas.reasons import Reason

REPO = Path(__file__).resolve().parents[2]
TOKEN = "tok-SECRET-gaps-51d0c0a7e2"


def leaf_commands(group: click.Group = main, prefix: str = ""):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def run(args: list[str], **env):
    clean = {k: None for k in os.environ if k.startswith("LABEL_STUDIO_")}
    return CliRunner().invoke(main, args, env={**clean, **env})


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


# ------------------------------------------------------------------------------ Ctrl-C anywhere
@pytest.mark.parametrize("name, command", list(leaf_commands()), ids=[n for n, _ in leaf_commands()])
def test_every_command_turns_ctrl_c_into_one_line(name, command):
    # handle_errors maps KeyboardInterrupt → "error: interrupted…" + exit 130 and any other
    # exception → one line; a command without it would print a traceback
    wrapper_code = handle_errors(lambda: None).__code__
    assert command.callback.__code__ is wrapper_code, f"`conflictset {name}` is not wrapped by handle_errors"


def test_the_wrapper_really_gives_130_and_one_line(monkeypatch, tmp_path):
    import conflictset.cli.prelabel_cmd as evaluate_module

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate_module, "evaluate", interrupted)
    result = run(["evaluate", str(tmp_path / "gold.jsonl")])
    assert result.exit_code == 130
    assert one_line(result) == "error: interrupted; no partial files were left under final names"


# ------------------------------------------------------------------------------ unreadable input (even as root)
def test_files_nobody_can_read_are_quarantined_even_as_root(tmp_path):
    if not Path("/proc/self/mem").exists() or not hasattr(os, "mkfifo"):
        pytest.skip("needs Linux /proc and FIFOs")
    src = tmp_path / "in"
    src.mkdir()
    (src / "ok.txt").write_text("Clashes in Goma\n\nFighting broke out near Goma on Tuesday.", encoding="utf-8")
    os.mkfifo(src / "news.txt")  # reading it would block for ever
    (src / "mem.txt").symlink_to("/proc/self/mem")  # open() works, read() fails with EIO
    out = tmp_path / "out"
    result = run(["build", str(src), "--out", str(out), "--no-progress", "--no-prelabel"])
    assert result.exit_code == 0, result.output
    assert "input records: 3 = 1 articles + 2 quarantined" in result.output
    quarantine = pl.read_parquet(out / "quarantine.parquet").sort("source_file")
    rows = quarantine.select(pl.col("source_file").str.split("/").list.last(), "reason").rows()
    assert rows == [("mem.txt", Reason.UNREADABLE_FILE), ("news.txt", Reason.UNSUPPORTED_FORMAT)]
    assert "cannot read file (Input/output error) — fix: check its permissions" in quarantine["message"][0]
    assert "not a regular file (device, socket or fifo)" in quarantine["message"][1]


# ------------------------------------------------------------------------------ HTTP 500 through the CLI
class _Failing(http.server.BaseHTTPRequestHandler):
    def _fail(self):
        body = b'{"detail": "internal error"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _fail

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def failing_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_http_500_from_the_server_is_one_line_exit_7(failing_server, tmp_path):
    build_dir = write_build_dir(tmp_path / "build", make_sentences(), None)
    env = dict(LABEL_STUDIO_URL=failing_server, LABEL_STUDIO_API_KEY=TOKEN,
               CONFLICTSET_STUDIO_DIR=str(tmp_path / "state"))
    pulled = run(["pull", "--project", "p", "--out", str(tmp_path / "o")], **env)
    pushed = run(["push", str(build_dir), "--project", "p", "--no-progress"], **env)
    for result in (pulled, pushed):
        line = one_line(result)
        assert result.exit_code == 7
        assert f"Label Studio at {failing_server} failed with HTTP 500 on GET /api/projects/" in line
        assert "push and pull are safe to repeat" in line
        assert TOKEN not in result.output + result.stderr
    assert not (tmp_path / "o").exists()
    assert not (tmp_path / "state").exists()


# ------------------------------------------------------------------------------ deleted users
def _export(sentences: pl.DataFrame, annotations: list[list[dict]]) -> str:
    tasks = []
    for i, raw in enumerate(to_label_studio(sentences)["task"]):
        task = json.loads(raw)
        task.update(id=100 + i, project=4, annotations=annotations[i] if i < len(annotations) else [])
        tasks.append(task)
    return json.dumps(tasks, ensure_ascii=False)


def _ann(aid: int, user, path: list[str]) -> dict:
    return {"id": aid, "completed_by": user, "was_cancelled": False, "ground_truth": False, "lead_time": 1.0,
            "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z",
            "result": [{"from_name": "event", "to_name": "text", "type": "taxonomy",
                        "value": {"taxonomy": [path]}}]}


def test_annotations_by_deleted_users_reach_the_release(tmp_path):
    sentences = make_sentences()
    build_dir = write_build_dir(tmp_path / "build", sentences, None)
    arrests = ["Strategic developments", "Arrests"]
    clash = ["Battles", "Armed clash"]
    export = tmp_path / "export.json"
    export.write_text(_export(sentences, [
        [],
        [_ann(1, None, clash), _ann(2, {"id": 8, "email": "x@example.org"}, clash)],  # one author deleted
        [_ann(3, None, arrests), _ann(4, None, ["No event"])],  # both authors deleted
    ]), encoding="utf-8")
    result = pull(None, build_dir, from_file=export)
    assert (result.counts["annotations"], result.counts["quarantined"]) == (4, 0)
    pulled = pl.read_parquet(build_dir / "annotations.parquet").sort("annotation_id")
    assert pulled["annotator"].null_count() == 3  # kept, without an identity

    summary = release(build_dir, "1.0.0", tmp_path / "release")
    released = pl.read_parquet(tmp_path / "release" / "data" / "annotations.parquet")
    assert sorted(released["annotation_id"]) == [1, 2, 3, 4]  # nothing lost
    assert "@" not in str(released.to_dicts())
    final = pl.read_parquet(tmp_path / "release" / "data" / "sentences.parquet")
    assert final.height == sentences.height
    assert summary.counts  # the release finished and reported its counts


# ------------------------------------------------------------------------------ pull into a read-only directory
def test_pull_into_a_read_only_directory_keeps_the_previous_pull(tmp_path):
    sentences = make_sentences()
    export = tmp_path / "export.json"
    export.write_text(_export(sentences, [[_ann(1, 3, ["No event"])]]), encoding="utf-8")
    out = tmp_path / "pulled"
    pull(None, out, from_file=export)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode != 0:
            pytest.skip("running as root without chattr: cannot make a directory read-only")
    else:
        out.chmod(0o555)
    try:
        result = run(["pull", "--from-file", str(export), "--out", str(out)])
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(out)], capture_output=True)
        out.chmod(0o755)
    assert result.exit_code == 3
    line = one_line(result)
    assert "the directory is not writable; previous outputs are untouched" in line and "fix:" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ------------------------------------------------------------------------------ output inside the input
def test_building_into_a_folder_inside_the_input_invents_no_articles(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Clashes in Goma\n\nFighting broke out near Goma on Tuesday, officials said.\n",
                               encoding="utf-8")
    out = src / "out"
    first = build([src], out, prelabel=False)
    second = build([src], out, prelabel=False)
    assert (second.input_records, second.articles, second.quarantined) == (
        first.input_records, first.articles, first.quarantined) == (1, 1, 0)
    articles = pl.read_parquet(out / "articles.parquet")
    assert not articles["source_file"].str.contains("/out/").any()


# ------------------------------------------------------------------------------ negative push limit
def test_a_negative_push_limit_is_refused_before_contacting_the_server(tmp_path):
    from conflictset.export.label_studio.push import select_sentences

    sentences = make_sentences()
    build_dir = write_build_dir(tmp_path / "build", sentences, None)
    result = run(["push", str(build_dir), "--project", "p", "--limit", "-1", "--no-progress"],
                 LABEL_STUDIO_URL="http://127.0.0.1:9", LABEL_STUDIO_API_KEY=TOKEN,
                 CONFLICTSET_STUDIO_DIR=str(tmp_path / "state"))
    assert result.exit_code == 2 and "--limit" in result.stderr  # a usage/input error, not "unreachable"
    with pytest.raises(Exception, match="limit"):
        select_sentences(sentences, limit=-1)


# ------------------------------------------------------------------- annotations of sentences not in the build
def test_annotations_of_sentences_outside_the_build_are_counted_not_lost_silently(tmp_path):
    from release_fixtures import ann, make_annotations, scenario_annotations

    rows = scenario_annotations().to_dicts()
    orphan = ann("a9-00009", "ann-aaaaaaaaaa", "Grenade", annotation_id=999)  # pulled from another build's push
    build_dir = write_build_dir(tmp_path / "build", make_sentences(), make_annotations([*rows, orphan]))
    result = run(["release", str(build_dir), "--version", "1.0.0", "--out", str(tmp_path / "release")])
    assert result.exit_code == 0, result.output
    released = pl.read_parquet(tmp_path / "release" / "data" / "annotations.parquet")
    manifest = json.loads((tmp_path / "release" / "manifest.json").read_text(encoding="utf-8"))
    # annotations in = released + orphans, and the card says so
    assert 999 not in released["annotation_id"].to_list()
    assert released.height + manifest["counts"]["orphan_annotations"] == len(rows) + 1
    assert manifest["counts"]["orphan_annotations"] == 1
    card = (tmp_path / "release" / "README.md").read_text(encoding="utf-8")
    assert "1 annotation refers to sentences not in this build" in card


# ------------------------------------------------------------------- hand-edited exports with wrong field types
def _tax_result(path: list[str]) -> list[dict]:
    return [{"from_name": "event", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [path]}}]


@pytest.mark.parametrize("field, value", [("lead_time", "slow"), ("id", None)])
def test_an_annotation_field_of_the_wrong_type_is_quarantined_not_fatal(tmp_path, field, value):
    good, bad = _ann(1, 3, ["No event"]), _ann(2, 4, ["No event"])
    bad[field] = value
    export = tmp_path / "export.json"
    export.write_text(_export(make_sentences(), [[good], [bad]]), encoding="utf-8")
    result = run(["pull", "--from-file", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(tmp_path / "o" / "annotations.parquet")["annotation_id"].to_list() == [1]
    quarantine = pl.read_parquet(tmp_path / "o" / "annotation_quarantine.parquet")
    assert quarantine["reason"].to_list() == [Reason.MALFORMED_RESULT]


@pytest.mark.parametrize("field", ["was_cancelled", "ground_truth"])
def test_flags_given_as_strings_are_not_silently_flipped(tmp_path, field):
    annotation = _ann(1, 3, ["Battles", "Armed clash"])
    annotation[field] = "false"
    frames_in = tmp_path / "export.json"
    frames_in.write_text(_export(make_sentences(), [[annotation]]), encoding="utf-8")
    pull(None, tmp_path / "o", from_file=frames_in)
    pulled = pl.read_parquet(tmp_path / "o" / "annotations.parquet")
    quarantine = pl.read_parquet(tmp_path / "o" / "annotation_quarantine.parquet")
    # either parsed as the false it says, or set aside with a reason — never read as True
    assert (pulled.height == 1 and pulled[field].item() is False) or (
        pulled.height == 0 and quarantine["reason"].to_list() == [Reason.MALFORMED_RESULT])


# ------------------------------------------------------------------------------ one line, whatever the message
def test_an_error_message_with_line_breaks_is_still_one_line(monkeypatch, tmp_path):
    import conflictset.cli.prelabel_cmd as evaluate_module
    from conflictset.schemas.errors import InputError

    def broken(path):
        raise InputError("cannot read gold file: first line\nsecond line\n", file=str(path))

    monkeypatch.setattr(evaluate_module, "evaluate", broken)
    result = run(["evaluate", str(tmp_path / "gold.jsonl")])
    assert result.exit_code == 2
    line = one_line(result)
    assert "first line" in line and "second line" in line
