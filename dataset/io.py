"""Atomic, deterministic Parquet output and path safety.

Every table we publish goes through :func:`write_parquet`: fixed writer settings (so the same
frame gives the same bytes), written to a temporary file in the target directory and renamed
into place, so a crash or Ctrl-C never leaves a partial file under the final name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from conflictset.schemas.errors import OutputError

#: Writer settings are part of the determinism contract: change them and release bytes change.
PARQUET_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True,
                       write_statistics=True, data_page_size=1 << 20)
ROW_GROUP_SIZE = 128_000


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def output_error(path: Path, exc: OSError) -> OutputError:
    """The one errno → message mapping for outputs that cannot be written."""
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
        fix = "free space or choose another --out"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the directory is not writable"
        fix = "choose a writable --out or fix permissions"
    else:
        why = exc.strerror or str(exc)
        fix = "check the output path"
    return OutputError(f"cannot write {path}: {why}; previous outputs are untouched — fix: {fix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; outputs get the usual permissions
    except OSError as exc:
        raise output_error(path, exc) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_parquet(df: pl.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` atomically with fixed settings; returns the final path."""
    path = Path(path)
    table = df.to_arrow()
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_SIZE, **PARQUET_OPTIONS)
    return path


class ParquetStream:
    """Append frames chunk by chunk into one Parquet file, renamed into place on close().

    For outputs too large to hold in memory (the build streams articles in chunks).
    """

    def __init__(self, path: str | os.PathLike, schema: pa.Schema | None = None):
        self.path = Path(path)
        self._cm = atomic_path(self.path)
        self._tmp = self._cm.__enter__()
        self._writer: pq.ParquetWriter | None = None
        self._schema = schema
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:
        table = df.to_arrow()
        if self._writer is None:
            schema = self._schema or table.schema
            try:
                self._writer = pq.ParquetWriter(self._tmp, schema, **PARQUET_OPTIONS)
            except OSError as exc:
                raise output_error(self.path, exc) from None
            self._schema = schema
        if table.num_rows:
            try:
                self._writer.write_table(table.cast(self._schema), row_group_size=ROW_GROUP_SIZE)
            except OSError as exc:
                raise output_error(self.path, exc) from None
        self.rows += table.num_rows

    def close(self, empty: pl.DataFrame | None = None) -> Path:
        """Finish the file; ``empty`` gives the schema when no chunk was written."""
        if self._writer is None:
            base = empty if empty is not None else pl.DataFrame()
            self.write(base.clear())
        self._writer.close()
        self._cm.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._cm.__exit__(RuntimeError, RuntimeError("aborted"), None)


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether a process still runs (to tell a crashed writer's leftovers from a live one's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def safe_child(root: str | os.PathLike, name: str) -> Path:
    """``root/name`` guaranteed to stay inside ``root`` (ids like ``../x`` cannot escape)."""
    root_path = Path(root).resolve()
    candidate = (root_path / name).resolve()
    if root_path != candidate and root_path not in candidate.parents:
        raise OutputError(f"refusing to write {name!r}: it would escape {root_path} — fix: rename it")
    return candidate
