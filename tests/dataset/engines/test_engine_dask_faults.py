"""Faults on a real cluster: a worker killed mid-task, a shard that fails for good, a re-run."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import cloudpickle
import polars as pl
import pytest
from dask_corpus import write_corpus
from distributed import Client

from conflictset.dataset.batch import TABLES
from conflictset.dataset.build import build
from conflictset.dataset.engines.dask_engine import DaskEngine
from conflictset.dataset.engines.task import run_shard
from conflictset.schemas.errors import ConflictsetError
from conflictset.schemas.tables import scan_table

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import test modules


def tables(out) -> dict[str, pl.DataFrame]:
    return {name: scan_table(out / f"{name}.parquet").collect() for name in TABLES}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    inputs = write_corpus(root / "in")
    build(inputs, root / "local")
    return root, inputs, tables(root / "local")


def fail_on_shard_two(shard, *args, **kwargs):
    if shard.index == 2:
        raise ValueError("disk on fire")
    return run_shard(shard, *args, **kwargs)


def _executing(dask_worker) -> list[str]:
    return [str(ts.key) for ts in dask_worker.state.executing]


def test_a_worker_killed_mid_task_loses_nothing(dask_scheduler, corpus, tmp_path):
    root, inputs, expected = corpus
    killed = []

    def killer():
        with Client(dask_scheduler) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not killed:
                for address, keys in client.run(_executing).items():
                    if any(k.startswith("conflictset-shard-") for k in keys):
                        pid = client.run(os.getpid, workers=[address])[address]
                        os.kill(pid, signal.SIGKILL)
                        killed.append((pid, keys))
                        return
                time.sleep(0.01)

    thread = threading.Thread(target=killer)
    thread.start()
    summary = build(inputs, tmp_path / "out", engine=DaskEngine(scheduler=dask_scheduler, shard_bytes=30_000))
    thread.join()
    assert killed, "no shard was seen running"
    assert summary.reconciled
    got = tables(tmp_path / "out")
    for name in TABLES:
        assert got[name].equals(expected[name]), name
    with Client(dask_scheduler) as client:
        client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker


def test_a_failing_shard_publishes_nothing_and_a_rerun_does_only_the_rest(dask_scheduler, corpus, tmp_path):
    root, inputs, expected = corpus
    out = tmp_path / "out"
    out.mkdir()
    (out / "sentences.parquet").write_bytes(b"previous")
    failing = DaskEngine(scheduler=dask_scheduler, shard_bytes=30_000, task=fail_on_shard_two)
    with pytest.raises(ConflictsetError) as caught:
        build(inputs, out, engine=failing)
    message = str(caught.value)
    assert "shard 2 (" in message and "disk on fire" in message and "nothing was published" in message
    assert (out / "sentences.parquet").read_bytes() == b"previous"
    assert not (out / "sentences").exists()
    summary = build(inputs, out, engine=DaskEngine(scheduler=dask_scheduler, shard_bytes=30_000))
    assert summary.resumed == summary.shards - 1 > 0  # only shard 2 runs again
    got = tables(out)
    for name in TABLES:
        assert got[name].equals(expected[name]), name
    assert not (out / "sentences.parquet").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".dask-build-")]
