"""The ``conflictset`` command line: thin wrappers over library functions.

Each command parses arguments, calls one library function and turns domain errors into one
clean line on stderr with a non-zero exit code (a traceback only with ``--debug``). Commands
live in one module per area and register themselves on :data:`main`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback

import click

from conflictset import __version__
from conflictset.dataset.errors import ConflictsetError
from conflictset.schemas.validation import ValidationFailed

SECRET_ENV = ("LABEL_STUDIO_API_KEY", "LABEL_STUDIO_USER_TOKEN", "LABEL_STUDIO_PASSWORD")


def redact(text: str) -> str:
    """Remove every known secret value from ``text`` before it is shown or logged."""
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    try:
        from conflictset.export.label_studio.credentials import known_secrets  # stored studio token
    except Exception:  # noqa: BLE001 — no studio set up yet
        known_secrets = lambda: ()  # noqa: E731
    for value in known_secrets():
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
        except (ConflictsetError, ValidationFailed) as exc:
            if debug:
                traceback.print_exc()
            code = getattr(exc, "exit_code", 1)
            fail(str(exc), code if isinstance(exc, ConflictsetError) else 4)
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


def _register() -> None:
    # Each area registers its commands; a missing module (work in progress) must not break the rest.
    import importlib

    for module in ("build_cmd", "prelabel_cmd", "studio_cmd", "release_cmd", "demo_cmd"):
        try:
            importlib.import_module(f"conflictset.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"conflictset.cli.{module}":
                raise


_register()
