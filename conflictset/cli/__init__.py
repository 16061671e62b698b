"""The ``conflictset`` command line: thin wrappers over library functions.

:mod:`.app` holds the command group and the error handling; each ``*_cmd`` module adds the
commands of one area to it.
"""

from conflictset.cli import (  # noqa: F401 — registers the commands
    build_cmd,
    clean_cmd,
    demo_cmd,
    init_cmd,
    prelabel_cmd,
    release_cmd,
    studio_cmd,
)
from conflictset.cli.app import fail, handle_errors, main, one_line, redact

__all__ = ["main", "fail", "handle_errors", "one_line", "redact"]
