"""Benchmark the Dask engine against the local one, in one run on the same corpus.

    python bench/scale_out.py [--sentences N] [--shard-mb M] [--no-prelabel] [--keep DIR]

Synthesises a JSONL corpus as ``bench/build.py`` does, then builds it, each in a fresh process:
the local engine (two batch threads and a writer thread in one process); the Dask engine on a
local cluster of 1 worker; and on 2 workers (spawned processes, one polars thread each). The
cluster is started before the clock starts (its start-up is printed apart), so the times compare
the builds. Prints ``local_s``, ``dask1_s``, ``dask2_s``, ``speedup_2v1`` (dask1/dask2),
``dask1_vs_local`` (dask1/local), ``peak_rss_per_worker_mb`` (largest over workers and runs),
the per-shard time and memory (for the cost extrapolation in docs/CLUSTER.md) and the machine's
load. Targets on 2 cores: speedup_2v1 ≥ 1.6, dask1_vs_local ≤ 1.3, peak RSS per worker ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_build", REPO / "bench" / "build.py")
bench_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_build)

LOCAL = """
import json, resource, sys, time
from conflictset.dataset.build import build
arg = json.loads(sys.argv[1])
t = time.perf_counter()
s = build(arg["files"], arg["out"], prelabel=arg["prelabel"])
print(json.dumps({"seconds": time.perf_counter() - t, "sentences": s.sentences, "records": s.input_records,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

DASK = """
import json, sys, time
from conflictset.dataset.build import build
from conflictset.dataset.engines.dask_engine import DaskEngine, connect
arg = json.loads(sys.argv[1])
if __name__ == "__main__":
    t = time.perf_counter()
    with connect(workers=arg["workers"], scheduler=None, cluster=None, cluster_options={}, threads=1) as client:
        client.wait_for_workers(arg["workers"])
        start = time.perf_counter() - t
        t = time.perf_counter()
        s = build(arg["files"], arg["out"], prelabel=arg["prelabel"],
                  engine=DaskEngine(scheduler=client.scheduler.address, shard_bytes=arg["shard_bytes"]))
        seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "cluster_start_s": start, "sentences": s.sentences, "shards": s.shards,
                      "records": s.input_records, "shard_seconds": s.shard_seconds,
                      "peak_rss_mb": max(s.peak_rss_by_worker.values()) / 2**20,
                      "workers_seen": len(s.peak_rss_by_worker)}))
"""


def _child(code: str, arg: dict) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(arg)], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=300_000)
    ap.add_argument("--shard-mb", type=float, default=4.0, help="input MB per shard (default 4: ~16 shards "
                    "for the default corpus, so two workers stay busy to the end)")
    ap.add_argument("--no-prelabel", action="store_true")
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="conflictset-scale-out-"))
    (work / "corpus").mkdir(parents=True, exist_ok=True)
    files, records = bench_build.synthesise(args.sentences, work / "corpus")
    size = sum(f.stat().st_size for f in files)
    common = {"files": [str(f) for f in files], "prelabel": not args.no_prelabel}
    load = os.getloadavg()[0]
    local = _child(LOCAL, {**common, "out": str(work / "local")})
    runs = {n: _child(DASK, {**common, "out": str(work / f"dask{n}"), "workers": n,
                             "shard_bytes": int(args.shard_mb * 2**20)}) for n in (1, 2)}
    assert local["sentences"] == runs[1]["sentences"] == runs[2]["sentences"], "engines disagree"
    per_shard = statistics.median(runs[1]["shard_seconds"])
    print(f"corpus: {records:,} articles, {local['sentences']:,} sentences, {size / 2**20:.1f} MB in {len(files)} "
          f"file(s); {runs[1]['shards']} shards of ≤{args.shard_mb} MB; cores {os.cpu_count()}; "
          f"load before {load:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"local_s={local['seconds']:.2f}")
    print(f"dask1_s={runs[1]['seconds']:.2f}")
    print(f"dask2_s={runs[2]['seconds']:.2f}")
    print(f"speedup_2v1={runs[1]['seconds'] / runs[2]['seconds']:.2f}")
    print(f"dask1_vs_local={runs[1]['seconds'] / local['seconds']:.2f}")
    print(f"peak_rss_per_worker_mb={max(runs[1]['peak_rss_mb'], runs[2]['peak_rss_mb']):.0f}")
    print(f"local_peak_rss_mb={local['peak_rss_mb']:.0f}")
    print(f"cluster_start_s={runs[1]['cluster_start_s']:.2f} (1 worker), {runs[2]['cluster_start_s']:.2f} (2 workers)")
    times = {n: [round(x, 2) for x in runs[n]["shard_seconds"]] for n in (1, 2)}
    print(f"shard_s={times[1]} (1 worker), {times[2]} (2 workers)")
    print(f"shard_s_median={per_shard:.2f} (1 worker; {size / runs[1]['shards'] / 2**20:.1f} MB, "
          f"{records / runs[1]['shards']:,.0f} articles per shard)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
