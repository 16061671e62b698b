"""Errors a person can act on: one line, a non-zero exit code, never the token."""

from __future__ import annotations

import os
import stat

import polars as pl
import pytest
from click.testing import CliRunner
from studio_helpers import sentence_frame, write_build

from conflictset.cli import main
from conflictset.export.label_studio import server
from conflictset.export.label_studio.client import StudioClient
from conflictset.export.label_studio.config import label_config
from conflictset.export.label_studio.errors import ConfigChanged, StudioServerError
from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import push

BAD_TOKEN = "RECOGNISABLE-bad-token-5f3c9a"


def _run(args, env):
    # CliRunner sets os.environ for the call; the keys set to None are removed
    clean = {k: None for k in os.environ if k.startswith("LABEL_STUDIO_")}
    return CliRunner().invoke(main, args, env={**clean, **env})


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


@pytest.mark.studio
def test_bad_token_is_one_line_without_the_token(studio, tmp_path):
    result = _run(["pull", "--project", "whatever", "--out", str(tmp_path / "o")],
                  studio.env(LABEL_STUDIO_API_KEY=BAD_TOKEN))
    line = _one_line(result)
    assert result.exit_code == 6
    assert "rejected the API token (HTTP 401)" in line and "LABEL_STUDIO_API_KEY" in line
    assert BAD_TOKEN not in result.output + result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.studio
def test_missing_project_names_the_fix(studio, tmp_path):
    result = _run(["pull", "--project", "no such project", "--out", str(tmp_path / "o")], studio.env())
    line = _one_line(result)
    assert result.exit_code == 2
    assert "no project titled 'no such project'" in line and "conflictset push" in line
    assert studio.token not in result.output + result.stderr


def test_unreachable_server_says_how_to_start_one(tmp_path):
    port = server.free_port(18700)
    result = _run(["pull", "--project", "p", "--out", str(tmp_path / "o")],
                  {"LABEL_STUDIO_URL": f"http://127.0.0.1:{port}", "LABEL_STUDIO_API_KEY": BAD_TOKEN})
    line = _one_line(result)
    assert result.exit_code == 5
    assert f"127.0.0.1:{port} is not reachable" in line and "conflictset studio start" in line
    assert BAD_TOKEN not in result.output + result.stderr


def test_no_local_studio_and_no_url(tmp_path):
    result = _run(["push", str(tmp_path), "--project", "p"], {"CONFLICTSET_STUDIO_DIR": str(tmp_path / "s")})
    assert result.exit_code == 2 and "has no sentences.parquet" in _one_line(result)
    write_build(tmp_path / "b", sentence_frame())
    result = _run(["push", str(tmp_path / "b"), "--project", "p"], {"CONFLICTSET_STUDIO_DIR": str(tmp_path / "s")})
    assert result.exit_code == 5 and "conflictset studio start" in _one_line(result)


def test_url_without_key_never_sends_the_local_token(tmp_path):
    result = _run(["pull", "--project", "p", "--out", str(tmp_path / "o")],
                  {"LABEL_STUDIO_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 6 and "LABEL_STUDIO_API_KEY is not" in _one_line(result)


@pytest.mark.studio
def test_server_error_500_is_one_line(client, project_title):
    project = client.create_project(project_title, label_config(), "x")
    # a meta.* filter makes Label Studio 1.23 answer HTTP 500
    query = '{"filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:meta.x", ' \
            '"operator": "equal", "type": "String", "value": "a"}]}}'
    with pytest.raises(StudioServerError) as err:
        client.call(client.sdk.tasks.list, project=project["id"], query=query)
    message = str(err.value)
    assert "HTTP 500 on GET /api/tasks/" in message and "\n" not in message
    assert err.value.exit_code == 7


@pytest.mark.studio
def test_config_changed_in_label_studio_is_detected(client, studio, project_title, tmp_path):
    build = write_build(tmp_path / "build", sentence_frame())
    pushed = push(build, project_title, client=client)
    edited = label_config().replace("<View>", '<View>\n  <Header value="edited by hand"/>', 1)
    client.sdk.projects.update(pushed.project_id, label_config=edited)
    with pytest.raises(ConfigChanged, match="was changed in Label Studio since the push"):
        pull(project_title, tmp_path / "o", client=client)
    with pytest.raises(ConfigChanged):
        push(build, project_title, client=client)
    result = _run(["pull", "--project", project_title, "--out", str(tmp_path / "o")], studio.env())
    assert result.exit_code == 2 and "restore the generated config" in _one_line(result)
    # an explicit override still pulls
    assert pull(project_title, tmp_path / "o", client=client, allow_config_change=True).counts["tasks"] == 8


@pytest.mark.studio
def test_project_not_made_by_conflictset_is_refused(client, project_title, tmp_path):
    client.create_project(project_title, label_config(), "made by hand")
    with pytest.raises(ConfigChanged, match="not created by conflictset"):
        push(write_build(tmp_path / "b", sentence_frame()), project_title, client=client)


def test_bad_prelabels_are_refused_before_anything_is_sent(tmp_path):
    frame = sentence_frame().with_columns(
        pl.when(pl.col("sentence_index") == 1).then(pl.lit("Riots")).otherwise(pl.col("event_type"))
        .alias("event_type"))
    build = write_build(tmp_path / "b", frame)
    # an unreachable client proves nothing was sent: the check comes first
    with pytest.raises(Exception) as err:
        push(build, "p", client=StudioClient("http://127.0.0.1:9", "x"))
    assert "nl-raqqa-00001" in str(err.value) and "is not a path of the taxonomy" in str(err.value)


@pytest.mark.studio
def test_studio_cli_start_status_stop(repo_root, tmp_path):
    """`conflictset studio start|status|stop` on a private state dir (copied template: fast)."""
    install_root = repo_root / ".studio"
    template, creds = server.build_template(install_root)
    root = tmp_path / "state"
    server.link_venv(install_root, root)
    import json
    import shutil

    shutil.copytree(template, root / "data")
    shutil.copy(install_root / "template" / "credentials.json", root / "credentials.json")
    env = {"CONFLICTSET_STUDIO_DIR": str(root)}
    port = server.free_port(18600)
    try:
        started = _run(["studio", "start", "--port", str(port)], env)
        assert started.exit_code == 0, started.output + started.stderr
        assert f"running at http://127.0.0.1:{port}" in started.output
        assert f"log in as {creds.username} / {creds.password}" in started.output
        assert creds.token not in started.output + started.stderr
        assert stat.S_IMODE((root / "credentials.json").stat().st_mode) == 0o600
        status = _run(["studio", "status", "--json"], env)
        state = json.loads(status.output)
        assert state["running"] and state["healthy"] and state["url"] == f"http://127.0.0.1:{port}"
        again = _run(["studio", "start", "--port", str(port)], env)  # already running: same server
        assert again.exit_code == 0 and f"pid {state['pid']}" in again.output
    finally:
        stopped = _run(["studio", "stop"], env)
    assert stopped.exit_code == 0 and "stopped" in stopped.output
    assert "not running" in _run(["studio", "status"], env).output


def test_studio_install_is_a_no_op_when_installed(repo_root):
    server.install(repo_root / ".studio")  # no-op after the session fixture / `make test`
    result = _run(["studio", "install"], {"CONFLICTSET_STUDIO_DIR": str(repo_root / ".studio")})
    assert result.exit_code == 0 and f"Label Studio {server.LABEL_STUDIO_VERSION} is installed" in result.output
    assert "installing" not in result.output  # nothing was downloaded again
