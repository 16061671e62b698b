"""A small REST client for Label Studio with errors a person can act on.

Connection: ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY`` (the SDK's conventional variables)
select any server; otherwise the local studio started by ``conflictset studio start``.
httpx is used directly (the SDK uses it too) so imports can send pre-serialised JSON and every
failure maps to one line. The token is only ever placed in the Authorization header.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterator

import httpx

from conflictset.export.label_studio import credentials as creds_mod
from conflictset.export.label_studio import server
from conflictset.export.label_studio.errors import (
    ProjectMissing, StudioAuthError, StudioServerError, StudioUnreachable,
)

START_HINT = "run `conflictset studio start`, or set LABEL_STUDIO_URL to a running server"
TOKEN_HINT = ("set LABEL_STUDIO_API_KEY to a valid token (Label Studio → Account & Settings → "
              "Access Token), or unset it to use the local studio's stored token")


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


class StudioClient:
    def __init__(self, url: str, token: str, *, timeout: float = 300.0):
        self.url = url.rstrip("/")
        self._token = token
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._auth: str | None = None

    # -- plumbing -------------------------------------------------------------------------
    def _authorization(self) -> str:
        if self._auth is None:
            if _looks_like_jwt(self._token):  # personal access token: trade it for an access token
                resp = self._send("POST", "/api/token/refresh/", json={"refresh": self._token},
                                  auth=False)
                self._auth = f"Bearer {resp.json()['access']}"
            else:
                self._auth = f"Token {self._token}"
        return self._auth

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if auth:
            headers["Authorization"] = self._authorization()
        try:
            resp = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "is not reachable"
            raise StudioUnreachable(
                f"Label Studio at {self.url} {kind} ({type(exc).__name__}) — fix: {START_HINT}"
            ) from None
        if resp.status_code in (401, 403):
            raise StudioAuthError(
                f"Label Studio at {self.url} rejected the API token (HTTP {resp.status_code}) "
                f"— fix: {TOKEN_HINT}")
        if resp.status_code >= 500:
            raise StudioServerError(
                f"Label Studio at {self.url} failed with HTTP {resp.status_code} on {method} "
                f"{path.split('?')[0]} — fix: check the server log (`conflictset studio status` "
                "shows where) and re-run; push and pull are safe to repeat")
        return resp

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        resp = self._send(method, path, **kwargs)
        if resp.status_code >= 400:
            detail = _detail(resp)
            raise StudioServerError(
                f"Label Studio at {self.url} refused {method} {path.split('?')[0]} with HTTP "
                f"{resp.status_code}: {detail} — fix: check the request named here")
        return resp

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- projects -------------------------------------------------------------------------
    def projects(self, title: str | None = None) -> Iterator[dict]:
        """``{id, title}`` of every project (``title``: those whose title contains it)."""
        page = 1
        while True:
            params = {"page": page, "page_size": 100, "include": "id,title"}
            if title:
                params["title"] = title
            body = self.request("GET", "/api/projects/", params=params).json()
            yield from body["results"]
            if not body.get("next"):
                return
            page += 1

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
        return self.request("GET", f"/api/projects/{project_id}/").json()

    def project_by_id(self, project_id: int) -> dict | None:
        """The project with this id, or None when the server has none."""
        if self._send("GET", f"/api/projects/{project_id}/").status_code == 404:
            return None
        return self.get_project(project_id)  # any other failure is reported by request()

    def create_project(self, title: str, label_config: str, description: str) -> dict:
        return self.request("POST", "/api/projects/", json={
            "title": title, "label_config": label_config, "description": description,
        }).json()

    def project_url(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}/data"

    # -- tasks ----------------------------------------------------------------------------
    def task_sentence_ids(self, project_id: int, page_size: int = 5000) -> dict[str, int]:
        """``data.sentence_id`` → task id for every task already in the project."""
        found: dict[str, int] = {}
        page = 1
        while True:
            body = self.request("GET", "/api/tasks/", params={
                "project": project_id, "fields": "task_only", "include": "id,data",
                "page": page, "page_size": page_size,
            }).json()
            tasks = body.get("tasks", [])
            for task in tasks:
                sid = (task.get("data") or {}).get("sentence_id")
                if sid is not None:
                    found[str(sid)] = task["id"]
            page += 1
            if not tasks or (page - 1) * page_size >= body.get("total", 0):
                return found

    def import_tasks(self, project_id: int, body: bytes) -> dict:
        """POST pre-serialised tasks (a JSON array); one request is one server transaction."""
        return self.request("POST", f"/api/projects/{project_id}/import", content=body,
                            params={"return_task_ids": "true"},  # for the push ledger
                            headers={"Content-Type": "application/json"}).json()

    # -- export ---------------------------------------------------------------------------
    def export_snapshot(self, project_id: int, dest: Path, *, poll: float = 0.2,
                        timeout: float = 600.0) -> Path:
        """Snapshot export with full predictions (never JSON_MIN), downloaded to ``dest``."""
        created = self.request("POST", f"/api/projects/{project_id}/exports/", json={
            "title": "conflictset pull",
            "serialization_options": {"predictions": {"only_id": False}},
        }).json()
        export_id = created["id"]
        deadline = time.monotonic() + timeout
        status = created.get("status")
        while status != "completed":
            if status == "failed":
                raise StudioServerError(
                    f"Label Studio export {export_id} of project {project_id} failed on {self.url} "
                    "— fix: check the server log and re-run `conflictset pull`")
            if time.monotonic() > deadline:
                raise StudioServerError(f"Label Studio export {export_id} did not finish in "
                                        f"{timeout:.0f} s — fix: re-run `conflictset pull` later")
            time.sleep(poll)
            status = self.request("GET", f"/api/projects/{project_id}/exports/{export_id}").json()["status"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._http.stream("GET", f"/api/projects/{project_id}/exports/{export_id}/download",
                                   params={"exportType": "JSON"},
                                   headers={"Authorization": self._authorization()}) as resp:
                if resp.status_code >= 400:
                    raise StudioServerError(
                        f"downloading export {export_id} failed with HTTP {resp.status_code} — fix: "
                        "re-run `conflictset pull`")
                with open(dest, "wb") as fh:
                    for chunk in resp.iter_bytes(1 << 20):
                        fh.write(chunk)
        except httpx.TransportError as exc:
            raise StudioUnreachable(f"Label Studio at {self.url} went away during the export "
                                    f"download ({type(exc).__name__}) — fix: {START_HINT}, then "
                                    "re-run `conflictset pull`") from None
        # snapshots pile up on the server otherwise; failing to delete one is harmless
        try:
            self._send("DELETE", f"/api/projects/{project_id}/exports/{export_id}")
        except Exception:  # noqa: BLE001
            pass
        return dest


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200].replace("\n", " ")
    if isinstance(body, dict):
        parts = [str(body.get("detail", ""))]
        if body.get("validation_errors"):
            parts.append(json.dumps(body["validation_errors"], ensure_ascii=False))
        return " ".join(p for p in parts if p)[:500].replace("\n", " ")
    return str(body)[:300]


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
