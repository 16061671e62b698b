"""``conflictset build INPUT... --out DIR``: articles → sentences.parquet and friends."""

from __future__ import annotations

from pathlib import Path

import click

from conflictset.cli.app import fail, handle_errors, main
from conflictset.cli.progress import progress_bar
from conflictset.dataset.build import build
from conflictset.dataset.ingest import FieldMap, IngestOptions

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
@click.option("--field", "fields", multiple=True, metavar="FIELD=COLUMN",
              help="Read FIELD (id, title, text, html, url, published_at, source, language) from COLUMN of "
                   "CSV, JSONL and Parquet inputs, e.g. --field text=body --field published_at=date; repeatable.")
@click.option("--dayfirst/--monthfirst", "dayfirst", default=None,
              help="Read numeric dates such as 03/04/2024 day first (3 April) or month first (4 March). "
                   "Without either, each file's unambiguous dates decide; otherwise they are left empty "
                   "with a warning.")
@handle_errors
def build_command(inputs: tuple[Path, ...], out: Path, no_prelabel: bool, batch_size: int,
                  no_progress: bool, fields: tuple[str, ...], dayfirst: bool | None) -> None:
    """Build DIR/articles, segments, sentences and quarantine .parquet from INPUT files or folders.

    Reads .txt, .html/.htm, .jsonl/.ndjson, .csv and .parquet (folders recursively); bad records
    go to quarantine.parquet with a reason code and the rest still builds. Files that give no
    article are named on screen with the reason and the fix; the exit code is 2 when no article
    at all was built.
    """
    options = IngestOptions(fields=FieldMap.parse(fields), dayfirst=dayfirst)
    with progress_bar("building", not no_progress, unit="bytes", min_total=PROGRESS_MIN_BYTES) as progress:
        summary = build(list(inputs), out, prelabel=not no_prelabel, batch_size=batch_size, progress=progress,
                        options=options)
    click.echo("\n".join(summary.lines()))
    for line in summary.warnings():
        click.echo(f"warning: {line}", err=True)
    if summary.articles == 0:
        fail(f"no article was built from {summary.input_records:,} input record(s); see the warnings above "
             f"and {summary.files.get('quarantine', 'quarantine.parquet')}", 2)
