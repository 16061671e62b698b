"""The least ``ratio`` any build can reach with the parts the issues prescribe, measured in one run.

    python bench/lower_bound.py [--sentences N] [--no-prelabel] [--keep DIR]

``bench/build.py`` compares the build with the I/O floor. This script asks what the floor
leaves for the work: on the same synthesised corpus it builds once (for the tables and the
build's own ratio), times the I/O floor as ``bench/build.py`` does (best of three, polars'
default threads), then measures the CPU time, on one thread and best of three, of the parts
every build must run whatever the rest of its code looks like:

- ``read_write``: the floor's own work (read the JSONL, write the build's four tables);
- ``sentencex``: the sentence splitter the core-pipeline issue prescribes, over every article's
  cleaned text;
- ``extract_many``: (pre-labelling only) the matching the pre-labelling issue prescribes — the
  padded lower-cased and cased texts and one polars Aho–Corasick pass per language plus the
  case-sensitive pass, with our lexicon and the entity names the spans need;
- ``pandera``: validation of the four tables with their pandera models, whole tables at once
  (the build validates per batch, which costs more).

On ``cores`` cores nothing can finish before ``sum(CPU) / cores``: that is ``lower_bound_s``,
and ``lower_bound_ratio`` is it over the floor. ``budget_left_cpu_s`` is what a ratio of 3
would leave for everything else — cleaning, language detection, ids, context, spans, dates,
fatalities, decisions — against ``build_rest_cpu_s``, which our build spends on them now: the
CPU of a second build on one polars thread (as the parts are measured, so thread-pool overhead
is left out of both) minus the parts. It includes the process's start-up and the pre-labeller's
set-up, at most about 3 CPU-s (a whole build of 3,000 sentences takes that).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = 3.0

_spec = importlib.util.spec_from_file_location("bench_build", HERE / "build.py")
bench_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_build)

_PARTS = r"""
import json, resource, sys, time
from pathlib import Path
import polars as pl
from conflictset.dataset.io import PARQUET_OPTIONS, ROW_GROUP_SIZE
files, built, out, prelabel = json.loads(sys.argv[1])
tables = {p.stem: pl.read_parquet(p) for p in sorted(Path(built).glob("*.parquet"))}
Path(out).mkdir(parents=True, exist_ok=True)

def cpu():
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])

def best(fn, runs=3):  # the least CPU of three: the machine is shared
    spent = []
    for _ in range(runs):
        c = cpu()
        fn()
        spent.append(cpu() - c)
    return min(spent)

def read_write():
    pl.read_ndjson(files)
    for name, frame in tables.items():
        frame.write_parquet(Path(out) / f"{name}.parquet", compression=PARQUET_OPTIONS["compression"],
                            compression_level=PARQUET_OPTIONS["compression_level"], row_group_size=ROW_GROUP_SIZE)

parts = {"read_write": best(read_write)}

import sentencex
articles = tables["articles"]
pairs = list(zip(articles.get_column("language").fill_null("en").to_list(),
                 articles.get_column("clean_text").to_list()))
parts["sentencex"] = best(lambda: [sentencex.segment(lang, text) for lang, text in pairs])

if prelabel:
    from conflictset.dataset.prelabel.matcher import _cased_patterns, _lower_patterns, prepare
    sentences = tables["sentences"].select("text", "language")
    def extract_many():
        frame = prepare(sentences)
        frame.select(pl.col("_pc").str.extract_many(_cased_patterns(), overlapping=True))
        for (lang,), part in frame.partition_by("_lang", as_dict=True).items():
            part.select(pl.col("_pl").str.extract_many(_lower_patterns(lang), overlapping=True))
    extract_many()  # builds the automata once, outside the measurement
    parts["extract_many"] = best(extract_many)

from conflictset.schemas.pipeline import Article, Segment, Sentence
from conflictset.schemas.prelabel import PrelabelledSentence
sentence_model = PrelabelledSentence if prelabel else Sentence
# Article is validated on the ingested text; the cleaned text is as long
ingested = articles.rename({"clean_text": "text"})
def pandera():
    Article.validate(ingested, lazy=True)
    Segment.validate(tables["segments"], lazy=True)
    sentence_model.validate(tables["sentences"], lazy=True)
parts["pandera"] = best(pandera)
print(json.dumps(parts))
"""


ONE_THREAD = {**os.environ, "POLARS_MAX_THREADS": "1"}  # CPU without thread-pool overhead


def _parts(paths: list[str], built: Path, out: Path, prelabel: bool) -> dict[str, float]:
    return bench_build._child(_PARTS, [paths, str(built), str(out), prelabel], env=ONE_THREAD)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--no-prelabel", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the corpus and outputs in this directory")
    args = ap.parse_args(argv)
    prelabel = not args.no_prelabel
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="conflictset-lower-bound-") as tmp:
        work = args.keep or Path(tmp)
        (work / "corpus").mkdir(parents=True, exist_ok=True)
        files, records = bench_build.synthesise(args.sentences, work / "corpus")
        paths = [str(f) for f in files]
        built = bench_build._child(bench_build._BUILD, [paths, str(work / "out"), prelabel, None])
        floor = bench_build._child(bench_build._FLOOR, [paths, str(work / "out"), str(work / "floor")])
        parts = _parts(paths, work / "out", work / "parts", prelabel)
        one_thread = bench_build._child(bench_build._BUILD, [paths, str(work / "out-1"), prelabel, None],
                                        env=ONE_THREAD)

    floor_s = floor["seconds"]
    spent = sum(parts.values())
    lower = spent / cores
    print(f"corpus: {records:,} articles, {built['sentences']:,} sentences "
          f"(pre-labelling {'on' if prelabel else 'off'}), "
          f"{cores} cores")
    print(f"floor: {floor_s:.2f} s (read + write the build's four tables, best of three)")
    print("parts (CPU s, one thread, best of three): " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    print(f"lower_bound_s={lower:.2f} (their CPU / {cores} cores)")
    print(f"lower_bound_ratio={lower / floor_s:.2f} (target {TARGET:g})")
    print(f"budget_left_cpu_s={TARGET * floor_s * cores - spent:.2f} (what ratio {TARGET:g} leaves for all other work)")
    print(f"build: {built['seconds']:.2f} s, ratio={built['seconds'] / floor_s:.2f}, cpu {built['cpu_seconds']:.1f} s")
    print(f"build_rest_cpu_s={one_thread['cpu_seconds'] - spent:.2f} (the CPU of a build on one polars "
          f"thread, {one_thread['cpu_seconds']:.1f} s, beyond the parts)")
    print("loadavg=" + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (other processes slow all timings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
