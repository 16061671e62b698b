"""Release faults: codebook violations in the input, a crash or Ctrl-C mid-release, a read-only output.

Every case asserts the exit code, the one-line message naming the row and the reason code, and
that a previous release is left byte-for-byte intact with no temporary debris beside it.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from release_fixtures import ann, make_annotations, make_sentences, scenario_annotations, write_build_dir

from conflictset.cli import main
from conflictset.export import release as release_module
from conflictset.export.release import release
from conflictset.schemas.errors import OutputError
from conflictset.schemas.validation import ValidationFailed


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def previous(tmp_path) -> Path:
    """A good release at tmp/release that every failing run must leave untouched."""
    build = write_build_dir(tmp_path / "good", make_sentences(), scenario_annotations())
    release(build, "1.0.0", tmp_path / "release")
    return tmp_path / "release"


def assert_untouched(previous: Path, before: dict[str, bytes]) -> None:
    assert snapshot(previous) == before
    debris = [p.name for p in previous.parent.iterdir() if p.name.startswith(".")]
    assert debris == [], f"temporary files left beside the release: {debris}"


def run_release(build: Path, out: Path):
    return CliRunner().invoke(main, ["release", str(build), "--version", "1.1.0", "--out", str(out)])


def broken_build(tmp_path: Path, sentence_id: str, **changes) -> Path:
    sentences = make_sentences().with_columns(
        pl.when(pl.col("sentence_id") == sentence_id).then(pl.lit(v)).otherwise(pl.col(c)).cast(
            make_sentences().schema[c]).alias(c) for c, v in changes.items())
    return write_build_dir(tmp_path / "bad", sentences, scenario_annotations())


# --------------------------------------------------------------- codebook violations in the input


@pytest.mark.parametrize("sentence_id, changes, reason, column", [
    # a never-reviewed pre-label whose sub-event type belongs to another event type
    ("a2-00003", dict(event_type="Battles"), "hierarchy_mismatch", "sub_event_type"),
    # a pre-label with a disorder type the codebook does not give its sub-event type
    ("a2-00003", dict(disorder_type="Demonstrations"), "disorder_mismatch", "disorder_type"),
    # fatalities below zero and an inter name outside the codebook
    ("a1-00000", dict(fatalities=-1), "out_of_range", "fatalities"),
    ("a1-00000", dict(inter1="Army"), "not_in_taxonomy", "inter1"),
    ("a1-00000", dict(time_precision=4), "out_of_range", "time_precision"),
])
def test_codebook_violation_stops_the_release(tmp_path, previous, sentence_id, changes, reason, column):
    before = snapshot(previous)
    result = run_release(broken_build(tmp_path, sentence_id, **changes), previous)
    assert result.exit_code == 4
    assert result.output.startswith("error: release stopped, nothing was written: events: ")
    assert f"[{reason}] column '{column}'" in result.output
    assert f"sentence_id={sentence_id}" in result.output
    assert "Traceback" not in result.output
    assert_untouched(previous, before)


def test_report_names_every_violating_row(tmp_path):
    build = broken_build(tmp_path, "a2-00003", event_type="Battles")
    with pytest.raises(ValidationFailed) as err:
        release(build, "1.0.0", tmp_path / "out")
    report = err.value.report
    assert report.select("table", "column", "row", "reason", "sentence_id").rows() == [
        ("events", "sub_event_type", 4, "hierarchy_mismatch", "a2-00003")]
    assert not (tmp_path / "out").exists()


def test_an_annotation_with_a_wrong_parent_stops_the_release(tmp_path, previous):
    before = snapshot(previous)
    rows = scenario_annotations().to_dicts()
    wrong = ann("a2-00002", "ann-aaaaaaaaaa", "Grenade", annotation_id=99)
    wrong["event_type"] = "Riots"  # Grenade belongs to Explosions/Remote violence
    build = write_build_dir(tmp_path / "bad", make_sentences(), make_annotations([*rows, wrong]))
    result = run_release(build, previous)
    assert result.exit_code == 4
    assert "[hierarchy_mismatch]" in result.output and "sentence_id=a2-00002" in result.output
    assert_untouched(previous, before)


# --------------------------------------------------------------- crashes and interrupts


def test_crash_mid_release_leaves_the_old_release_intact(tmp_path, previous, monkeypatch):
    before = snapshot(previous)
    build = write_build_dir(tmp_path / "next", make_sentences(), scenario_annotations())
    real = release_module.write_parquet
    calls = []

    def crash_on_second_table(frame, path):
        calls.append(path)
        if len(calls) == 2:
            raise RuntimeError("simulated crash while writing")
        return real(frame, path)

    monkeypatch.setattr(release_module, "write_parquet", crash_on_second_table)
    with pytest.raises(RuntimeError, match="simulated crash"):
        release(build, "1.1.0", previous)
    assert_untouched(previous, before)


def test_ctrl_c_mid_release_leaves_no_partial_files(tmp_path, previous, monkeypatch):
    before = snapshot(previous)
    build = write_build_dir(tmp_path / "next", make_sentences(), scenario_annotations())

    def interrupted(**_):
        raise KeyboardInterrupt

    monkeypatch.setattr("conflictset.export.croissant.render", interrupted)
    result = run_release(build, previous)
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert_untouched(previous, before)


def test_failure_while_swapping_restores_the_old_release(tmp_path, previous, monkeypatch):
    before = snapshot(previous)
    build = write_build_dir(tmp_path / "next", make_sentences(), scenario_annotations())
    real_replace = os.replace

    swaps = []

    def refuse_new(src, dst):
        if Path(src).is_dir() and Path(src).name.endswith(".tmp"):  # moving the new release in fails
            swaps.append(src)
            raise OSError(errno.EIO, "I/O error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_new)
    with pytest.raises(OutputError, match="previous outputs are untouched"):
        release(build, "1.1.0", previous)
    assert len(swaps) == 1  # the old release had been moved aside, and was moved back
    assert_untouched(previous, before)


# --------------------------------------------------------------- read-only or full output


def test_read_only_output_directory(tmp_path, previous, monkeypatch):
    before = snapshot(previous)
    build = write_build_dir(tmp_path / "next", make_sentences(), scenario_annotations())
    parent = previous.parent
    if os.geteuid() != 0:
        parent.chmod(0o555)  # a real read-only directory
    else:  # root ignores permissions: the OS error a read-only directory gives, raised where it would be
        def read_only(*_, **__):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    try:
        result = run_release(build, previous)
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 3
    assert "the directory is not writable" in result.output and "fix:" in result.output
    assert_untouched(previous, before)


def test_full_disk_while_writing(tmp_path, previous, monkeypatch):
    before = snapshot(previous)
    build = write_build_dir(tmp_path / "next", make_sentences(), scenario_annotations())

    def disk_full(*_, **__):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(release_module, "write_json", disk_full)
    result = run_release(build, previous)
    assert result.exit_code == 3
    assert "the disk is full" in result.output
    assert_untouched(previous, before)


def test_the_next_run_recovers_what_a_killed_release_left(tmp_path, previous):
    before = snapshot(previous)
    dead = 2**22 + 12345  # above the default pid_max, so no process has it
    # killed between the two renames: the old release set aside, nothing under the final name
    os.replace(previous, previous.with_name(f".release.old-{dead}"))
    # and a staging directory of the dead process
    stale = previous.with_name(f".release.{dead}.abc123.tmp")
    (stale / "data").mkdir(parents=True)
    (stale / "data" / "events.parquet").write_bytes(b"partial")
    # the next run fails validation, so only the recovery shows
    result = run_release(broken_build(tmp_path, "a2-00003", event_type="Battles"), previous)
    assert result.exit_code == 4
    assert_untouched(previous, before)


def test_a_running_release_is_not_disturbed(tmp_path, previous):
    mine = previous.with_name(f".release.{os.getpid()}.xyz.tmp")
    mine.mkdir()
    result = run_release(broken_build(tmp_path, "a2-00003", event_type="Battles"), previous)
    assert result.exit_code == 4
    assert mine.is_dir()  # a live process's staging directory is left alone
    mine.rmdir()


def big_build(path: Path, n: int) -> Path:
    """``n`` sentences, every one reviewed twice: big enough that a release takes a moment."""
    base = make_sentences()
    sentences = pl.concat([
        base.with_columns(pl.concat_str([pl.lit(f"b{i:05d}"), pl.col("sentence_id")]).alias("sentence_id"),
                          pl.concat_str([pl.lit(f"b{i:05d}"), pl.col("article_id")]).alias("article_id"))
        for i in range(n // base.height)])
    one = scenario_annotations().filter(pl.col("sentence_id") == "a1-00000")
    annotations = pl.concat([
        one.with_columns(pl.lit(f"b{i:05d}a1-00000").alias("sentence_id"),
                         (pl.col("annotation_id") + 10 * i).alias("annotation_id"))
        for i in range(n // base.height)])
    return write_build_dir(path, sentences, annotations)


@pytest.mark.slow
def test_kill_9_mid_release_leaves_the_old_release_or_the_new_one_never_a_mix(tmp_path, previous):
    import signal
    import subprocess
    import time

    before = snapshot(previous)
    build = big_build(tmp_path / "big", 24_000)
    cmd = ["release", str(build), "--version", "9.9.9", "--out", str(previous)]
    proc = subprocess.Popen([sys.executable, "-c", "from conflictset.cli import main; main()", *cmd],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(previous.parent.glob(f".release.{proc.pid}.*.tmp")):
            break  # it is writing now
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = snapshot(previous)
    version = json.loads(after["manifest.json"])["version"]
    print(f"killed; release at --out is {version}")
    if version == "1.0.0":
        assert after == before
    else:  # the kill landed after the swap: the new release is complete
        assert version == "9.9.9" and set(after) == set(before)
    # the next run cleans up whatever the killed one left and succeeds
    result = run_release(build, previous)
    assert result.exit_code == 0, result.output
    assert [p.name for p in previous.parent.iterdir() if p.name.startswith(".")] == []


def test_duplicate_sentence_ids_in_the_input(tmp_path, previous):
    before = snapshot(previous)
    sentences = make_sentences()
    build = write_build_dir(tmp_path / "dup", pl.concat([sentences, sentences.head(2)]), scenario_annotations())
    result = run_release(build, previous)
    assert result.exit_code == 2
    assert "field 'sentence_id': 2 sentence_id value(s) occur more than once, e.g. ['a1-00000', 'a1-00001']" \
        in result.output
    assert_untouched(previous, before)
