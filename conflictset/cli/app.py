"""The ``conflictset`` command group and what every command shares: one-line errors, redaction.

Each command parses arguments, calls one library function and turns domain errors into one
clean line on stderr with a non-zero exit code (a traceback only with ``--debug``).
"""

from __future__ import annotations

import functools
import os
import sys
import traceback

import click

from conflictset import __version__
from conflictset.export.label_studio.credentials import known_secrets
from conflictset.schemas.errors import ConflictsetError

SECRET_ENV = ("LABEL_STUDIO_API_KEY", "LABEL_STUDIO_USER_TOKEN", "LABEL_STUDIO_PASSWORD")


def redact(text: str) -> str:
    """Remove every known secret value from ``text`` before it is shown or logged."""
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    for value in known_secrets():  # the stored studio token
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def one_line(message: str) -> str:
    """Collapse a multi-line message (pandera and polars write several) into one line."""
    parts = [" ".join(line.split()) for line in message.splitlines()]
    return " | ".join(p for p in parts if p)


def fail(message: str, code: int = 1) -> None:
    click.echo(redact(f"error: {one_line(message)}"), err=True)
    sys.exit(code)


def handle_errors(fn):
    """Turn domain errors into one-line messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except ConflictsetError as exc:  # ValidationFailed included (exit 4)
            if debug:
                traceback.print_exc()
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted; no partial files were left under final names", 130)
        except Exception as exc:  # noqa: BLE001 — last resort, still one line
            if debug:
                traceback.print_exc()
            fail(f"unexpected {type(exc).__name__}: {exc} (run with --debug for a traceback "
                 "and please report it)", 1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conflictset")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Build annotated ACLED-style event datasets from news articles.

    Stages: ingest → clean → segment → prelabel → Label Studio review → adjudicate →
    validate → publish.
    """
