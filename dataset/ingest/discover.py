"""Expand input files and directories into a deterministic list of sources.

Directories are walked recursively in sorted order, following symlinks but never twice into
the same directory (a symlink loop is quarantined, not followed forever). Files we cannot read
or do not know how to read are quarantined with a reason, so nothing vanishes silently.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from conflictset.schemas.errors import InputError
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA
from conflictset.schemas.reasons import Reason

#: file name ending → format; compare lower-cased
EXTENSIONS = {
    ".txt": "txt", ".text": "txt",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
}
FORMATS = ("txt", "html", "jsonl", "csv", "parquet")
SOURCES_SCHEMA = {"path": pl.String(), "format": pl.String()}


def format_of(path: str | os.PathLike) -> str | None:
    return EXTENSIONS.get(Path(path).suffix.lower())


def _problem(path: str, reason: Reason, message: str) -> dict:
    return {"stage": "ingest", "source_file": path, "source_row": None, "field": None,
            "reason": reason.value, "message": f"{path}: {message}", "raw": None}


def _walk(root: Path, seen: set[tuple[int, int]], skip: set[tuple[int, int]] = frozenset()
          ) -> Iterator[tuple[str, dict | None]]:
    """Yield (file path, None) for candidate files or (path, quarantine row) for problems."""
    try:
        st = root.stat()
    except OSError as exc:
        yield str(root), _problem(str(root), Reason.UNREADABLE_FILE, f"cannot open directory: {exc.strerror}")
        return
    key = (st.st_dev, st.st_ino)
    if key in skip:  # e.g. the build's own output directory inside an input folder
        return
    if key in seen:
        yield str(root), _problem(str(root), Reason.SYMLINK_LOOP,
                                  "symlink loop: this directory was already visited through another "
                                  "path; skipped — fix: remove the looping symlink")
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield str(root), _problem(str(root), Reason.UNREADABLE_FILE,
                                  f"cannot list directory ({exc.strerror}) — fix: check its permissions")
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                yield str(path), _problem(str(path), Reason.SYMLINK_LOOP,
                                          "symlink loop (the link points back at itself) — fix: remove it")
            else:
                yield str(path), _problem(str(path), Reason.UNREADABLE_FILE, f"cannot stat: {exc.strerror}")
            continue
        if is_dir:
            yield from _walk(path, seen, skip)
        else:
            yield str(path), None


def _check_file(path: str) -> dict | None:
    """A quarantine row if ``path`` is a file we cannot use, else None."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _problem(path, Reason.SYMLINK_LOOP, "symlink loop (the link points back at itself) — fix: remove it")
        if exc.errno == errno.ENOENT:  # a dangling symlink inside a directory
            return _problem(path, Reason.UNREADABLE_FILE, "broken symlink: its target does not exist")
        return _problem(path, Reason.UNREADABLE_FILE, f"cannot stat: {exc.strerror}")
    if not os.path.isfile(path):
        return _problem(path, Reason.UNSUPPORTED_FORMAT, "not a regular file (device, socket or fifo)")
    if format_of(path) is None:
        known = ", ".join(sorted(EXTENSIONS))
        return _problem(path, Reason.UNSUPPORTED_FORMAT,
                        f"unsupported file type {Path(path).suffix or '(no extension)'!r}; expected one of "
                        f"{known} — fix: convert it or leave it out of the input")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return _problem(path, Reason.UNREADABLE_FILE,
                        f"cannot read file ({exc.strerror}) — fix: check its permissions")
    return None


def discover(inputs: Sequence[str | os.PathLike],
             exclude: Sequence[str | os.PathLike] = ()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Expand files and directories into ``(sources, quarantine)``.

    ``sources`` has ``path, format`` (txt|html|jsonl|csv|parquet), in input order and sorted
    within each directory, each path once. ``quarantine`` (Quarantine schema, stage ``ingest``)
    lists unreadable files, symlink loops and unsupported files. An input that does not
    exist at all raises :class:`InputError`. Directories in ``exclude`` (the build passes its
    ``--out``) are not walked into, so a build into a folder inside its input never reads its
    own previous outputs; files named explicitly in ``inputs`` are always read.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    sources: list[dict] = []
    problems: list[dict] = []
    listed: set[str] = set()
    seen_dirs: set[tuple[int, int]] = set()
    skip = set()
    for path in exclude:
        try:
            st = os.stat(path)
        except OSError:  # an output directory that does not exist yet holds nothing to skip
            continue
        skip.add((st.st_dev, st.st_ino))
    for given in inputs:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise InputError("input does not exist", file=str(given),
                             fix="check the path (directories are read recursively)")
        candidates = _walk(path, seen_dirs, skip) if path.is_dir() else iter([(str(path), None)])
        for name, problem in candidates:
            if name in listed:
                continue
            listed.add(name)
            problem = problem or _check_file(name)
            if problem:
                problems.append(problem)
            else:
                sources.append({"path": name, "format": format_of(name)})
    return (pl.DataFrame(sources, schema=SOURCES_SCHEMA),
            pl.DataFrame(problems, schema=QUARANTINE_SCHEMA))
