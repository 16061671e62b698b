"""The SDK-based client: personal access tokens, and every failure as one line with a fix that
never shows the token (real Label Studio, or a real loopback server that answers like a proxy)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from click.testing import CliRunner
from studio_helpers import sentence_frame, write_build

from conflictset.cli import main
from conflictset.export.label_studio.client import StudioClient
from conflictset.export.label_studio.config import label_config
from conflictset.export.label_studio.errors import StudioAuthError, StudioServerError, StudioUnreachable
from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import push

LEGACY_TOKEN = "RECOGNISABLE-legacy-token-81d2"


def _personal_access_token(expires_in: float) -> str:
    """A JWT shaped like Label Studio's personal access tokens (signed with a key no server has)."""
    claims = {"token_type": "refresh", "exp": int(time.time() + expires_in), "user_id": 1}
    return jwt.encode(claims, "RECOGNISABLE-not-the-server-key-4f0a2c", algorithm="HS256")


def _assert_one_line_without(message: str, token: str) -> None:
    assert "\n" not in message and "— fix:" in message
    assert token not in message


@contextmanager
def _html_server(status: int = 502):
    """A loopback server answering every request with an HTML page; yields (url, paths seen)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            seen.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- personal access tokens ---------------------------------------------------------------------
@pytest.mark.studio
def test_personal_access_token_pushes_and_pulls_then_revoked_is_one_line(studio, project_title, tmp_path):
    with studio.client() as admin:
        token = admin.call(admin.sdk.tokens.create).token
    with StudioClient(studio.url, token) as client:
        assert push(write_build(tmp_path / "b", sentence_frame()), project_title, client=client).pushed == 8
        assert pull(project_title, tmp_path / "o", client=client).counts["tasks"] == 8
        assert client.sdk.projects.get(client.find_project(project_title)["id"]).title == project_title
        client.call(client.sdk.tokens.blacklist, refresh=token)
    with StudioClient(studio.url, token) as revoked, pytest.raises(StudioAuthError) as err:
        revoked.find_project(project_title)
    assert "rejected the API token (HTTP 401)" in str(err.value)
    _assert_one_line_without(str(err.value), token)
    result = CliRunner().invoke(main, ["pull", "--project", project_title, "--out", str(tmp_path / "o2")],
                                env=studio.env(LABEL_STUDIO_API_KEY=token))
    assert result.exit_code == 6 and token not in result.output + result.stderr


def test_expired_personal_access_token_is_refused_before_any_request():
    token = _personal_access_token(expires_in=-60)
    with pytest.raises(StudioAuthError) as err:
        StudioClient("http://127.0.0.1:9", token)  # nothing listens there: no request was made
    assert "cannot be used (API key has expired" in str(err.value) and "LABEL_STUDIO_API_KEY" in str(err.value)
    _assert_one_line_without(str(err.value), token)


# -- a proxy's HTML page, a silent server --------------------------------------------------------
@pytest.mark.parametrize("kind", ["legacy", "personal"])
def test_proxy_error_page_is_one_line_naming_the_request(kind):
    token = LEGACY_TOKEN if kind == "legacy" else _personal_access_token(expires_in=3600)
    with _html_server() as (url, seen), StudioClient(url, token) as client:
        with pytest.raises(StudioServerError) as err:
            client.find_project("p")
    request = "GET /api/projects/" if kind == "legacy" else "POST /api/token/refresh/"
    assert f"failed with HTTP 502 on {request} — fix: check the server log" in str(err.value)
    _assert_one_line_without(str(err.value), token)
    assert len(seen) == 1  # no retry: a push resumes instead


def test_web_page_instead_of_the_api_is_one_line():
    with _html_server(200) as (url, _), StudioClient(url, LEGACY_TOKEN) as client:
        with pytest.raises(StudioServerError) as err:
            client.find_project("p")
    assert f"{url} answered GET /api/projects/ with HTTP 200 but not as Label Studio does" in str(err.value)
    _assert_one_line_without(str(err.value), LEGACY_TOKEN)


def test_server_under_a_path_prefix_gets_every_request_under_it():
    token = _personal_access_token(expires_in=3600)
    with _html_server() as (url, seen), StudioClient(f"{url}/label-studio/", token) as client:
        with pytest.raises(StudioServerError, match="on POST /api/token/refresh/"):
            client.find_project("p")
    assert seen == ["/label-studio/api/token/refresh/"]


def test_server_that_never_answers_times_out_in_one_line():
    with socket.socket() as listener:  # accepts connections (the kernel does), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with StudioClient(url, LEGACY_TOKEN, timeout=0.2) as client, pytest.raises(StudioUnreachable) as err:
            client.find_project("p")
    assert f"Label Studio at {url} timed out (ReadTimeout) — fix: run `conflictset studio start`" in str(err.value)
    _assert_one_line_without(str(err.value), LEGACY_TOKEN)


# -- refusals from a real server -----------------------------------------------------------------
@pytest.mark.studio
def test_refused_requests_name_the_request_and_the_servers_reason(client, studio, project_title):
    missing = 10**8
    assert client.project_by_id(missing) is None
    with pytest.raises(StudioServerError) as err:
        client.get_project(missing)
    assert f"refused GET /api/projects/{missing}/ with HTTP 404: No Project matches" in str(err.value)
    project = client.create_project(project_title, label_config(), "x")
    with pytest.raises(StudioServerError) as err:
        client.import_tasks(project["id"], b'[{"data": {"no_text": 1}}]')
    message = str(err.value)
    assert f"refused POST /api/projects/{project['id']}/import with HTTP 400" in message
    assert "HTTP 400: Validation error" in message
    _assert_one_line_without(message, studio.token)
