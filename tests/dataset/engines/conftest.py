"""One real Dask cluster (two spawned worker processes) for the engine tests, stopped at the end."""

from __future__ import annotations

import pytest

from conflictset.dataset.engines.dask_engine import connect


@pytest.fixture(scope="session")
def dask_scheduler():
    with connect(workers=2, scheduler=None, cluster=None, cluster_options={}, threads=1) as client:
        client.wait_for_workers(2)
        yield client.scheduler.address
