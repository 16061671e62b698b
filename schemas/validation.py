"""Validate collected polars frames and flatten pandera failures into a stable report.

The report is a DataFrame with one row per failure: ``table, column, row, reason, check,
failure_case`` where ``reason`` is a :class:`schemas.reasons.Reason` value — stable across
pandera versions, so tests and users can rely on it.
"""

from __future__ import annotations

import pandera.errors as pa_errors
import polars as pl

from conflictset.schemas.errors import ConflictsetError
from conflictset.schemas.reasons import Reason

REPORT_SCHEMA = {
    "table": pl.String(),
    "column": pl.String(),
    "row": pl.Int64(),
    "reason": pl.String(),
    "check": pl.String(),
    "failure_case": pl.String(),
}

_TAXONOMY_COLUMNS = {"event_type", "sub_event_type", "disorder_type", "inter1", "inter2"}


class ValidationFailed(ConflictsetError):
    """A frame broke its schema; ``report`` lists every failure with a reason code."""

    exit_code = 4

    def __init__(self, table: str, report: pl.DataFrame, stage: str | None = None):
        self.table = table
        self.report = report
        self.stage = stage
        super().__init__(self.summary())

    def summary(self, limit: int = 5) -> str:
        n = self.report.height
        where = f" at stage {self.stage!r}" if self.stage else ""
        lines = [f"{self.table}: {n} schema violation(s){where}:"]
        for r in self.report.head(limit).iter_rows(named=True):
            row = "" if r["row"] is None else f" row {r['row']}"
            lines.append(
                f"  - [{r['reason']}] column {r['column']!r}{row}: found {r['failure_case']!r} "
                f"(check {r['check']})"
            )
        if n > limit:
            lines.append(f"  … and {n - limit} more (see the full report)")
        return "\n".join(lines)


def reason_for(check: str, column: str | None) -> str:
    """Map a pandera check name to a stable reason code."""
    known = {r.value for r in Reason}
    if check in known:  # custom checks are registered with error=<Reason>
        return check
    if check == "column_in_dataframe":
        return Reason.MISSING_COLUMN.value
    if check.startswith("dtype("):
        return Reason.WRONG_DTYPE.value
    if check == "not_nullable":
        return Reason.NULL_VALUE.value
    if check in ("field_uniqueness", "multiple_fields_uniqueness") or check.startswith("unique"):
        return Reason.NOT_UNIQUE.value
    if check.startswith(("isin", "notin")):
        return Reason.NOT_IN_TAXONOMY.value if column in _TAXONOMY_COLUMNS else Reason.CHECK_FAILED.value
    if check.startswith(("greater_than", "less_than", "in_range", "str_length", "equal_to")):
        return Reason.OUT_OF_RANGE.value
    return Reason.CHECK_FAILED.value


def flatten(table: str, failure_cases: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for fc in failure_cases.iter_rows(named=True):
        column = fc["column"] if fc["schema_context"] == "Column" else None
        if fc["check"] == "column_in_dataframe":
            column = fc["failure_case"]
        rows.append({
            "table": table,
            "column": column,
            "row": fc["index"],
            "reason": reason_for(fc["check"], column),
            "check": fc["check"],
            "failure_case": None if fc["failure_case"] is None else str(fc["failure_case"]),
        })
    return pl.DataFrame(rows, schema=REPORT_SCHEMA)


def validate(df: pl.DataFrame, model, table: str | None = None, stage: str | None = None) -> pl.DataFrame:
    """Validate a collected frame against a pandera model; raise :class:`ValidationFailed`."""
    if isinstance(df, pl.LazyFrame):
        raise TypeError("validate a collected DataFrame; a LazyFrame only gets schema-level checks")
    table = table or model.__name__
    try:
        return model.validate(df, lazy=True)
    except pa_errors.SchemaErrors as exc:
        raise ValidationFailed(table, flatten(table, exc.failure_cases), stage) from None
    except pa_errors.SchemaError as exc:  # non-lazy failures (e.g. strict column sets)
        report = pl.DataFrame([{
            "table": table, "column": None, "row": None, "reason": Reason.CHECK_FAILED.value,
            "check": str(exc.check) if exc.check else "schema", "failure_case": str(exc)[:500],
        }], schema=REPORT_SCHEMA)
        raise ValidationFailed(table, report, stage) from None
