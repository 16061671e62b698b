"""``conflictset build INPUT... --out DIR``: articles → sentences.parquet and friends."""

from __future__ import annotations

import click

from conflictset.cli.app import handle_errors, main
from conflictset.cli.progress import progress_bar
from conflictset.dataset.build import build
from conflictset.dataset.engines.dask_engine import DaskEngine, slurm_options
from conflictset.dataset.engines.storage import is_url
from conflictset.schemas.errors import InputError

#: inputs smaller than this finish before a progress bar is worth drawing
PROGRESS_MIN_BYTES = 4 << 20


@main.command("build")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "-o", "out", required=True,
              help="Output directory (created if missing); previous outputs are replaced only on success.")
@click.option("--no-prelabel", is_flag=True, help="Skip the rule pre-labels (sentences get no label columns).")
@click.option("--batch-size", default=None, type=click.IntRange(min=1),
              help="Articles per batch; a batch also stops at 16 MiB of article text, so memory "
                   "follows the batch, not the input [default: 10000].")
@click.option("--no-progress", is_flag=True, help="Never draw a progress bar.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: threads of this process; dask: one task per shard on a Dask cluster, tables "
                   "written as parts (DIR/sentences/part-*.parquet + manifest.json).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="dask: worker processes of a local cluster (default: one per core), or SLURM workers.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask: run on an existing cluster, e.g. tcp://10.0.0.5:8786 (see docs/CLUSTER.md).")
@click.option("--cluster", type=click.Choice(["local", "slurm"]), default=None,
              help="dask: start the workers as SLURM jobs (dask-jobqueue; pip install 'conflictset[slurm]').")
@click.option("--cluster-option", "cluster_options", multiple=True, metavar="KEY=VALUE",
              help="dask --cluster slurm: queue, account, walltime, memory, cores, processes, job_extra, "
                   "interface, local_directory, python, prologue (repeatable; see docs/CLUSTER.md).")
@click.option("--worker-threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="dask: polars threads per worker (POLARS_MAX_THREADS in the worker environment).")
@click.option("--shard-mb", type=click.FloatRange(min=0.01), default=64, show_default=True,
              help="dask: input megabytes per task; large JSONL and Parquet files are cut into ranges.")
@handle_errors
def build_command(inputs: tuple[str, ...], out: str, no_prelabel: bool, batch_size: int,
                  no_progress: bool, **dask_options) -> None:
    """Build DIR/articles, segments, sentences and quarantine .parquet from INPUT files or folders.

    Reads .txt, .html/.htm, .jsonl/.ndjson, .csv and .parquet (folders recursively); bad records
    go to quarantine.parquet with a reason code and the rest still builds. INPUT and DIR may be
    s3:// URLs with --engine dask.
    """
    engine = dask_engine(inputs, out, **dask_options)
    if engine is not None:
        with progress_bar("shards", not no_progress, rate="rows") as progress:
            summary = build([str(i) for i in inputs], str(out), prelabel=not no_prelabel, batch_size=batch_size,
                            progress=progress, engine=engine)
        click.echo("\n".join(summary.lines()))
        return
    with progress_bar("building", not no_progress, unit="bytes", min_total=PROGRESS_MIN_BYTES) as progress:
        summary = build(list(inputs), out, prelabel=not no_prelabel, batch_size=batch_size, progress=progress)
    click.echo("\n".join(summary.lines()))


def dask_engine(inputs: tuple[str, ...], out: str, *, engine: str, workers: int | None, scheduler: str | None,
                cluster: str | None, cluster_options: tuple[str, ...], worker_threads: int,
                shard_mb: float) -> DaskEngine | None:
    """The engine the options ask for; None for the local one (which takes none of them)."""
    given = [name for name, value in (("--workers", workers), ("--scheduler", scheduler), ("--cluster", cluster),
                                      ("--cluster-option", cluster_options)) if value]
    if engine == "local":
        remote = [str(p) for p in (*inputs, out) if is_url(p)]
        if given or remote:
            raise InputError(f"{', '.join(given) or remote[0]} needs --engine dask", fix="add --engine dask")
        return None
    if scheduler and (cluster or workers):
        raise InputError("--scheduler joins a running cluster; --workers/--cluster start one",
                         fix="give either --scheduler ADDRESS or --workers N [--cluster slurm]")
    pairs = {}
    for item in cluster_options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--cluster-option {item!r} is not KEY=VALUE", fix="e.g. --cluster-option queue=normal")
        pairs[key.strip()] = value.strip()
    if pairs and cluster != "slurm":
        raise InputError("--cluster-option applies to --cluster slurm", fix="add --cluster slurm or drop them")
    if cluster == "slurm":
        slurm_options(pairs, worker_threads)  # unknown keys fail now, before any job is queued
    return DaskEngine(workers=workers, scheduler=scheduler, cluster=cluster, cluster_options=pairs,
                      threads=worker_threads, shard_bytes=int(shard_mb * 2**20),
                      log=lambda line: click.echo(line, err=True))
