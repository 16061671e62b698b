"""The Label Studio client: ``label_studio_sdk.LabelStudio`` with errors a person can act on.

Connection: ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY`` (the SDK's conventional variables)
select any server; otherwise the local studio started by ``conflictset studio start``.
Every SDK call runs through :meth:`StudioClient.call`, which turns the SDK's ``ApiError`` and
httpx transport errors into one line with a fix. The SDK places the token in the Authorization
header only, and trades a personal access token (a JWT) for access tokens, refreshed as they expire.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.core.parse_error import ParsingError

from conflictset.export.label_studio import credentials as creds_mod
from conflictset.export.label_studio import server
from conflictset.export.label_studio.errors import (
    ProjectMissing,
    StudioAuthError,
    StudioError,
    StudioServerError,
    StudioUnreachable,
)

START_HINT = "run `conflictset studio start`, or set LABEL_STUDIO_URL to a running server"
TOKEN_HINT = ("set LABEL_STUDIO_API_KEY to a valid token (Label Studio → Account & Settings → "
              "Access Token), or unset it to use the local studio's stored token")
T = TypeVar("T")


class StudioClient:
    def __init__(self, url: str, token: str, *, timeout: float = 300.0):
        self.url = url.rstrip("/")
        self._base_path = urlsplit(self.url).path
        self._last: httpx.Response | None = None  # names the request an ApiError is about
        self._http = httpx.Client(timeout=timeout, event_hooks={"response": [self._remember]})
        try:
            # max_retries=0: the SDK would repeat a failed import (HTTP 5xx, 409); the push resumes
            # instead. The trailing "/" keeps a path prefix in the SDK's JWT refresh URL (urljoin).
            self.sdk = LabelStudio(base_url=self.url + "/", api_key=token, timeout=timeout,
                                   max_retries=0, httpx_client=self._http)
        except ApiError as exc:  # a personal access token that expired or has no expiry
            self._http.close()
            raise StudioAuthError(f"the API token for {self.url} cannot be used ({_detail(exc.body)}) "
                                  f"— fix: {TOKEN_HINT}") from None

    # -- plumbing -------------------------------------------------------------------------
    def _remember(self, response: httpx.Response) -> None:
        self._last = response

    def _request_name(self) -> str:
        if self._last is None:
            return "a request"
        path = self._last.request.url.path
        return f"{self._last.request.method} {path.removeprefix(self._base_path) or '/'}"

    def _mapped(self, exc: ApiError | ParsingError) -> StudioError:
        code, what = exc.status_code, self._request_name()
        if code in (401, 403):
            return StudioAuthError(f"Label Studio at {self.url} rejected the API token (HTTP {code}) "
                                   f"— fix: {TOKEN_HINT}")
        if code is not None and code < 400:  # e.g. a web page where the API should answer
            return StudioServerError(
                f"{self.url} answered {what} with HTTP {code} but not as Label Studio does "
                f"({_detail(exc.body)}) — fix: point LABEL_STUDIO_URL at a Label Studio server")
        if code is None or code >= 500:
            return StudioServerError(
                f"Label Studio at {self.url} failed with HTTP {code} on {what} — fix: check the "
                "server log (`conflictset studio status` shows where) and re-run; push and pull "
                "are safe to repeat")
        return StudioServerError(f"Label Studio at {self.url} refused {what} with HTTP {code}: "
                                 f"{_detail(exc.body)} — fix: check the request named here")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SDK and transport failures as one-line :class:`StudioError` s (never the token)."""
        try:
            yield
        except (ApiError, ParsingError) as exc:
            raise self._mapped(exc) from None
        except json.JSONDecodeError:
            # the SDK's token refresh parses any error body as JSON: a proxy's HTML page ends here
            if self._last is None or self._last.status_code < 400:
                raise
            raise self._mapped(ApiError(status_code=self._last.status_code, body=_body(self._last))) from None
        except httpx.TransportError as exc:
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "is not reachable"
            raise StudioUnreachable(
                f"Label Studio at {self.url} {kind} ({type(exc).__name__}) — fix: {START_HINT}"
            ) from None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` — an SDK method, e.g. ``client.sdk.tasks.get`` — with errors mapped."""
        with self._errors():
            return fn(*args, **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- projects -------------------------------------------------------------------------
    def projects(self, title: str | None = None) -> Iterator[dict]:
        """``{id, title}`` of every project (``title``: those whose title contains it)."""
        # the server filters on ?title= (icontains); the SDK's list() has no parameter for it
        extra = {"additional_query_parameters": {"title": title}} if title else None
        with self._errors():
            for project in self.sdk.projects.list(include="id,title", page_size=100,
                                                  request_options=extra):
                yield {"id": project.id, "title": project.title}

    def find_project(self, title: str) -> dict | None:
        matches = [p for p in self.projects(title) if p["title"] == title]
        if len(matches) > 1:
            raise ProjectMissing(
                f"{len(matches)} projects are titled {title!r} on {self.url} (ids "
                f"{', '.join(str(p['id']) for p in matches)}) — fix: rename all but one in Label Studio")
        return self.get_project(matches[0]["id"]) if matches else None

    def project(self, title: str) -> dict:
        found = self.find_project(title)
        if found is None:
            titles = sorted(p["title"] for p in self.projects())
            known = ", ".join(repr(t) for t in titles[:5]) or "none"
            raise ProjectMissing(
                f"no project titled {title!r} on {self.url} (existing: {known}) — fix: check the "
                f"title, or push first: `conflictset push BUILD_DIR --project {title!r}`")
        return found

    def get_project(self, project_id: int) -> dict:
        return self.call(self.sdk.projects.get, project_id).dict()

    def project_by_id(self, project_id: int) -> dict | None:
        """The project with this id, or None when the server has none."""
        with self._errors():
            try:
                return self.sdk.projects.get(project_id).dict()
            except ApiError as exc:
                if exc.status_code == 404:
                    return None
                raise

    def create_project(self, title: str, label_config: str, description: str) -> dict:
        return self.call(self.sdk.projects.create, title=title, label_config=label_config,
                         description=description).dict()

    def project_url(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}/data"

    # -- tasks ----------------------------------------------------------------------------
    def tasks(self, project_id: int, *, fields: str = "task_only", include: str | None = None,
              page_size: int = 5000) -> Iterator[dict]:
        """Every task of the project as the server sends it (``fields="all"``: with annotations
        and predictions; ``include``: only these comma-separated keys)."""
        with self._errors():
            for task in self.sdk.tasks.list(project=project_id, fields=fields, include=include,
                                            page_size=page_size):
                yield task.dict()

    def task_sentence_ids(self, project_id: int) -> dict[str, int]:
        """``data.sentence_id`` → task id for every task already in the project."""
        found: dict[str, int] = {}
        for task in self.tasks(project_id, include="id,data"):
            sid = (task.get("data") or {}).get("sentence_id")
            if sid is not None:
                found[str(sid)] = task["id"]
        return found

    def import_tasks(self, project_id: int, body: bytes) -> dict:
        """Import pre-serialised tasks (a JSON array, predictions included); one request is one
        server transaction."""
        # Not sdk.projects.import_tasks: it takes dicts and re-encodes every value in Python
        # (jsonable_encoder: 1.5 s per 10k tasks; joining our JSON strings: 0.05 s). bench/studio.py,
        # 10k tasks: client CPU 2.2 s vs 0.6 s, push throughput 0.93× vs 0.99× of plain httpx.
        # So the bytes go through the SDK's own HTTP layer (its auth header, token refresh, base
        # URL), the call its import_tasks makes; `_client_wrapper` is private: label-studio-sdk
        # is pinned <2.2 and the studio tests cover this call.
        with self._errors():
            resp = self.sdk._client_wrapper.httpx_client.request(
                f"api/projects/{project_id}/import", method="POST", content=body,
                params={"return_task_ids": True},  # for the push ledger
                headers={"content-type": "application/json"})
            answer = _body(resp)
            if resp.status_code >= 400 or not isinstance(answer, dict):
                raise ApiError(status_code=resp.status_code, body=answer)
            return answer

    # -- export ---------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, dest: Path, *, poll: float = 0.2,
                        timeout: float = 600.0) -> Path:
        """Snapshot export with full predictions (never JSON_MIN), downloaded to ``dest``."""
        exports = self.sdk.projects.exports
        snapshot = self.call(exports.create, project_id, title="conflictset pull",
                             serialization_options={"predictions": {"only_id": False}})
        export_id, status = snapshot.id, snapshot.status
        deadline = time.monotonic() + timeout
        while status != "completed":
            if status == "failed":
                raise StudioServerError(
                    f"Label Studio export {export_id} of project {project_id} failed on {self.url} "
                    "— fix: check the server log and re-run `conflictset pull`")
            if time.monotonic() > deadline:
                raise StudioServerError(f"Label Studio export {export_id} did not finish in "
                                        f"{timeout:.0f} s — fix: re-run `conflictset pull`")
            time.sleep(poll)
            status = self.call(exports.get, project_id, export_id).status
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(dest, "wb") as fh:
                for chunk in exports.download(project_id, export_id, export_type="JSON",
                                              request_options={"chunk_size": 1 << 20}):
                    fh.write(chunk)
        except ApiError as exc:
            raise StudioServerError(f"downloading export {export_id} failed with HTTP "
                                    f"{exc.status_code} — fix: re-run `conflictset pull`") from None
        except httpx.TransportError as exc:
            raise StudioUnreachable(f"Label Studio at {self.url} went away during the export "
                                    f"download ({type(exc).__name__}) — fix: {START_HINT}, then "
                                    "re-run `conflictset pull`") from None
        # snapshots pile up on the server otherwise; failing to delete one is harmless
        try:
            exports.delete(project_id, export_id)
        except Exception:  # noqa: BLE001
            pass
        return dest


def _body(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except json.JSONDecodeError:
        return resp.text


def _detail(body: Any) -> str:
    """The server's reason from an error body (JSON already parsed by the SDK, or text)."""
    if isinstance(body, dict):
        parts = [str(body.get("detail", ""))]
        if body.get("validation_errors"):
            parts.append(json.dumps(body["validation_errors"], ensure_ascii=False))
        return " ".join(p for p in parts if p)[:500].replace("\n", " ")
    if isinstance(body, str):
        return body[:200].replace("\n", " ")
    return str(body)[:300].replace("\n", " ")


def connect(url: str | None = None, token: str | None = None, *, root: Path | None = None) -> StudioClient:
    """A client for the explicit server, else ``LABEL_STUDIO_URL``/``_API_KEY``, else the local studio."""
    env_url = os.environ.get("LABEL_STUDIO_URL")
    token = token or os.environ.get("LABEL_STUDIO_API_KEY")
    if url is None and env_url:
        url = env_url
        if token is None:  # never send the local studio's token to another server
            raise StudioAuthError(f"LABEL_STUDIO_URL is set to {url} but LABEL_STUDIO_API_KEY is "
                                  f"not — fix: {TOKEN_HINT}")
    if url is None:
        info = server.read_state(root)
        if info is None:
            raise StudioUnreachable(f"no Label Studio server is configured — fix: {START_HINT}")
        url = info.url
    if token is None:
        creds = creds_mod.load(root)
        if creds is None:
            raise StudioAuthError(f"no API token for {url} — fix: {TOKEN_HINT}")
        token = creds.token
    return StudioClient(url, token)
