"""Where the local studio keeps its state, and its secrets (admin login, API token).

Everything lives under one directory, ``.studio/`` in the working directory unless
``CONFLICTSET_STUDIO_DIR`` says otherwise. The token is generated once and stored in
``credentials.json`` with mode 0600; it is never printed or written anywhere else.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

CREDENTIALS_FILE = "credentials.json"
DEFAULT_USERNAME = "admin@conflictset.local"


def studio_dir() -> Path:
    return Path(os.environ.get("CONFLICTSET_STUDIO_DIR") or Path.cwd() / ".studio")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str


def generate() -> Credentials:
    # token_hex: URL- and header-safe, and long enough to be unguessable
    return Credentials(DEFAULT_USERNAME, secrets.token_urlsafe(12), secrets.token_hex(20))


def write_private_json(path: Path, payload: dict) -> None:
    """Write JSON readable by the owner only (created 0600, never world-readable in between)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load(directory: Path | None = None) -> Credentials | None:
    path = (directory or studio_dir()) / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(str(data["username"]), str(data["password"]), str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_or_create(directory: Path | None = None) -> Credentials:
    """The stored credentials, generated and saved (0600) on first use."""
    directory = directory or studio_dir()
    creds = load(directory)
    if creds is None:
        creds = generate()
        write_private_json(directory / CREDENTIALS_FILE, asdict(creds))
    return creds


def known_secrets() -> tuple[str, ...]:
    """Secret values to scrub from every message (used by ``dataset.cli.redact``)."""
    creds = load()
    return (creds.token, creds.password) if creds else ()
