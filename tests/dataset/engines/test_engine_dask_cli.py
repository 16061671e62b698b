"""The partitioned build as every reader sees it, the CLI options, and the SLURM job script."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner
from release_fixtures import write_metadata

from conflictset.cli import main
from conflictset.dataset.build import build
from conflictset.dataset.engines.dask_engine import slurm_options
from conflictset.dataset.prelabel.report import rules_report
from conflictset.export.release import release
from conflictset.export.validate_release import validate_path
from conflictset.schemas.errors import InputError


@pytest.fixture(scope="module")
def both(repo_root, tmp_path_factory):
    """The sample corpus built by the two engines, the dask one through the CLI."""
    corpus = repo_root / "dataset" / "sample_corpus"
    root = tmp_path_factory.mktemp("both")
    write_metadata(root)  # the dataset.toml beside both builds, for their releases
    build([corpus], root / "local")
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(root / "dask"), "--engine", "dask",
                                       "--workers", "1", "--shard-mb", "0.03"])
    assert result.exit_code == 0, result.output
    return root, result.output


def test_cli_prints_the_summary_with_shards(both):
    _, output = both
    assert "shards: " in output and "on 1 worker(s)" in output and "peak RSS per worker" in output


def test_release_of_a_partitioned_build_has_the_same_data_files(both, tmp_path):
    root, _ = both
    release(root / "local", "1.0.0", tmp_path / "r-local")
    release(root / "dask", "1.0.0", tmp_path / "r-dask")
    for name in ("data/events.parquet", "data/sentences.parquet", "data/annotations.parquet"):
        digest = [hashlib.sha256((tmp_path / r / name).read_bytes()).hexdigest() for r in ("r-local", "r-dask")]
        assert digest[0] == digest[1], name
    inputs = json.loads((tmp_path / "r-dask" / "manifest.json").read_text())["inputs"]
    assert "sentences.parquet" in inputs


def test_rules_report_and_validate_read_parts(both):
    root, _ = both
    ours, theirs = rules_report(root / "dask"), rules_report(root / "local")
    assert {k: v for k, v in ours.items() if k != "source"} == {k: v for k, v in theirs.items() if k != "source"}
    report = validate_path(root / "dask")
    assert report.ok, report.lines()
    assert "sentences/part-00000.parquet" in report.checked


def test_a_changed_part_fails_validation(both, tmp_path):
    root, _ = both
    copy = tmp_path / "copy"
    shutil.copytree(root / "dask", copy)
    part = copy / "sentences" / "part-00000.parquet"
    part.write_bytes(part.read_bytes()[:-10])
    report = validate_path(copy)
    assert not report.ok and "checksum_mismatch" in set(report.problems["reason"])


@pytest.mark.parametrize("args, says", [
    (["--workers", "2"], "--workers needs --engine dask"),
    (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--scheduler joins a running"),
    (["--engine", "dask", "--cluster", "slurm", "--cluster-option", "colour=blue"], "unknown --cluster-option"),
    (["--engine", "dask", "--cluster-option", "queue=x"], "applies to --cluster slurm"),
    (["--engine", "dask", "--cluster", "slurm", "--cluster-option", "cores=many"], "not a whole number"),
])
def test_engine_options_are_checked_before_any_work(args, says, tmp_path):
    result = CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output


def test_slurm_job_script_exports_polars_threads_before_the_worker_starts():
    jobqueue = pytest.importorskip("dask_jobqueue")
    kwargs = slurm_options({"queue": "normal", "account": "conflict", "walltime": "02:00:00", "processes": "4",
                            "memory": "16GB", "job_extra": "--qos=long --exclusive"}, threads=2)
    assert kwargs["cores"] == 8 and kwargs["processes"] == 4
    with jobqueue.SLURMCluster(**kwargs) as cluster:
        script = cluster.job_script()
    for line in ("#SBATCH -p normal", "#SBATCH -A conflict", "#SBATCH -t 02:00:00", "#SBATCH --qos=long",
                 "#SBATCH --exclusive", "#SBATCH --cpus-per-task=8", "export POLARS_MAX_THREADS=2"):
        assert line in script
    assert script.index("export POLARS_MAX_THREADS=2") < script.index("distributed.cli.dask_worker")
    with pytest.raises(InputError):
        slurm_options({"partition": "x"})
