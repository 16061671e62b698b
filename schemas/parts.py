"""The partitioned table layout: ``DIR/NAME/part-*.parquet`` listed by ``DIR/NAME/manifest.json``.

A build on a cluster writes each table as parts (one per shard) instead of one file; every
command reads either layout through :func:`conflictset.schemas.tables.read_table`. The manifest::

    {"layout": "conflictset-parts/1", "table": "sentences", "rows": 1234,
     "parts": [{"path": "part-00000.parquet", "rows": 600, "bytes": 51234, "sha256": "…"}, …]}

lists the parts in row order. Only listed parts belong to the table (readers never glob), so
writing the manifest is what publishes a new set of parts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from conflictset.schemas.errors import InputError

MANIFEST = "manifest.json"
LAYOUT = "conflictset-parts/1"


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def parts_dir(path: str | os.PathLike) -> Path:
    """``DIR/NAME`` for the table ``DIR/NAME.parquet``."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(".parquet"))


def is_partitioned(path: str | os.PathLike) -> bool:
    """Whether ``DIR/NAME.parquet`` is stored as parts (a single file wins when both exist)."""
    return not Path(path).is_file() and (parts_dir(path) / MANIFEST).is_file()


def read_manifest(path: str | os.PathLike) -> dict:
    """The parts manifest of the table ``DIR/NAME.parquet`` (or of the folder ``DIR/NAME``)."""
    folder = parts_dir(path) if str(path).endswith(".parquet") else Path(path)
    where = folder / MANIFEST
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
        if manifest.get("layout") != LAYOUT or not isinstance(manifest.get("parts"), list):
            raise ValueError(f"layout {manifest.get('layout')!r}, expected {LAYOUT!r} with a list of parts")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"unreadable parts manifest ({type(exc).__name__}: {exc})", file=str(where),
                         fix="rebuild the directory with `conflictset build`") from None
    return manifest


def part_paths(path: str | os.PathLike) -> list[Path]:
    """The files of a table in row order: ``[DIR/NAME.parquet]`` or its listed parts."""
    if not is_partitioned(path):
        return [Path(path)]
    folder = parts_dir(path)
    files = [folder / part["path"] for part in read_manifest(path)["parts"]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise InputError(f"{len(missing)} part(s) listed in {MANIFEST} are absent, e.g. {missing[:3]}",
                         file=str(folder), fix="rebuild the directory with `conflictset build`")
    return files


def table_exists(path: str | os.PathLike) -> bool:
    return Path(path).is_file() or (parts_dir(path) / MANIFEST).is_file()
