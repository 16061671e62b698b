"""Scale check (issue 6): memory of large builds, and pull + agreement on a large export.

    python bench/scale.py [--sizes 1000000,5000000] [--annotations 100000] [--quick] [--keep DIR]

1. For each size N, synthesises a JSONL corpus of about N sentences (``bench/build.py``'s
   synthesis, imported, not copied) and runs ``build()`` in a fresh subprocess; prints its peak
   resident set. Target: ≤ 2 GB and flat in N (``rss_ratio`` = largest / smallest ≈ 1); the
   largest corpus is one JSONL file, so memory must not follow the input file's size. A last
   build of the first size uses news-length articles (six sample articles each, ~5 KiB):
   memory must not grow with article length either.
2. Synthesises a Label Studio snapshot export (the JSON array ``export/label_studio/pull.py``
   parses) with ``--annotations`` annotations (two annotators per task, with disagreements,
   e-mail user objects, spans and a cancelled share), then in a fresh subprocess times
   ``pull(None, out, from_file=…)`` (target ≤ 30 s) and ``export.agreement.agreement`` on the
   pulled annotations (target ≤ 5 s).

Figures and ratios are printed (``name=value`` lines); nothing is asserted. ``--quick`` is a
smoke run (20k sentences, 2k annotations).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from conflictset.export.label_studio import config as cfg
from conflictset.schemas.taxonomy import EVENT_TYPES, NO_EVENT, subs_of

REPO = Path(__file__).resolve().parents[1]


def _bench_build():
    """``bench/build.py`` as a module (a unique name: ``build`` is also a PyPI package)."""
    spec = importlib.util.spec_from_file_location("conflictset_bench_build", REPO / "bench" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PULL = r"""
import json, resource, sys, time
import polars as pl
from conflictset.export.label_studio.pull import pull
from conflictset.export.agreement import agreement
export, out = json.loads(sys.argv[1])
t, c = time.perf_counter(), time.process_time()
result = pull(None, out, from_file=export)
pull_s, pull_cpu = time.perf_counter() - t, time.process_time() - c
annotations = pl.read_parquet(f"{out}/annotations.parquet")
t, c = time.perf_counter(), time.process_time()
report = agreement(annotations)
agreement_s, agreement_cpu = time.perf_counter() - t, time.process_time() - c
alpha = report.levels["event_type"].alpha
print(json.dumps({"pull_seconds": pull_s, "agreement_seconds": agreement_s, "pull_cpu_seconds": pull_cpu,
                  "agreement_cpu_seconds": agreement_cpu, "counts": result.counts,
                  "alpha_event_type": alpha, "items_pairable": report.items_pairable,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def synthesise_export(n_annotations: int, path: Path, seed: int = 11) -> dict:
    """A snapshot export with ``n_annotations`` annotations, two per task (the last task may have one).

    Shaped like Label Studio 1.23's JSON export of a conflictset project: ``data`` as pushed,
    one prediction, annotations with user objects carrying e-mails (pull must pseudonymise them).
    """
    rng = random.Random(seed)
    paths = [[et, sub] for et in EVENT_TYPES for sub in subs_of(et)] + [[NO_EVENT]]
    words = ["Fighting", "between", "the", "army", "and", "rebels", "near", "Raqqa", "killed", "12",
             "people", "on", "Monday", "protesters", "gathered", "in", "Aleppo", "police", "arrested"]
    users = [{"id": u, "email": f"annotator{u}@example.org", "first_name": f"A{u}", "last_name": ""}
             for u in range(1, 21)]
    n_tasks = (n_annotations + 1) // 2
    written = 0
    ann_id = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for t in range(n_tasks):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) + f" ({t})."
            gold = rng.choice(paths)
            pred = {"id": t + 1, "model_version": "rules-bench", "score": round(rng.random(), 3),
                    "result": [{"id": "event", "from_name": cfg.TAXONOMY_NAME, "to_name": cfg.TEXT_NAME,
                                "type": "taxonomy", "value": {"taxonomy": [gold]}}]}
            anns = []
            for u in rng.sample(users, 2)[: min(2, n_annotations - written)]:
                ann_id += 1
                chosen = gold if rng.random() < 0.8 else rng.choice(paths)
                start = text.find("Raqqa")
                result = [{"id": "event", "from_name": cfg.TAXONOMY_NAME, "to_name": cfg.TEXT_NAME,
                           "type": "taxonomy", "value": {"taxonomy": [chosen]}}]
                if start >= 0:
                    result.append({"id": f"s{ann_id}", "from_name": cfg.SPAN_NAME, "to_name": cfg.TEXT_NAME,
                                   "type": "labels", "value": {"start": start, "end": start + 5,
                                                               "text": "Raqqa", "labels": ["LOCATION"]}})
                cancelled = rng.random() < 0.02
                anns.append({"id": ann_id, "completed_by": u, "result": [] if cancelled else result,
                             "was_cancelled": cancelled, "ground_truth": False, "lead_time": 3.5,
                             "created_at": "2026-01-02T03:04:05.123456Z",
                             "updated_at": "2026-01-02T03:04:06.000000Z", "task": t + 1, "project": 1,
                             "created_username": f"{u['email']}, {u['id']}"})
                written += 1
            task = {"id": t + 1, "project": 1, "inner_id": t + 1, "annotations": anns,
                    "predictions": [pred], "drafts": [], "meta": {},
                    "data": {"sentence_id": f"bench-{t // 10:07d}-{t % 10:05d}",
                             "article_id": f"bench-{t // 10:07d}", "text": text, "title": "Bench",
                             "source": "Bench Wire", "date": "2020-01-01", "prev_text": "",
                             "next_text": "", "language": "en"},
                    "created_at": "2026-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00.000000Z",
                    "total_annotations": len(anns), "cancelled_annotations": 0, "total_predictions": 1}
            if t:
                fh.write(",")
            fh.write(json.dumps(task, ensure_ascii=False))
        fh.write("]")
    return {"tasks": n_tasks, "annotations": written, "bytes": path.stat().st_size}


def _one_file(files: list[Path], path: Path) -> list[Path]:
    """The corpus as one JSONL file: memory must not follow the size of an input file either."""
    with path.open("wb") as out:
        for f in files:
            with f.open("rb") as fh:
                shutil.copyfileobj(fh, out)
            f.unlink()
    return [path]


def run_builds(sizes: list[int], work: Path, batch_size: int | None, long_glue: int = 6) -> list[dict]:
    """Builds of each size (the largest read from one file), then one of the first size made of
    news-length articles (``long_glue`` sample articles each): memory must follow the text, not
    the record count nor the file size."""
    bb = _bench_build()
    results = []
    for n, glue in [(n, 1) for n in sizes] + [(sizes[0], long_glue)]:
        name = f"{n}" if glue == 1 else f"long_{n}"
        corpus = work / f"corpus-{name}"
        corpus.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        files, records = bb.synthesise(n, corpus, glue=glue)
        if glue == 1 and n == max(sizes) and len(files) > 1:
            files = _one_file(files, corpus / "corpus.jsonl")
        size = sum(f.stat().st_size for f in files)
        print(f"corpus {name}: {records:,} articles ({size / max(records, 1) / 1024:.1f} KiB each), "
              f"{size / 2**20:.1f} MiB in {len(files)} files (made in {time.perf_counter() - t:.1f} s)", flush=True)
        built = bb._child(bb._BUILD, [[str(f) for f in files], str(work / f"out-{name}"), True, batch_size])
        built["target"] = name
        results.append(built)
        print(f"build {name}: {built['sentences']:,} sentences, {built['articles']:,} articles, "
              f"{built['quarantined']:,} quarantined in {built['seconds']:.1f} s "
              f"({built['sentences'] / built['seconds']:,.0f} sentences/s), "
              f"peak_rss_mb={built['peak_rss_mb']:.0f}", flush=True)
        for f in files:  # the corpus of the next size must fit beside the outputs
            f.unlink()
    return results


def run_pull(n_annotations: int, work: Path) -> dict:
    bb = _bench_build()
    export = work / "export.json"
    t = time.perf_counter()
    made = synthesise_export(n_annotations, export)
    print(f"export: {made['tasks']:,} tasks, {made['annotations']:,} annotations, "
          f"{made['bytes'] / 2**20:.1f} MiB (made in {time.perf_counter() - t:.1f} s)", flush=True)
    figures = bb._child(_PULL, [str(export), str(work / "pulled")])
    figures.update(made)
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000000,5000000", help="sentence counts to build, comma-separated")
    ap.add_argument("--annotations", type=int, default=100_000, help="annotations in the synthetic export")
    ap.add_argument("--batch-size", type=int, default=None, help="articles per batch (default: build's)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20k sentences, 2k annotations")
    ap.add_argument("--skip-build", action="store_true", help="only the pull/agreement part")
    ap.add_argument("--keep", type=Path, help="keep corpora and outputs in this directory")
    args = ap.parse_args(argv)
    sizes = [20_000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    n_annotations = 2_000 if args.quick else args.annotations

    with tempfile.TemporaryDirectory(prefix="conflictset-scale-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        builds = [] if args.skip_build else run_builds(sizes, work, args.batch_size)
        pulled = run_pull(n_annotations, work)

    print("--- figures")
    for b in builds:
        print(f"build_{b['target']}_sentences={b['sentences']} build_{b['target']}_seconds={b['seconds']:.1f} "
              f"build_{b['target']}_peak_rss_mb={b['peak_rss_mb']:.0f}")
    if builds:
        sized = builds[:-1]  # the last build is the news-length one
        print(f"peak_rss_max_mb={max(b['peak_rss_mb'] for b in builds):.0f} (target ≤ 2048)")
        if len(sized) > 1:
            print(f"rss_ratio={sized[-1]['peak_rss_mb'] / sized[0]['peak_rss_mb']:.2f} (largest / smallest "
                  f"size; flat ≈ 1; sizes ratio {sized[-1]['sentences'] / sized[0]['sentences']:.1f})")
    c = pulled["counts"]
    print(f"pull_annotations={c['annotations']} pull_quarantined={c['quarantined']} pull_tasks={c['tasks']}")
    # CPU seconds as well: wall time on a shared machine swings with the load
    print(f"pull_seconds={pulled['pull_seconds']:.2f} pull_cpu_seconds={pulled['pull_cpu_seconds']:.2f} "
          "(target ≤ 30)")
    print(f"agreement_seconds={pulled['agreement_seconds']:.2f} "
          f"agreement_cpu_seconds={pulled['agreement_cpu_seconds']:.2f} (target ≤ 5; α event_type "
          f"{pulled['alpha_event_type']:.3f} on {pulled['items_pairable']:,} items)")
    print(f"pull_peak_rss_mb={pulled['peak_rss_mb']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
