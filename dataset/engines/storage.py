"""Where a distributed build reads and writes: a local or shared path, or an fsspec URL (``s3://…``).

Object stores are reached through fsspec (``s3fs`` for ``s3://``, installed with the ``s3``
extra); credentials and the endpoint come from the usual environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL`` for an S3-compatible server), so nothing secret
passes through our arguments or messages. Readers of the ingest stage want local files: a shard
of a whole remote file is copied to the worker's temporary directory first (:func:`fetch`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import fsspec
import polars as pl

from conflictset.dataset.ingest.discover import SOURCES_SCHEMA, format_of
from conflictset.dataset.ingest.discover import discover as discover_local
from conflictset.schemas.errors import InputError, OutputError
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA
from conflictset.schemas.reasons import Reason


def is_url(path: str | os.PathLike) -> bool:
    return "://" in str(path) and not str(path).startswith("file://")


def filesystem(path: str | os.PathLike) -> tuple[fsspec.AbstractFileSystem, str]:
    """(filesystem, path inside it) for a local path or a URL."""
    if not is_url(path):
        return fsspec.filesystem("file"), str(Path(path).absolute())
    try:
        return fsspec.core.url_to_fs(str(path))
    except (ImportError, ValueError) as exc:
        raise InputError(f"cannot open {path} ({exc})", fix="install the storage extra, e.g. "
                         "`pip install conflictset[s3]` for s3:// URLs") from None


def join(base: str, *names: str) -> str:
    return "/".join([base.rstrip("/"), *names])


def size(path: str) -> int:
    if not is_url(path):
        return os.path.getsize(path)
    fs, inner = filesystem(path)
    return int(fs.size(inner))


def read_range(path: str, start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of a file."""
    if not is_url(path):
        with open(path, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)
    fs, inner = filesystem(path)
    return fs.cat_file(inner, start=start, end=end)


def fetch(url: str, directory: Path) -> Path:
    """A local copy of a remote file (name kept, so its extension still tells the format)."""
    fs, inner = filesystem(url)
    target = directory / Path(inner).name
    fs.get_file(inner, str(target))
    return target


def put(local: Path, target: str) -> None:
    """Move a finished local file to ``target`` (a path or URL); the target's parents are created."""
    if not is_url(target):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(local, target)
        return
    fs, inner = filesystem(target)
    fs.put_file(str(local), inner)
    local.unlink()


def _discover_url(url: str, exclude: list[str]) -> tuple[list[dict], list[dict]]:
    fs, inner = filesystem(url)
    protocol = url.split("://", 1)[0]
    try:
        if fs.isdir(inner):
            names = sorted(fs.find(inner))
        elif fs.isfile(inner):
            names = [inner]
        else:
            raise InputError("input does not exist", file=url, fix="check the URL (prefixes are read recursively)")
    except (OSError, PermissionError) as exc:
        raise InputError(f"cannot list the input ({type(exc).__name__}: {exc})", file=url,
                         fix="check the URL and the storage credentials in the environment") from None
    sources, problems = [], []
    for name in names:
        full = f"{protocol}://{name}"
        if any(full == e or full.startswith(e.rstrip("/") + "/") for e in exclude):
            continue  # the build's own outputs under an input prefix
        fmt = format_of(name)
        if fmt is None:
            problems.append({"stage": "ingest", "source_file": full, "source_row": None, "field": None,
                             "reason": Reason.UNSUPPORTED_FORMAT.value,
                             "message": f"{full}: unsupported file type {Path(name).suffix or '(no extension)'!r} "
                                        "— fix: convert it or leave it out of the input", "raw": None})
        else:
            sources.append({"path": full, "format": fmt})
    return sources, problems


def discover(inputs: list[str | os.PathLike], exclude: list[str | os.PathLike]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`conflictset.dataset.ingest.discover` for paths and URLs alike, in input order."""
    if not any(is_url(given) for given in inputs):
        return discover_local(inputs, exclude=[e for e in exclude if not is_url(e)])
    frames, problems = [], []
    for given in inputs:
        if is_url(given):
            found, bad = _discover_url(str(given), [str(e) for e in exclude if is_url(e)])
            frames.append(pl.DataFrame(found, schema=SOURCES_SCHEMA))
            problems.append(pl.DataFrame(bad, schema=QUARANTINE_SCHEMA))
        else:
            found, bad = discover_local([given], exclude=[e for e in exclude if not is_url(e)])
            frames.append(found)
            problems.append(bad)
    sources = pl.concat(frames) if frames else pl.DataFrame(schema=SOURCES_SCHEMA)
    return sources.unique("path", keep="first", maintain_order=True), pl.concat(problems)


def check_writable(out: str) -> None:
    """Fail before any work when the output cannot be created."""
    fs, inner = filesystem(out)
    try:
        fs.makedirs(inner, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}; nothing was written — "
                          "fix: choose a writable --out") from None
