"""Domain errors. The CLI turns each into one clean line and a non-zero exit code."""

from __future__ import annotations


class ConflictsetError(Exception):
    """Base of every error a user can act on. ``str(err)`` is the message shown."""

    exit_code = 1


class InputError(ConflictsetError):
    """Bad user input that stops the whole command (not a single bad record, which is quarantined)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, fix: str | None = None):
        where = ", ".join(p for p in (
            file and f"file {file}", row is not None and f"row {row}", field and f"field {field!r}") if p)
        text = f"{where}: {message}" if where else message
        if fix:
            text += f" — fix: {fix}"
        super().__init__(text)
        self.file, self.row, self.field, self.fix = file, row, field, fix


class StageError(ConflictsetError):
    """An unexpected failure inside a pipeline stage; the message names the stage."""

    def __init__(self, stage: str, cause: BaseException):
        super().__init__(f"stage {stage!r} failed: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause


class OutputError(ConflictsetError):
    """The output location cannot be written (read-only, full disk, path escaping the target)."""

    exit_code = 3
