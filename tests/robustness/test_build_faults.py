"""Faults during ``conflictset build``: read-only or full output, a stage failing mid-build,
Ctrl-C. In every case the previous outputs stay as they were and no temporary file is left."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import conflictset.dataset.batch as batch_module
import conflictset.dataset.build as build_module
from conflictset.cli import main
from conflictset.dataset.batch import TABLES as OUTPUT_FILES
from conflictset.dataset.build import build
from conflictset.schemas.errors import OutputError, StageError


def write_corpus(path: Path, n: int) -> Path:
    """JSONL with ``n`` short distinct articles (enough for several batches)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = (f"Clashes near village {i}\n\nFighting broke out on Monday between the army and rebels near "
                    f"village {i}, officials said. At least {i % 9 + 2} fighters were killed.\n\n"
                    f"The army said it had regained control of the area by the evening.")
            fh.write(json.dumps({"id": f"art-{i:05d}", "text": text, "language": "en"}) + "\n")
    return path


@pytest.fixture
def previous(tmp_path):
    """An output directory holding a finished build, and a snapshot of its bytes."""
    corpus = write_corpus(tmp_path / "old.jsonl", 3)
    out = tmp_path / "out"
    build([corpus], out, prelabel=False)
    return out, snapshot(out)


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def assert_untouched(out: Path, before: dict[str, bytes]) -> None:
    assert snapshot(out) == before  # same files (no temp files, no staging dirs), same bytes
    assert sorted(before) == sorted(f"{n}.parquet" for n in OUTPUT_FILES)


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "new.jsonl", 25)


# --- read-only and full output ----------------------------------------------------------------

def _make_read_only(path: Path) -> bool:
    """Really make ``path`` unwritable: permissions for a normal user, the immutable flag for
    root (root ignores permissions). False when neither is possible here."""
    if os.geteuid() != 0:
        path.chmod(0o555)
        return True
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o755)


def test_read_only_output_directory(previous, corpus):
    out, before = previous
    if not _make_read_only(out):
        pytest.skip("cannot make a directory read-only here (root without chattr support)")
    try:
        result = run_cli("build", str(corpus), "--out", str(out))
    finally:
        _undo_read_only(out)
    assert result.exit_code == 3, result.output
    line = result.output.strip()
    assert line.startswith("error: ") and "\n" not in line
    assert "not writable" in line and "previous outputs are untouched" in line and "fix:" in line
    assert_untouched(out, before)


def test_output_path_that_is_a_file(tmp_path, corpus):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    result = run_cli("build", str(corpus), "--out", str(target))
    assert result.exit_code == 3
    assert target.read_text() == "keep me"


def test_full_disk_while_writing(previous, corpus, monkeypatch):
    out, before = previous
    real = pq.ParquetWriter.write_table
    calls = []

    def disk_full(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 3:  # fails part-way, after some chunks were written
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_full)
    result = run_cli("build", str(corpus), "--out", str(out), "--batch-size", "5", "--no-prelabel")
    assert result.exit_code == 3, result.output
    assert "the disk is full" in result.output
    assert_untouched(out, before)


def test_failed_final_rename_keeps_previous_outputs(previous, corpus, monkeypatch):
    out, before = previous
    real = os.replace

    def refuse(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(build_module.os, "replace", refuse)
    with pytest.raises(OutputError):
        build([corpus], out, prelabel=False)
    monkeypatch.setattr(build_module.os, "replace", real)
    assert_untouched(out, before)


# --- a stage failing mid-build ----------------------------------------------------------------

@pytest.mark.parametrize("stage", ["clean", "segment", "prelabel"])
def test_stage_failure_mid_build_names_the_stage(previous, corpus, monkeypatch, stage):
    out, before = previous
    batches = []

    def fail_on_second_batch(real):
        def wrapped(*args, **kwargs):
            batches.append(1)
            if len(batches) == 2:
                raise RuntimeError("boom in the middle")
            return real(*args, **kwargs)
        return wrapped

    name = {"clean": "clean", "segment": "segment_articles", "prelabel": "run_prelabel"}[stage]
    monkeypatch.setattr(batch_module, name, fail_on_second_batch(getattr(batch_module, name)))

    with_prelabel = stage == "prelabel"
    with pytest.raises(StageError) as err:
        build([corpus], out, batch_size=5, prelabel=with_prelabel)
    assert err.value.stage == stage
    assert f"stage {stage!r} failed" in str(err.value) and "boom in the middle" in str(err.value)
    assert_untouched(out, before)

    batches.clear()
    result = run_cli("build", str(corpus), "--out", str(out), "--batch-size", "5",
                     *([] if with_prelabel else ["--no-prelabel"]))
    assert result.exit_code == 1
    assert f"error: stage {stage!r} failed" in result.output and "Traceback" not in result.output
    assert_untouched(out, before)


def test_ctrl_c_mid_build_leaves_no_partial_files(previous, corpus, monkeypatch):
    out, before = previous
    real = batch_module.segment_articles
    calls = []

    def interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_module, "segment_articles", interrupt)
    result = run_cli("build", str(corpus), "--out", str(out), "--batch-size", "5", "--no-prelabel")
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert_untouched(out, before)


@pytest.mark.slow
def test_real_sigint_during_a_build_subprocess(previous, tmp_path):
    out, before = previous
    corpus = write_corpus(tmp_path / "big.jsonl", 20_000)
    exe = Path(sys.executable).with_name("conflictset")
    if not exe.exists():
        pytest.skip("console script not installed")
    proc = subprocess.Popen([str(exe), "build", str(corpus), "--out", str(out), "--batch-size", "500",
                             "--no-progress", "--no-prelabel"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.name.startswith(".build-") for p in out.iterdir()):
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    time.sleep(0.3)  # let it write some chunks into the staging directory
    if proc.poll() is not None:
        pytest.skip("the build finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert_untouched(out, before)


def test_the_next_build_removes_what_a_killed_build_left(previous, corpus):
    out, before = previous
    dead = 2**22 + 4321  # above the default pid_max: no process has it
    stale = out / f".build-{dead}-abc123"
    stale.mkdir()
    (stale / "sentences.parquet").write_bytes(b"partial")
    (out / ".build-notapid").mkdir()  # not ours to judge: left alone
    build([corpus], out, prelabel=False)
    assert not stale.exists()
    assert (out / ".build-notapid").exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".build-notapid")) == sorted(before)
