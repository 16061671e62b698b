"""Input and output on an object store: moto's S3-compatible server on 127.0.0.1 (never a cloud)."""

from __future__ import annotations

import io
import json
import socket

import polars as pl
import pytest
from dask_corpus import jsonl_lines

from conflictset.dataset.batch import TABLES
from conflictset.dataset.build import build
from conflictset.dataset.engines.dask_engine import DaskEngine
from conflictset.schemas.parts import MANIFEST

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def s3(monkeypatch):
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    for key, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)  # spawned workers inherit it
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
    fs.mkdir("corpus")
    yield fs
    server.stop()


def test_build_reads_and_writes_s3_like_the_local_engine(s3, tmp_path):
    text = "\n".join(jsonl_lines(150)) + "\n"
    (tmp_path / "news.jsonl").write_text(text, encoding="utf-8")
    s3.pipe("corpus/in/news.jsonl", text.encode())
    s3.pipe("corpus/in/notes.xyz", b"not an article")
    build([tmp_path / "news.jsonl"], tmp_path / "local", prelabel=False)
    summary = build(["s3://corpus/in"], "s3://corpus/out", prelabel=False,
                    engine=DaskEngine(workers=1, shard_bytes=20_000))
    assert summary.shards >= 3 and summary.reconciled
    for name in TABLES:
        manifest = json.loads(s3.cat(f"corpus/out/{name}/{MANIFEST}"))
        got = pl.concat([pl.read_parquet(io.BytesIO(s3.cat(f"corpus/out/{name}/{p['path']}")))
                         for p in manifest["parts"]])
        want = pl.read_parquet(tmp_path / "local" / f"{name}.parquet")
        if "source_file" in got.columns:  # the same records, named by their URL
            got = got.with_columns(pl.col("source_file").str.replace("s3://corpus/in/news.jsonl",
                                                                     str(tmp_path / "news.jsonl"), literal=True))
        if name == "quarantine":
            unsupported = got.filter(pl.col("reason") == "unsupported_format")
            assert unsupported["source_file"].to_list() == ["s3://corpus/in/notes.xyz"]
            got = got.filter(pl.col("reason") != "unsupported_format").with_columns(
                pl.col("message").str.replace_all("s3://corpus/in/news.jsonl", str(tmp_path / "news.jsonl"),
                                                  literal=True))
        assert got.equals(want), name
    assert not [p for p in s3.ls("corpus/out") if "/.dask-build-" in p]
