"""Install, start, stop and inspect the local Label Studio server.

The server lives in its own virtual environment (``.studio/venv``) so its pins never constrain
ours. ``start`` binds 127.0.0.1 only, keeps its database under ``.studio/data`` and records the
pid and the port it really got in ``.studio/server.json``: Label Studio silently moves to P+1
when P is busy, so the port is read back from the server's own log line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from conflictset.dataset.io import pid_alive
from conflictset.export.label_studio import credentials as creds_mod
from conflictset.export.label_studio.credentials import Credentials
from conflictset.export.label_studio.errors import StudioError

LABEL_STUDIO_VERSION = "1.23.2"
PIN = f"label-studio=={LABEL_STUDIO_VERSION}"
HOST = "127.0.0.1"
DEFAULT_PORT = 8080
STATE_FILE = "server.json"
_STARTED_AT = re.compile(r"Starting development server at https?://[^:/]+:(\d+)/")


@dataclass(frozen=True)
class ServerInfo:
    url: str
    port: int
    pid: int
    data_dir: str
    log: str


def venv_dir(root: Path | None = None) -> Path:
    return (root or creds_mod.studio_dir()) / "venv"


def executable(root: Path | None = None) -> Path:
    return venv_dir(root) / "bin" / "label-studio"


def installed_version(root: Path | None = None) -> str | None:
    python = venv_dir(root) / "bin" / "python"
    if not executable(root).exists() or not python.exists():
        return None
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
        capture_output=True, text=True, check=False,
    )
    return out.stdout.strip() or None


def install(root: Path | None = None, *, log=None) -> Path:
    """Install the pinned server into ``root/venv`` unless it is already there (then ~0.2 s)."""
    root = Path(root or creds_mod.studio_dir()).resolve()
    stamp = venv_dir(root) / ".conflictset-pin"
    if executable(root).exists() and stamp.exists() and stamp.read_text().strip() == PIN:
        return executable(root)
    if installed_version(root) != LABEL_STUDIO_VERSION:
        if log:
            log(f"installing {PIN} into {venv_dir(root)} (about a minute, ~1 GB)…")
        root.mkdir(parents=True, exist_ok=True)
        install_log = root / "install.log"
        with open(install_log, "w", encoding="utf-8") as fh:
            base = getattr(sys, "_base_executable", None) or sys.executable
            steps = ([base, "-m", "venv", str(venv_dir(root))],
                     [str(venv_dir(root) / "bin" / "python"), "-m", "pip", "install", "-q",
                      "--disable-pip-version-check", PIN])
            for step in steps:
                code = subprocess.run(step, stdout=fh, stderr=subprocess.STDOUT, check=False).returncode
                if code:
                    raise StudioError(
                        f"installing {PIN} failed (exit {code}); see {install_log} — fix: check the "
                        "network or proxy and run `conflictset studio install` again")
    stamp.write_text(PIN + "\n")
    return executable(root)


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(start: int = DEFAULT_PORT, host: str = HOST) -> int:
    for port in range(start, start + 100):
        if port_is_free(port, host):
            return port
    raise StudioError(f"no free port between {start} and {start + 99} on {host} — fix: pass --port")


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health/", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def read_state(root: Path | None = None) -> ServerInfo | None:
    try:
        data = json.loads(((root or creds_mod.studio_dir()) / STATE_FILE).read_text(encoding="utf-8"))
        return ServerInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def server_env(data_dir: Path, creds: Credentials) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": creds.username,
        "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token,
        # honoured at the first start only: makes the token above a valid API key
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        # without it, predictions with labels not in the config are accepted silently
        "fflag_feat_utc_210_prediction_validation_15082025": "true",
    })
    return env


def _log_tail(log: Path, lines: int = 5) -> str:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return " | ".join(tail)


def _actual_port(log: Path) -> int | None:
    try:
        match = _STARTED_AT.search(log.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return int(match.group(1)) if match else None


def start(root: Path | None = None, *, port: int = DEFAULT_PORT, data_dir: Path | None = None,
          credentials: Credentials | None = None, template: Path | None = None,
          timeout: float = 180.0) -> ServerInfo:
    """Start the server (or return the running one) and wait until ``/health/`` answers.

    ``template``: a pre-built data dir copied in when ``data_dir`` does not exist yet, which
    skips the 25–30 s of database migrations of a fresh start (the tests use it).
    """
    root = Path(root or creds_mod.studio_dir()).resolve()
    running = read_state(root)
    if running and pid_alive(running.pid) and healthy(running.url):
        return running
    exe = install(root)
    creds = credentials or creds_mod.load_or_create(root)
    data_dir = Path(data_dir or root / "data").resolve()
    if not data_dir.exists() and template is not None and template.exists():
        shutil.copytree(template, data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port(port)
    log = root / "server.log"
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
             "--data-dir", str(data_dir)],
            env=server_env(data_dir, creds), stdout=fh, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=root,
        )
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{port}"
    while True:
        if proc.poll() is not None:
            raise StudioError(f"Label Studio exited with code {proc.returncode} while starting "
                              f"({_log_tail(log)}); full log: {log} — fix: read the log, then run "
                              "`conflictset studio start` again")
        actual = _actual_port(log)
        if actual is not None:
            url = f"http://{HOST}:{actual}"
            if healthy(url):
                break
        if time.monotonic() > deadline:
            _terminate(proc.pid)
            raise StudioError(f"Label Studio did not become healthy within {timeout:.0f} s; log: {log}"
                              " — fix: check the log and try again")
        time.sleep(0.25)
    info = ServerInfo(url=url, port=actual, pid=proc.pid, data_dir=str(data_dir), log=str(log))
    (root / STATE_FILE).write_text(json.dumps(asdict(info), indent=2), encoding="utf-8")
    _check_token(info, creds, root)
    return info


def _check_token(info: ServerInfo, creds: Credentials, root: Path) -> None:
    """A data dir created with another token (credentials file lost) would fail every call later."""
    code = httpx.get(f"{info.url}/api/projects/", params={"page_size": 1},
                     headers={"Authorization": f"Token {creds.token}"}, timeout=30).status_code
    if code in (401, 403):
        stop(root)
        raise StudioError(
            f"the studio database in {info.data_dir} was created with another API token than the one "
            f"in {root / creds_mod.CREDENTIALS_FILE} — fix: restore that credentials file, or move "
            f"{info.data_dir} away to start a fresh studio")


def _terminate(pid: int, grace: float = 15.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for its disappearance
            done = 0 if pid_alive(pid) else pid
        if done == pid:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(root: Path | None = None) -> ServerInfo | None:
    """Stop the recorded server; returns what was stopped (None when nothing ran)."""
    root = root or creds_mod.studio_dir()
    info = read_state(root)
    if info is None:
        return None
    if pid_alive(info.pid):
        _terminate(info.pid)
    (root / STATE_FILE).unlink(missing_ok=True)
    return info


def status(root: Path | None = None) -> dict:
    root = root or creds_mod.studio_dir()
    info = read_state(root)
    running = bool(info and pid_alive(info.pid))
    return {
        "installed": installed_version(root) == LABEL_STUDIO_VERSION,
        "running": running,
        "healthy": running and healthy(info.url),
        "url": info.url if info else None,
        "pid": info.pid if info else None,
        "data_dir": info.data_dir if info else str(root / "data"),
    }


def build_template(root: Path | None = None) -> tuple[Path, Credentials]:
    """A migrated, empty data dir (+ its credentials) to copy for fast test servers.

    Built once (one fresh start, ~30 s) under ``root/template``; reused while the pin matches.
    """
    root = Path(root or creds_mod.studio_dir()).resolve()
    tdir = root / "template"
    data, stamp = tdir / "data", tdir / "version"
    if data.exists() and stamp.exists() and stamp.read_text().strip() == PIN:
        creds = creds_mod.load(tdir)
        if creds is not None:
            return data, creds
    shutil.rmtree(tdir, ignore_errors=True)
    creds = creds_mod.load_or_create(tdir)
    build = tdir / "build"
    build.mkdir(parents=True, exist_ok=True)
    install(root)
    # the build server's state lives in tdir/build so it cannot clash with a running studio
    link_venv(root, build)
    try:
        start(build, port=free_port(18080), data_dir=tdir / "data.partial", credentials=creds)
    finally:
        stop(build)
    os.replace(tdir / "data.partial", data)
    stamp.write_text(PIN + "\n")
    return data, creds


def link_venv(root: Path, other: Path) -> None:
    """Let another state directory use the one installed venv (no second 1 GB install)."""
    link = venv_dir(other)
    if not link.exists():
        other.mkdir(parents=True, exist_ok=True)
        link.symlink_to(venv_dir(root).resolve(), target_is_directory=True)
