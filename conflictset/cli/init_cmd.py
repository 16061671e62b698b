"""``conflictset init``: the dataset metadata template."""

from __future__ import annotations

from pathlib import Path

import click

from conflictset.cli.app import handle_errors, main
from conflictset.export.metadata import write_template


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Replace an existing dataset.toml with a fresh template.")
@handle_errors
def init_command(directory: Path, force: bool) -> None:
    """Write a commented dataset.toml template into DIRECTORY (default: the current one).

    Fill in name, at least one [[authors]] block and license: `conflictset release` refuses to
    publish without them. Keep the file beside your build directory, where release finds it.
    """
    path = write_template(directory, force=force)
    click.echo(f"wrote {path}: fill in name, [[authors]] and license (required), then "
               f"`conflictset release BUILD_DIR --version 0.1.0 --out releases/0.1.0`")
