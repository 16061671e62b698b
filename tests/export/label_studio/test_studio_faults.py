"""Faults against a real server: it stops mid-push and before a pull; nothing lost or doubled."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import polars as pl
import pytest
from studio_helpers import Studio, many_sentences, sentence_frame, write_build

from conflictset.export.label_studio import server
from conflictset.export.label_studio.errors import StudioUnreachable
from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import push

pytestmark = pytest.mark.studio
CLI = [sys.executable, "-c", "from conflictset.cli import main; main()"]


@pytest.fixture
def private_studio(repo_root, tmp_path):
    """A second server (its own data dir) that this test may stop and restart."""
    install_root = repo_root / ".studio"
    template, creds = server.build_template(install_root)
    root = tmp_path / "private"
    server.link_venv(install_root, root)
    port = server.free_port(18400)

    def start() -> Studio:
        info = server.start(root, port=port, data_dir=root / "data", credentials=creds, template=template)
        return Studio(info.url, creds.token, root)

    try:
        yield start
    finally:
        server.stop(root)


def test_server_stopped_mid_push_then_resumed(private_studio, tmp_path):
    studio = private_studio()
    n = 60
    build = write_build(tmp_path / "build", many_sentences(n))
    title = "fault-mid-push"
    cmd = [*CLI, "push", str(build), "--project", title, "--batch-size", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, env=studio.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with studio.client() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            project = client.find_project(title)
            if project and len(client.task_sentence_ids(project["id"])) >= 5:
                break
            time.sleep(0.05)
    server.stop(studio.root)  # the server goes away while the push is importing
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 5, err
    assert err.strip().count("\n") == 0 and "is not reachable" in err and "Traceback" not in err
    assert studio.token not in err

    studio = private_studio()  # same data dir: the tasks imported so far are still there
    with studio.client() as client:
        project = client.find_project(title)
        before = len(client.task_sentence_ids(project["id"]))
        assert 5 <= before < n
        resumed = push(build, title, client=client)
        assert (resumed.already, resumed.pushed) == (before, n - before)
        ids = client.task_sentence_ids(project["id"])
        assert sorted(ids) == sorted(many_sentences(n)["sentence_id"])
        tasks = list(client.tasks(project["id"]))
        assert len(tasks) == n  # no duplicates


def test_server_gone_before_pull_leaves_previous_outputs(private_studio, tmp_path):
    studio = private_studio()
    build = write_build(tmp_path / "build", sentence_frame())
    out = tmp_path / "pulled"
    with studio.client() as client:
        push(build, "fault-pull", client=client)
        pull("fault-pull", out, client=client)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    server.stop(studio.root)
    with studio.client() as client, pytest.raises(StudioUnreachable, match="conflictset studio start"):
        pull("fault-pull", out, client=client)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert pl.read_parquet(out / "tasks.parquet").height == 8
    # the server's log and state never hold the token
    assert studio.token not in (studio.root / "server.log").read_text(errors="replace")
    shutil.rmtree(studio.root / "data")
