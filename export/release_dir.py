"""A release directory replaced atomically: staged beside its final name, swapped in by renames.

A failure or a kill leaves the previous release untouched; the next run undoes whatever a
killed run left beside the final name (:func:`recover`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import tempfile
from pathlib import Path

from conflictset.dataset.errors import OutputError
from conflictset.dataset.io import _output_error, pid_alive, umask


def recover(out: Path) -> None:
    """Undo what a killed release left beside ``out``.

    A kill between the two renames of the swap leaves the previous release at
    ``.NAME.old-PID`` and nothing at ``out``: it is moved back. Staging directories
    (``.NAME.PID.*.tmp``) of processes that no longer run are removed.
    """
    if not out.parent.is_dir():
        return
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*")):
        match = re.fullmatch(rf"\.{re.escape(out.name)}\.(?:old-(\d+)|(\d+)\..*\.tmp)", path.name)
        if not match or not path.is_dir():
            continue
        old_pid, tmp_pid = match.groups()
        if pid_alive(int(old_pid or tmp_pid)):
            continue  # another release is running right now
        if old_pid and not out.exists():
            os.replace(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


def check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").is_file())):
        raise OutputError(f"{out} exists and is not a conflictset release (no manifest.json); refusing to "
                          "replace it — fix: choose an empty or new --out directory")


@contextlib.contextmanager
def staging(out: Path):
    """A hidden temporary directory beside ``out``; removed unless it was swapped in."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise _output_error(out, exc) from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publishable(tmp: Path) -> None:
    """Temporary files and directories are private (0600/0700); a release is for sharing."""
    mask = umask()
    for path in (tmp, *tmp.rglob("*")):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def swap(tmp: Path, out: Path) -> None:
    """Move the new release in; the old one is set aside first and restored if the move fails."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    try:
        if out.exists():
            os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError:
            if old.exists():
                os.replace(old, out)
            raise
    except OSError as exc:
        raise _output_error(out, exc) from None
    shutil.rmtree(old, ignore_errors=True)
