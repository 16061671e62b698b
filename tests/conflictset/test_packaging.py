"""The wheel installs under one import root, beside the PyPI projects that own the bare names.

``dataset`` (a database toolkit), ``schemas`` and ``export`` are other projects on PyPI, each with a
top-level folder of that name; a research environment may well have one. The wheel must install
next to them without touching a file of theirs, and the CLI must work there.
"""

from __future__ import annotations

import hashlib
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

OTHERS = {"dataset": "2.0.0", "schemas": "0.7.1", "export": "0.2.1"}


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # never from the checkout: its conflictset/ folder would shadow the installed package
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False,
                          cwd=cwd or Path(sys.executable).parent)


def installed_files(python: Path, names) -> dict[str, str]:
    """sha256 of every file the named distributions installed (from their RECORD)."""
    code = ("import importlib.metadata as m, sys\n"
            "for name in sys.argv[1:]:\n"
            "    d = m.distribution(name)\n"
            "    for f in d.files: print(d.locate_file(f))\n")
    listed = run(python, "-c", code, *names)
    assert listed.returncode == 0, listed.stderr
    paths = [Path(line) for line in listed.stdout.splitlines() if line and "__pycache__" not in line]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.mark.slow
def test_wheel_installs_beside_dataset_schemas_and_export_from_pypi(tmp_path, repo_root):
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    python, pip = venv / "bin" / "python", [venv / "bin" / "python", "-m", "pip", "-q"]
    got = run(*pip, "install", *(f"{name}=={version}" for name, version in OTHERS.items()))
    if got.returncode:
        pytest.skip(f"the package index cannot be reached here: {got.stderr.strip()[-300:]}")
    before = installed_files(python, OTHERS)
    assert any(path.endswith("/dataset/__init__.py") for path in before)

    source, wheel_dir = tmp_path / "source", tmp_path / "wheel"  # a copy: setuptools writes build/ beside the source
    for name in ("conflictset", "dataset", "schemas", "export"):
        shutil.copytree(repo_root / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(repo_root / name, source / name)
    built = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheel_dir, source)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheel_dir.glob("conflictset-*.whl")
    # conflictset's own dependencies come from the test environment (a path after the venv's own)
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    (Path(purelib) / "test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    got = run(*pip, "install", "--no-deps", wheel)
    assert got.returncode == 0, got.stderr

    assert installed_files(python, OTHERS) == before  # no file of theirs was overwritten
    where = run(python, "-c", "import dataset, conflictset.schemas as s; "
                              "print(dataset.__file__); print(hasattr(dataset, 'connect')); print(s.__file__)")
    assert where.returncode == 0, where.stderr
    dataset_file, has_connect, ours = where.stdout.split()
    assert dataset_file == str(Path(purelib) / "dataset" / "__init__.py") and has_connect == "True"
    assert ours == str(Path(purelib) / "conflictset" / "schemas" / "__init__.py")
    helped = run(venv / "bin" / "conflictset", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "build" in helped.stdout and "release" in helped.stdout
    # the data files a release needs ship in the wheel: the CFF schema and the demo's metadata
    data = run(python, "-c", "from conflictset.export.licences import cff_schema; from conflictset.demo import "
                             "DEMO_METADATA; from conflictset.export.metadata import load; "
                             "print(cff_schema()['$id'], load(DEMO_METADATA).name)")
    assert data.returncode == 0, data.stderr
    assert data.stdout.split() == ["https://citation-file-format.github.io/1.2.0/schema.json", "conflictset-demo"]
