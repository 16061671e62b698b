"""The benchmark scripts run end to end on a small corpus and print the figures their docs name
(their timings are only read by people: no timed assertion here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / script), *args], capture_output=True,
                          text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_lower_bound_prints_its_ratio_and_the_budget_left():
    # with pre-labelling only: the other mode leaves out one part, and each run costs ~15 s
    out = _run("lower_bound.py", "--sentences", "3000")
    parts = re.search(r"^parts \(CPU s, one thread, best of three\): (.*)$", out, re.M).group(1)
    names = [p.rsplit(" ", 1)[0] for p in parts.split(", ")]
    assert names == ["read_write", "sentencex", "extract_many", "pandera"]
    for key in ("lower_bound_s", "lower_bound_ratio", "budget_left_cpu_s", "ratio", "build_rest_cpu_s"):
        assert re.search(rf"\b{key}=-?\d+\.\d\d\b", out), (key, out)


def test_build_bench_prints_ratio_and_peak_rss():
    out = _run("build.py", "--sentences", "3000")
    for key in ("ratio", "ratio_narrow"):
        assert re.search(rf"^{key}=\d+\.\d\d$", out, re.M), (key, out)
    assert re.search(r"^peak_rss_mb=\d+", out, re.M), out
