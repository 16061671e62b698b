"""``build(..., engine=DaskEngine(...))``: the same build on a Dask cluster, one task per shard.

The driver discovers the input and cuts it into shards (:mod:`.shards`); each task runs
:func:`.task.run_shard` — ingest, :func:`conflictset.dataset.batch.process_batch`, validation —
and writes its parts into the run's staging area (:mod:`.outputs`). Results are taken in input
order: a shard whose ids already occurred in an earlier shard is run again with those first
occurrences, so duplicates are quarantined exactly as the local engine does (the first in input
order wins); that second run is paid only where duplicates cross shards. Everything is published
when the last shard is done; until then the previous outputs stay as they were.

Faults: a worker that dies mid-task loses only that task, which the scheduler runs again on
another worker (its parts are rewritten whole under the same names, so nothing is duplicated); a
shard that fails for good stops the run with a message naming the shard, nothing is published,
and the finished shards stay staged, so running the same command again does only what is left.

Clusters: ``workers=N`` starts a local cluster of N worker processes (spawned, one thread each,
``POLARS_MAX_THREADS`` set in the worker environment before they start); ``scheduler=ADDRESS``
joins a running one; ``cluster="slurm"`` starts workers as SLURM jobs through dask-jobqueue
(:func:`slurm_options`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dask
import polars as pl
from distributed import Client, LocalCluster, as_completed

from conflictset import __version__
from conflictset.dataset.batch import TABLES, timed_validate
from conflictset.dataset.build import DEFAULT_BATCH_SIZE, BuildSummary
from conflictset.dataset.engines import outputs, shards, storage
from conflictset.dataset.engines.task import ShardResult, read_marker, run_shard, seed_digest
from conflictset.dataset.ingest import DuplicateIds
from conflictset.dataset.stages import run_stage
from conflictset.schemas.errors import ConflictsetError, InputError
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA, Quarantine

#: ``progress(done_shards, total_shards, rows_done)``: the CLI draws it with rows per second
Progress = Callable[[int, int, int], None]
#: dask-jobqueue options ``--cluster-option KEY=VALUE`` accepts for ``--cluster slurm``
SLURM_OPTIONS = {
    "queue": str, "account": str, "walltime": str, "memory": str, "cores": int, "processes": int,
    "job_extra": str, "interface": str, "local_directory": str, "python": str, "prologue": str,
}
#: the scheduler re-runs a task whose worker died this many times before giving up on it
ALLOWED_FAILURES = 3


@dataclass
class DaskBuildSummary(BuildSummary):
    """A :class:`BuildSummary` plus what the cluster did."""

    shards: int = 0
    resumed: int = 0
    rerun_for_duplicates: int = 0
    workers: int = 0
    dashboard: str | None = None
    peak_rss_by_worker: dict[int, int] = field(default_factory=dict)
    shard_seconds: list[float] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = super().lines()
        peak = max(self.peak_rss_by_worker.values(), default=0) / 2**20
        out.insert(-1, f"shards: {self.shards:,} on {self.workers} worker(s) ({self.resumed} resumed, "
                       f"{self.rerun_for_duplicates} re-read for ids repeated across shards); "
                       f"peak RSS per worker {peak:,.0f} MB")
        return out


def slurm_options(options: dict[str, str], threads: int = 1) -> dict:
    """dask-jobqueue ``SLURMCluster`` arguments from ``--cluster-option KEY=VALUE`` pairs.

    ``POLARS_MAX_THREADS`` is exported in the job script before the worker starts; ``cores``
    defaults to ``processes`` × ``threads`` and ``memory`` to 2 GB per process.
    """
    unknown = sorted(set(options) - set(SLURM_OPTIONS))
    if unknown:
        raise InputError(f"unknown --cluster-option {unknown}; known: {sorted(SLURM_OPTIONS)}",
                         fix="see docs/CLUSTER.md for what each one sets in the SLURM job script")
    values = {}
    for key, value in options.items():
        try:
            values[key] = SLURM_OPTIONS[key](value)
        except ValueError:
            raise InputError(f"--cluster-option {key}={value!r} is not a whole number",
                             fix=f"give {key} as a number, e.g. {key}=4") from None
    processes = values.pop("processes", 1)
    kwargs = {
        "processes": processes,
        "cores": values.pop("cores", processes * threads),
        "memory": values.pop("memory", f"{2 * processes}GB"),
        "job_script_prologue": [f"export POLARS_MAX_THREADS={threads}"]
        + ([values.pop("prologue")] if "prologue" in values else []),
        "job_extra_directives": values.pop("job_extra").split() if "job_extra" in values else [],
    }
    kwargs.update(values)
    return kwargs


@contextlib.contextmanager
def connect(*, workers: int | None, scheduler: str | None, cluster: str | None,
            cluster_options: dict[str, str], threads: int) -> Iterator[Client]:
    """A client of the cluster to run on; a cluster started here is stopped on exit."""
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                             fix="start one with `dask scheduler` (see docs/CLUSTER.md) or leave out "
                                 "--scheduler for a local cluster") from None
        with client:
            yield client
        return
    if cluster == "slurm":
        try:
            jobqueue = importlib.import_module("dask_jobqueue")
        except ImportError:
            raise InputError("--cluster slurm needs dask-jobqueue",
                             fix="pip install 'conflictset[slurm]'") from None
        with jobqueue.SLURMCluster(**slurm_options(cluster_options, threads)) as running:
            running.scale(n=workers or 1)
            with Client(running) as client:
                client.wait_for_workers(1)
                yield client
        return
    if cluster not in (None, "local"):
        raise InputError(f"unknown --cluster {cluster!r}", fix="use --cluster slurm, or --scheduler ADDRESS")
    # spawned worker processes (polars is not fork-safe); its thread pool is sized from the
    # environment when polars is first imported, so the variable must be there before start
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.ERROR,
                          env={"POLARS_MAX_THREADS": str(threads)}) as running, Client(running) as client:
            yield client


def dashboard(client: Client) -> str | None:
    """The dashboard address when the scheduler serves one (it needs bokeh)."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return None
    return client.dashboard_link


def fingerprint(plan: list[shards.Shard], prelabel: bool, batch_size: int) -> str:
    """Names a run: the shards (files, their sizes and times, ranges) and the options."""
    files = []
    for path, _ in sorted({f for s in plan for f in s.files}):
        if storage.is_url(path):
            fs, inner = storage.filesystem(path)
            info = fs.info(inner)
            files.append((path, info.get("size"), str(info.get("ETag") or info.get("LastModified") or "")))
        else:
            st = os.stat(path)
            files.append((path, st.st_size, st.st_mtime_ns))
    doc = json.dumps([__version__, prelabel, batch_size, [s.key() for s in plan], files], default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


@dataclass
class DaskEngine:
    """Runs a build on Dask; pass it as ``build(..., engine=DaskEngine(workers=2))``."""

    workers: int | None = None
    scheduler: str | None = None
    cluster: str | None = None
    cluster_options: dict[str, str] = field(default_factory=dict)
    threads: int = 1
    shard_bytes: int = shards.DEFAULT_SHARD_BYTES
    #: one line for the person running it (the dashboard address); the CLI prints it on stderr
    log: Callable[[str], None] | None = None
    #: the task run per shard; tests wrap it to make one shard fail
    task: Callable[..., ShardResult] = run_shard

    def run(self, inputs: Sequence[str | os.PathLike], out: str | os.PathLike, *, prelabel: bool = True,
            batch_size: int | None = None, progress: Progress | None = None) -> DaskBuildSummary:
        started = time.perf_counter()
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        out = str(out) if storage.is_url(out) else str(Path(out).absolute())
        sources, problems = run_stage("ingest", storage.discover, list(inputs), exclude=[out])
        storage.check_writable(out)
        with connect(workers=self.workers, scheduler=self.scheduler, cluster=self.cluster,
                     cluster_options=self.cluster_options, threads=self.threads) as client:
            link = dashboard(client)
            if link and self.log:
                self.log(f"dask dashboard: {link}")

            def mapper(fn, items):
                return client.gather(client.map(fn, *zip(*items), pure=False)) if items else []

            plan = shards.plan(sources, self.shard_bytes, mapper)
            stage = outputs.stage_path(out, fingerprint(plan, prelabel, batch_size))
            summary = DaskBuildSummary(out_dir=Path(out) if not storage.is_url(out) else None, shards=len(plan),
                                       workers=len(client.scheduler_info()["workers"]), dashboard=link)
            timings: Counter[str] = Counter()
            problems = timed_validate(timings, problems.cast(QUARANTINE_SCHEMA), Quarantine, "quarantine", "ingest")
            first = outputs.write_discover_part(stage, problems) if problems.height else None
            results = _Run(client, self.task, plan, stage, prelabel, batch_size, progress).results(summary)
        parts = {name: [results[s.index].parts[name] for s in plan] for name in TABLES}
        if first:
            parts["quarantine"].insert(0, first)
        if not plan:  # no input: every table still gets an empty part with its schema
            empty = self.task(shards.Shard(index=0, files=(), size=0), stage, prelabel, batch_size)
            parts = {name: ([first] if first and name == "quarantine" else []) + [empty.parts[name]]
                     for name in TABLES}
            results = {0: empty}
        return _finish(summary, results, problems, parts, out, stage, timings, started)


def _finish(summary: DaskBuildSummary, results: dict[int, ShardResult], problems: pl.DataFrame,
            parts: dict[str, list[dict]], out: str, stage: str, timings: Counter, started: float) -> DaskBuildSummary:
    roles: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    reasons: Counter[str] = Counter(problems.get_column("reason").to_list())
    summary.input_records = problems.height
    for result in results.values():
        summary.input_records += result.input_records
        summary.articles += result.articles
        summary.sentences += result.sentences
        roles.update(result.roles)
        languages.update(result.languages)
        reasons.update(result.reasons)
        timings.update(result.timings)
        summary.peak_rss_by_worker[result.worker_pid] = max(summary.peak_rss_by_worker.get(result.worker_pid, 0),
                                                            result.peak_rss)
        summary.shard_seconds.append(result.seconds)
    summary.quarantined = sum(reasons.values())
    if not summary.reconciled:
        raise ConflictsetError(
            f"counts do not reconcile: {summary.input_records} input records but {summary.articles} articles + "
            f"{summary.quarantined} quarantined — this is a bug, please report it (no outputs were replaced)")
    landed = outputs.publish(out, stage, parts)
    outputs.remove_stage(stage)
    summary.files = {name: (Path(path) if not storage.is_url(path) else path) for name, path in landed.items()}
    summary.segments_by_role = dict(roles)
    summary.quarantined_by_reason = dict(reasons)
    summary.sentences_by_language = dict(languages)
    summary.seconds = time.perf_counter() - started
    summary.stage_seconds = {k: round(v, 3) for k, v in timings.items()}  # summed over tasks
    return summary


class _Run:
    """Submits the shards, takes results in input order, re-runs shards whose ids occurred earlier."""

    def __init__(self, client: Client, task, plan: list[shards.Shard], stage: str, prelabel: bool,
                 batch_size: int, progress: Progress | None):
        self.client, self.task, self.plan, self.stage = client, task, plan, stage
        self.prelabel, self.batch_size, self.progress = prelabel, batch_size, progress
        self.known = pl.DataFrame(schema=DuplicateIds.KNOWN_SCHEMA)  # first occurrences, input order
        self.final: dict[int, ShardResult] = {}
        self.rows = 0

    def _submit(self, shard: shards.Shard, seed: pl.DataFrame | None = None):
        return self.client.submit(self.task, shard, self.stage, self.prelabel, self.batch_size, seed,
                                  key=f"conflictset-shard-{shard.index:05d}-{seed_digest(seed)}-{self.stage[-16:]}",
                                  retries=1)

    def _report(self) -> None:
        if self.progress:
            self.progress(len(self.final), len(self.plan), self.rows)

    def results(self, summary: DaskBuildSummary) -> dict[int, ShardResult]:
        firsts: dict[int, ShardResult] = {}
        futures = {}
        for shard in self.plan:
            done = read_marker(self.stage, shard.index)
            if done is not None:
                firsts[shard.index] = done
                summary.resumed += 1
            else:
                futures[self._submit(shard)] = (shard, False)
        self._report()
        queue = as_completed(list(futures))
        following = 0  # the next shard to take in input order
        failed: list[tuple[shards.Shard, BaseException]] = []
        try:
            following = self._take(firsts, following, futures, queue, summary)
            for future in queue:
                shard, rerun = futures.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 — reported with its shard once the others are done
                    failed.append((shard, exc))
                    continue
                if rerun:
                    self._done(result)
                else:
                    firsts[shard.index] = result
                if not failed:  # past a failed shard nothing can be taken in order; the rest still finish
                    following = self._take(firsts, following, futures, queue, summary)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        if failed:
            raise _failed(failed, self.stage)
        return self.final

    def _take(self, firsts, following, futures, queue, summary) -> int:
        """Check shards in input order against the ids of the shards before them."""
        while following in firsts:
            result = firsts.pop(following)
            ids = result.ids
            seed = self.known.join(ids.select("_key"), on="_key", how="semi") if ids.height else self.known.clear()
            if seed_digest(seed) == result.seed:
                self._done(result)
            else:  # ids that occurred in an earlier shard: read this one again knowing them
                future = self._submit(self.plan[following], seed)
                futures[future] = (self.plan[following], True)
                queue.add(future)
                summary.rerun_for_duplicates += 1
            self.known = pl.concat([self.known, ids.join(self.known, on="_key", how="anti")])
            following += 1
        return following

    def _done(self, result: ShardResult) -> None:
        self.final[result.index] = result
        self.rows += result.input_records
        self._report()


def _failed(failed: list[tuple[shards.Shard, BaseException]], stage: str) -> ConflictsetError:
    shard, exc = min(failed, key=lambda item: item[0].index)
    why = str(exc) if isinstance(exc, ConflictsetError) else f"{type(exc).__name__}: {exc}"
    more = f" (and {len(failed) - 1} other shard(s))" if len(failed) > 1 else ""
    return ConflictsetError(
        f"{shard.describe()} failed{more}: {why}; nothing was published (previous outputs are untouched) — fix: "
        f"correct the cause and run the same command again: the shards already done are kept in {stage} "
        "and not redone")
