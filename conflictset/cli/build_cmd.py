"""``conflictset build INPUT... --out DIR``: articles → sentences.parquet and friends."""

from __future__ import annotations

from pathlib import Path

import click

from conflictset.cli.app import handle_errors, main
from conflictset.cli.progress import progress_bar
from conflictset.dataset.build import build

#: inputs smaller than this finish before a progress bar is worth drawing
PROGRESS_MIN_BYTES = 4 << 20


@main.command("build")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="Output directory (created if missing); previous outputs are replaced only on success.")
@click.option("--no-prelabel", is_flag=True, help="Skip the rule pre-labels (sentences get no label columns).")
@click.option("--batch-size", default=None, type=click.IntRange(min=1),
              help="Articles per batch; a batch also stops at 16 MiB of article text, so memory "
                   "follows the batch, not the input [default: 10000].")
@click.option("--no-progress", is_flag=True, help="Never draw a progress bar.")
@handle_errors
def build_command(inputs: tuple[Path, ...], out: Path, no_prelabel: bool, batch_size: int,
                  no_progress: bool) -> None:
    """Build DIR/articles, segments, sentences and quarantine .parquet from INPUT files or folders.

    Reads .txt, .html/.htm, .jsonl/.ndjson, .csv and .parquet (folders recursively); bad records
    go to quarantine.parquet with a reason code and the rest still builds.
    """
    with progress_bar("building", not no_progress, unit="bytes", min_total=PROGRESS_MIN_BYTES) as progress:
        summary = build(list(inputs), out, prelabel=not no_prelabel, batch_size=batch_size, progress=progress)
    click.echo("\n".join(summary.lines()))
