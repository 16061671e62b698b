"""Benchmark ``build`` against the I/O floor, in one run.

    python bench/build.py [--sentences N] [--batch-size B] [--no-prelabel] [--keep DIR]

Synthesises a JSONL corpus of about N sentences from the bundled sample corpus (ids, numbers
and dates varied so articles differ), then times, each in a fresh subprocess:

- ``build()`` with pre-labelling on (unless ``--no-prelabel``), once;
- the I/O floor: polars reading the same JSONL and writing the same rows the build wrote
  (its four tables — articles, segments, sentences, quarantine — loaded before the clock
  starts) to Parquet with the build's writer settings. This is the cost of the reading and
  writing alone, so ``ratio`` is what the processing adds on top of unavoidable I/O;
- the narrow floor of earlier versions: the same read, then one row per sentence with a single
  sentence-sized string column — a much smaller write than the build's (no metadata, context,
  segment or pre-label columns). Printed as ``ratio_narrow`` for comparison.

Each floor is the best of three runs (the machine is shared: a slow floor run would make the
ratio look better than it is); the build runs once, so the ratio errs on the high side.

Prints ``ratio=<build/floor>``, ``ratio_narrow=``, ``peak_rss_mb=`` (the build process plus
its largest worker process, if any) and sentences/s. Targets: ratio ≤ 3, peak RSS ≤ 2 GB and
flat in N.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from conflictset.dataset.build import build

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "dataset" / "sample_corpus"
SEED = REPO.parent / "shared" / "fixtures" / "nl_raqqa_2016.txt"
RECORDS_PER_FILE = 20_000

FALLBACK_ARTICLES = [  # used only when the sample corpus is missing
    "Clashes near the border leave 4 dead\n\nFighting broke out on Monday between the army and rebels "
    "near the border, officials said. At least 4 fighters were killed.\n\nThe army said it had "
    "regained control of the area by the evening.",
    "Betoging in de hoofdstad\n\nDuizenden mensen gingen zaterdag de straat op in de hoofdstad. "
    "De betoging verliep rustig.\n\nDe politie hield 12 mensen aan.",
]


def _templates() -> list[tuple[str, str | None]]:
    """(text, language) of each sample article (txt and JSONL records)."""
    out: list[tuple[str, str | None]] = []
    if SAMPLE.is_dir():
        for path in sorted(SAMPLE.glob("*.txt")):
            lang = path.name.split("_", 1)[0] if path.name[:3] in ("en_", "nl_", "fr_") else None
            out.append((path.read_text(encoding="utf-8"), lang))
        for path in sorted(SAMPLE.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    if rec.get("text"):
                        text = rec["text"] if not rec.get("title") else f"{rec['title']}\n\n{rec['text']}"
                        out.append((text, rec.get("language")))
    if not out and SEED.exists():
        out.append((SEED.read_text(encoding="utf-8"), "nl"))
    return out or [(t, None) for t in FALLBACK_ARTICLES]


def _sentences_per(templates: list[tuple[str, str | None]], directory: Path) -> list[int]:
    """Sentences each template yields, measured by building the templates once."""
    src = directory / "templates.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i, (text, lang) in enumerate(templates):
            fh.write(json.dumps({"id": f"t{i:04d}", "text": text, "language": lang}, ensure_ascii=False) + "\n")
    build([src], directory / "templates-out", prelabel=False, progress=False)
    counts = dict(pl.read_parquet(directory / "templates-out" / "sentences.parquet")
                  .group_by("article_id").len().iter_rows())
    return [max(1, counts.get(f"t{i:04d}", 0)) for i in range(len(templates))]


def synthesise(n_sentences: int, directory: Path, seed: int = 7, glue: int = 1) -> tuple[list[Path], int]:
    """Write JSONL files with about ``n_sentences`` sentences; returns (files, records).
    ``glue`` > 1 makes news-length articles: that many sample articles of one language, as
    paragraphs of one record (memory must follow text, not record counts)."""
    rng = random.Random(seed)
    templates = _templates()
    per = _sentences_per(templates, directory.parent)
    number = re.compile(r"\d+")
    files: list[Path] = []
    total = records = 0
    fh = None
    while total < n_sentences:
        if records % RECORDS_PER_FILE == 0:
            if fh:
                fh.close()
            files.append(directory / f"corpus-{len(files):04d}.jsonl")
            fh = files[-1].open("w", encoding="utf-8")
        k = rng.randrange(len(templates))
        text, lang = templates[k]
        count = per[k]
        if glue > 1:
            same = [i for i, (_, other) in enumerate(templates) if other == lang]
            extra = [rng.choice(same) for _ in range(glue - 1)]
            text = "\n\n".join([text, *(templates[i][0] for i in extra)])
            count += sum(per[i] for i in extra)
        text = number.sub(lambda m: str(rng.randint(1, 99) if len(m.group()) < 3 else rng.randint(1990, 2030)), text)
        day = f"20{rng.randint(10, 24):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        fh.write(json.dumps({"id": f"bench-{records:08d}", "text": text, "url": f"https://example.org/a/{records}",
                             "published_at": day, "source": "Bench Wire", "language": lang},
                            ensure_ascii=False) + "\n")
        records += 1
        total += count
    if fh:
        fh.close()
    return files, records


_NARROW_FLOOR = r"""
import json, resource, sys, time
import polars as pl
from conflictset.dataset.io import PARQUET_OPTIONS, ROW_GROUP_SIZE
files, rows, out = json.loads(sys.argv[1])
runs = []
for _ in range(3):
    t = time.perf_counter()
    df = pl.read_ndjson(files)
    # the same number of rows as the build's sentences, with sentence-sized strings
    pieces = df.select("id", pl.col("text").str.split(". ")).explode("text")
    if pieces.height < rows:
        pieces = pl.concat([pieces] * (rows // max(pieces.height, 1) + 1))
    pieces = pieces.head(rows)
    pieces.write_parquet(out, compression=PARQUET_OPTIONS["compression"],
                         compression_level=PARQUET_OPTIONS["compression_level"], row_group_size=ROW_GROUP_SIZE)
    runs.append(time.perf_counter() - t)
print(json.dumps({"seconds": min(runs), "rows": pieces.height,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_FLOOR = r"""
import json, resource, sys, time
from pathlib import Path
import polars as pl
from conflictset.dataset.io import PARQUET_OPTIONS, ROW_GROUP_SIZE
files, built, out = json.loads(sys.argv[1])
# the rows the build wrote, in memory before the clock starts: only their writing is timed
tables = {p.stem: pl.read_parquet(p) for p in sorted(Path(built).glob("*.parquet"))}
Path(out).mkdir(parents=True, exist_ok=True)
runs = []
for _ in range(3):  # the best of three: a slow floor would flatter the ratio
    t = time.perf_counter()
    df = pl.read_ndjson(files)
    for name, frame in tables.items():
        frame.write_parquet(Path(out) / f"{name}.parquet", compression=PARQUET_OPTIONS["compression"],
                            compression_level=PARQUET_OPTIONS["compression_level"], row_group_size=ROW_GROUP_SIZE)
    runs.append(time.perf_counter() - t)
print(json.dumps({"seconds": min(runs), "records": df.height,
                  "rows": {name: frame.height for name, frame in tables.items()},
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_BUILD = r"""
import json, resource, sys, time
from conflictset.dataset.build import build
files, out, prelabel, batch_size = json.loads(sys.argv[1])
t = time.perf_counter()
s = build(files, out, prelabel=prelabel, batch_size=batch_size, progress=False)
print(json.dumps({"seconds": time.perf_counter() - t, "sentences": s.sentences, "articles": s.articles,
                  "quarantined": s.quarantined, "stage_seconds": s.stage_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "cpu_seconds": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
                  + sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])}))
"""


def _child(code: str, arg, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter with ``arg`` (JSON) and return its last line (JSON)."""
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(arg)], capture_output=True, text=True,
                          cwd=REPO, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--batch-size", type=int, default=None, help="articles per batch (default: build's)")
    ap.add_argument("--no-prelabel", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the corpus and outputs in this directory")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="conflictset-bench-") as tmp:
        work = args.keep or Path(tmp)
        (work / "corpus").mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        files, records = synthesise(args.sentences, work / "corpus")
        size = sum(f.stat().st_size for f in files)
        print(f"corpus: {records:,} articles, ~{args.sentences:,} sentences, {len(files)} JSONL files, "
              f"{size / 2**20:.1f} MiB (made in {time.perf_counter() - t:.1f} s)", flush=True)
        paths = [str(f) for f in files]
        built = _child(_BUILD, [paths, str(work / "out"), not args.no_prelabel, args.batch_size])
        floor = _child(_FLOOR, [paths, str(work / "out"), str(work / "floor")])
        narrow = _child(_NARROW_FLOOR, [paths, built["sentences"], str(work / "floor-narrow.parquet")])
    ratio = built["seconds"] / floor["seconds"]
    rows = ", ".join(f"{name} {n:,}" for name, n in floor["rows"].items())
    print(f"floor: read {records:,} records + write the build's rows ({rows}) in {floor['seconds']:.2f} s")
    print(f"narrow floor: read {records:,} records + write {narrow['rows']:,} one-string rows "
          f"in {narrow['seconds']:.2f} s")
    print(f"build: {built['articles']:,} articles, {built['sentences']:,} sentences, "
          f"{built['quarantined']:,} quarantined in {built['seconds']:.2f} s "
          f"(prelabel {'off' if args.no_prelabel else 'on'}, batch {args.batch_size or 'default'})")
    print("build stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in built["stage_seconds"].items()))
    print(f"build_cpu_s={built['cpu_seconds']:.1f} (user+system, all threads; wall {built['seconds']:.1f})")
    print(f"sentences_per_s={built['sentences'] / built['seconds']:,.0f}")
    print(f"ratio={ratio:.2f}")
    print(f"ratio_narrow={built['seconds'] / narrow['seconds']:.2f}")
    print(f"peak_rss_mb={built['peak_rss_mb'] + built['children_peak_rss_mb']:.0f}"
          + (f" (main {built['peak_rss_mb']:.0f} + largest worker {built['children_peak_rss_mb']:.0f})"
             if built['children_peak_rss_mb'] else ""))
    print("loadavg=" + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (other processes slow both timings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
