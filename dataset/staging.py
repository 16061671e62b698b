"""Outputs staged beside their final place and swapped in by renames.

Build, pull and release all write this way, so a failure, a Ctrl-C or a kill never leaves a
half-written output under a final name, and the next run undoes what a killed one left.

Two ways to land what was staged:

- ``files`` (build, pull): the staging directory is a hidden child of the target directory
  (``TARGET/.<kind>-<pid>-<random>``, same filesystem, so renames are atomic); on commit each
  staged file is renamed into the target, other files there are kept.
- ``tree`` (release): the staging directory sits beside the target
  (``.<name>.<pid>.<random>.tmp``) and on commit replaces the whole target directory; the
  previous one is set aside as ``.<name>.old-<pid>`` first and restored if the move fails.

Leftovers are recognised by the pid in their name: those of processes that no longer run are
removed (or, for a release killed between its two renames, moved back).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from conflictset.dataset.io import output_error, pid_alive, umask
from conflictset.schemas.errors import OutputError


class Staging:
    """A private directory for outputs bound for ``target``; see the module doc."""

    def __init__(self, target: str | os.PathLike, *, kind: str, tree: bool = False):
        self.target = Path(target).absolute()
        self.kind = kind
        self.tree = tree
        try:
            if tree:
                self._recover_tree()
                self.target.parent.mkdir(parents=True, exist_ok=True)
                self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.{os.getpid()}.", suffix=".tmp",
                                                  dir=self.target.parent))
            else:
                if self.target.exists() and not self.target.is_dir():
                    raise OutputError(f"{self.target} exists and is not a directory; nothing was written — "
                                      "fix: choose a directory path")
                self.target.mkdir(parents=True, exist_ok=True)
                self._recover_files()
                self.path = Path(tempfile.mkdtemp(prefix=f".{kind}-{os.getpid()}-", dir=self.target))
        except OSError as exc:
            raise output_error(self.target, exc) from None

    # -- landing ------------------------------------------------------------------------------
    def commit(self, names: list[str] | None = None) -> dict[str, Path]:
        """Move the staged outputs into place; returns their final paths (``files``: by name)."""
        try:
            if self.tree:
                _publishable(self.path)
                self._swap()
                return {self.target.name: self.target}
            final = {}
            for name in names if names is not None else sorted(p.name for p in self.path.iterdir()):
                target = self.target / name
                os.replace(self.path / name, target)
                with contextlib.suppress(OSError):  # temp files are 0600; outputs follow the umask
                    os.chmod(target, 0o666 & ~umask())
                final[name] = target
            return final
        except OSError as exc:
            raise output_error(self.target, exc) from None

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _swap(self) -> None:
        old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
        if self.target.exists():
            os.replace(self.target, old)
        try:
            os.replace(self.path, self.target)
        except OSError:
            if old.exists():
                os.replace(old, self.target)
            raise
        shutil.rmtree(old, ignore_errors=True)

    # -- after a kill -------------------------------------------------------------------------
    def _recover_files(self) -> None:
        for entry in self.target.glob(f".{glob.escape(self.kind)}-*"):
            pid = entry.name[len(self.kind) + 2:].split("-", 1)[0]
            if entry.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)

    def _recover_tree(self) -> None:
        out = self.target
        if not out.parent.is_dir():
            return
        for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*")):
            match = re.fullmatch(rf"\.{re.escape(out.name)}\.(?:old-(\d+)|(\d+)\..*\.tmp)", path.name)
            if not match or not path.is_dir():
                continue
            old_pid, tmp_pid = match.groups()
            if pid_alive(int(old_pid or tmp_pid)):
                continue  # another run is writing right now
            if old_pid and not out.exists():
                os.replace(path, out)  # killed between the two renames: the previous output comes back
            else:
                shutil.rmtree(path, ignore_errors=True)


def _publishable(root: Path) -> None:
    """Temporary files and directories are private (0600/0700); outputs are for sharing."""
    mask = umask()
    for path in (root, *root.rglob("*")):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


@contextlib.contextmanager
def staged(target: str | os.PathLike, *, kind: str, tree: bool = False) -> Iterator[Staging]:
    """A :class:`Staging` whose directory is removed on exit, whether or not it was committed."""
    stage = Staging(target, kind=kind, tree=tree)
    try:
        yield stage
    finally:
        stage.discard()
