"""Label Studio errors: one line each, saying what happened and the command that fixes it."""

from __future__ import annotations

from conflictset.schemas.errors import ConflictsetError, InputError


class StudioError(ConflictsetError):
    """The Label Studio server cannot be used (not installed, not reachable, failing)."""

    exit_code = 5


class StudioUnreachable(StudioError):
    exit_code = 5


class StudioAuthError(StudioError):
    exit_code = 6


class StudioServerError(StudioError):
    exit_code = 7


class ProjectMissing(InputError):
    """No project with the given title (exit 2: the input names something that does not exist)."""


class ConfigChanged(InputError):
    """The project's labelling config is not the one its tasks were pushed with."""
