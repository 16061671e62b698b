"""A real Label Studio server for the whole test session.

The server venv is installed on first use (``make test`` installs it before pytest). A migrated
empty data dir is built once under ``.studio/template`` (~30 s, first run only) and copied per
session, so starting the session server takes ~4 s.
"""

from __future__ import annotations

import time

import pytest
from studio_helpers import Studio

from conflictset.export.label_studio import server


@pytest.fixture(scope="session")
def studio(repo_root, tmp_path_factory) -> Studio:
    """One real Label Studio for the session on a free 127.0.0.1 port, stopped at the end."""
    install_root = repo_root / ".studio"
    server.install(install_root)
    template, creds = server.build_template(install_root)
    root = tmp_path_factory.mktemp("studio")
    server.link_venv(install_root, root)
    started = time.perf_counter()
    info = server.start(root, port=server.free_port(18200), data_dir=root / "data",
                        credentials=creds, template=template)
    print(f"\nLabel Studio test server up in {time.perf_counter() - started:.1f} s at {info.url}")
    try:
        yield Studio(info.url, creds.token, root)
    finally:
        server.stop(root)


@pytest.fixture
def client(studio):
    with studio.client() as c:
        yield c


@pytest.fixture
def project_title(request) -> str:
    # one project per test: tests stay independent on the shared server
    return f"{request.node.name.removeprefix('test_')[:30]}-{time.time_ns() % 10**9}"
