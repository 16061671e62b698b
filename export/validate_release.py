"""``conflictset validate PATH``: check one of our Parquet tables, a build directory or a release.

A table is recognised by its file name, with its columns telling apart tables that share a name
(a release's ``sentences.parquet`` has ``label_source``; a pull's ``annotations.parquet`` has
``created_at``). A release (a directory with ``manifest.json``) is checked in full: every listed
file exists with its sha256, byte size and row count, no unlisted file hides in it, and every
table passes its schema. The report has one row per problem with a stable reason code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from conflictset.dataset.io import sha256_file
from conflictset.schemas.errors import InputError
from conflictset.schemas.parts import MANIFEST, read_manifest
from conflictset.schemas.reasons import Reason
from conflictset.schemas.tables import TABLE_MODELS, model_for
from conflictset.schemas.validation import REPORT_SCHEMA, ValidationFailed, validate

SCHEMA = {"file": pl.String(), **REPORT_SCHEMA}


@dataclass
class ValidationReport:
    path: str
    checked: list[str]
    problems: pl.DataFrame

    @property
    def ok(self) -> bool:
        return self.problems.is_empty()

    def to_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "checked": self.checked, "problems": self.problems.to_dicts()}

    def lines(self, limit: int = 50) -> list[str]:
        if self.ok:
            return [f"ok: {self.path} ({len(self.checked)} file(s) checked: {', '.join(self.checked)})"]
        out = [f"{self.path}: {self.problems.height} problem(s)"]
        for r in self.problems.head(limit).iter_rows(named=True):
            where = ", ".join(p for p in (r["file"], r["column"] and f"column {r['column']!r}",
                                          r["row"] is not None and f"row {r['row']}") if p)
            out.append(f"  [{r['reason']}] {where}: {r['failure_case']}")
        if self.problems.height > limit:
            out.append(f"  … and {self.problems.height - limit} more (use --json for all)")
        return out


def _problem(file: str, reason: Reason, message: str, column: str | None = None) -> dict:
    return {"file": file, "table": None, "column": column, "row": None, "reason": reason.value,
            "check": reason.value, "failure_case": message}


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


def check_table(path: Path, label: str | None = None, name: str | None = None) -> pl.DataFrame:
    """Problems of one Parquet table (empty when it is valid); ``name``: the table's file name when
    ``path`` is one of its parts."""
    label = label or path.name
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 — unreadable is a finding, not a crash
        return _frame([_problem(label, Reason.BROKEN_PARQUET, f"cannot read Parquet: {type(exc).__name__}: {exc}")])
    name = name or path.name
    model = model_for(name, frame.columns)
    if model is None:
        return _frame([_problem(label, Reason.UNKNOWN_TABLE,
                                f"{path.name} is not a conflictset table ({', '.join(TABLE_MODELS)}, *quarantine)")])
    table = name.removesuffix(".parquet")
    try:
        validate(frame, model, table=table, stage="validate")
    except ValidationFailed as exc:
        return exc.report.select(pl.lit(label).alias("file"), *REPORT_SCHEMA)
    return _frame([])


def check_release(root: Path) -> tuple[list[str], pl.DataFrame]:
    manifest_path = root / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return ["manifest.json"], _frame([_problem("manifest.json", Reason.BAD_MANIFEST,
                                                   f"unreadable manifest: {type(exc).__name__}: {exc}")])
    rows, parts, checked = [], [], ["manifest.json"]
    for name, meta in sorted(files.items()):
        path = root / name
        checked.append(name)
        if not path.is_file():
            rows.append(_problem(name, Reason.MISSING_FILE, "listed in manifest.json but absent"))
            continue
        digest, size = sha256_file(path), path.stat().st_size
        if digest != meta.get("sha256") or size != meta.get("bytes"):
            rows.append(_problem(name, Reason.CHECKSUM_MISMATCH,
                                 f"sha256 {digest} ({size} bytes) differs from the manifest's "
                                 f"{meta.get('sha256')} ({meta.get('bytes')} bytes); the file was changed "
                                 "after the release — re-run `conflictset release`"))
        if name.endswith(".parquet"):
            table_problems = check_table(path, name)
            parts.append(table_problems)
            if "rows" in meta and not any(table_problems["reason"] == Reason.BROKEN_PARQUET.value):
                n = pl.scan_parquet(path).select(pl.len()).collect().item()
                if n != meta["rows"]:
                    rows.append(_problem(name, Reason.ROW_COUNT_MISMATCH, f"{n} rows, manifest says {meta['rows']}"))
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel != "manifest.json" and rel not in files:
            rows.append(_problem(rel, Reason.UNLISTED_FILE, "present in the release but not in manifest.json"))
    return checked, pl.concat([_frame(rows), *parts])


def validate_path(path: str | os.PathLike) -> ValidationReport:
    """Validate a Parquet table, a build directory or a release directory."""
    root = Path(path)
    if not root.exists():
        return ValidationReport(str(root), [], _frame([_problem(str(root), Reason.MISSING_FILE, "no such file")]))
    if root.is_file():
        return ValidationReport(str(root), [root.name], check_table(root))
    if (root / "manifest.json").exists():
        checked, problems = check_release(root)
        return ValidationReport(str(root), checked, problems)
    tables = sorted(root.glob("*.parquet"))
    partitioned = sorted(p.parent for p in root.glob(f"*/{MANIFEST}"))
    if not tables and not partitioned:
        return ValidationReport(str(root), [], _frame([_problem(
            str(root), Reason.MISSING_FILE, "neither manifest.json nor any .parquet table here")]))
    parts = [check_table(t) for t in tables]
    checked = [t.name for t in tables]
    for folder in partitioned:
        names, problems = check_parts(folder)
        checked += names
        parts.append(problems)
    return ValidationReport(str(root), checked, pl.concat(parts))


def check_parts(folder: Path) -> tuple[list[str], pl.DataFrame]:
    """A partitioned table of a cluster build (``NAME/part-*.parquet`` + manifest): every listed part
    is there with its sha256, size and row count, and passes the table's schema."""
    label = f"{folder.name}/{MANIFEST}"
    try:
        manifest = read_manifest(folder)
    except InputError as exc:
        return [label], _frame([_problem(label, Reason.BAD_MANIFEST, str(exc))])
    rows, found, checked = [], [], [label]
    for part in manifest["parts"]:
        name = f"{folder.name}/{part['path']}"
        path = folder / part["path"]
        checked.append(name)
        if not path.is_file():
            rows.append(_problem(name, Reason.MISSING_FILE, f"listed in {label} but absent"))
            continue
        digest, size = sha256_file(path), path.stat().st_size
        if digest != part.get("sha256") or size != part.get("bytes"):
            rows.append(_problem(name, Reason.CHECKSUM_MISMATCH, f"sha256 {digest} ({size} bytes) differs from "
                                 f"{label}: {part.get('sha256')} ({part.get('bytes')} bytes) — rebuild it"))
        problems = check_table(path, name, name=f"{folder.name}.parquet")
        found.append(problems)
        if problems.is_empty() and pl.scan_parquet(path).select(pl.len()).collect().item() != part.get("rows"):
            rows.append(_problem(name, Reason.ROW_COUNT_MISMATCH,
                                 f"row count differs from {label}'s {part.get('rows')}"))
    return checked, pl.concat([_frame(rows), *found])
