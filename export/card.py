"""The dataset card (``README.md``) with Hugging Face YAML front matter.

Everything in it is computed from the release tables and figures, with no date or time, so
the same inputs give the same card byte for byte.
"""

from __future__ import annotations

import polars as pl

from conflictset.schemas import taxonomy as tx

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))


def size_category(n: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if n < limit), "10M<n<100M")


def _fmt(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def front_matter(version: str, license: str, languages: list[str], n_sentences: int) -> str:
    lines = ["---", f"license: {license}", "language:"]
    lines += [f"- {code}" for code in languages] or ["- und"]
    lines += [
        f"pretty_name: conflictset {version}",
        "task_categories:", "- text-classification", "- token-classification",
        "size_categories:", f"- {size_category(n_sentences)}",
        "tags:", "- conflict-events", "- acled", "- event-extraction", "- news",
        "configs:",
    ]
    for name in ("events", "sentences", "annotations"):
        lines += [f"- config_name: {name}", "  data_files:", "  - split: train",
                  f"    path: data/{name}.parquet"]
        if name == "events":
            lines.append("  default: true")
    return "\n".join(lines + ["---", ""])


def _table(frame: pl.DataFrame, columns: list[str]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.select(columns).iter_rows():
        out.append("| " + " | ".join(_fmt(v) if isinstance(v, float) else ("" if v is None else str(v))
                                     for v in row) + " |")
    return out


def render(*, version: str, license: str, tables, agreement, acceptance, counts: dict, files: dict) -> str:
    sentences = tables.sentences
    languages = sorted(sentences["language"].drop_nulls().unique().to_list())
    sources = (sentences.group_by("source").agg(pl.col("article_id").n_unique().alias("articles"),
                                                pl.len().alias("sentences"))
               .with_columns(pl.col("source").fill_null("(unknown)")).sort("source"))
    lv = agreement.levels
    by_source = {k.removeprefix("label_source_"): v for k, v in counts.items() if k.startswith("label_source_")}
    accept_all = acceptance.per_category.filter(pl.col("category") == "(all)")
    accept_cat = acceptance.per_category.filter(
        (pl.col("category") != "(all)") & (pl.col("level") == "event_type"))
    label_dist = (tables.events.group_by("event_type").len().sort("event_type")
                  .rename({"len": "events"}))
    n_articles = sentences["article_id"].n_unique()

    body = [
        f"# conflictset {version}",
        "",
        "Sentences from news articles labelled with ACLED-style conflict event types "
        f"({len(tx.EVENT_TYPES)} event types, {len(tx.SUB_EVENT_TYPES)} sub-event types, or no event), "
        "produced by rule-based pre-labelling and human review in Label Studio.",
        "",
        "## Files",
        "",
        "| file | rows | sha256 |", "|---|---|---|",
        *[f"| `{name}` | {meta['rows']} | `{meta['sha256'][:16]}…` |" for name, meta in files.items()
          if "rows" in meta],
        "",
        "- `data/events.parquet`: one ACLED-style event per sentence with a final event label "
        "(`notes` is the sentence).",
        "- `data/sentences.parquet`: every sentence with its final label (null: no event or unresolved), "
        "its provenance (`label_source`, `n_annotators`, `agreement`) and the pre-label it started from.",
        "- `data/annotations.parquet`: every review annotation, with pseudonymous annotators.",
        "- `manifest.json` (checksums, counts, figures), `croissant.json` (MLCommons Croissant), "
        "`report.html` (plots).",
        "",
        "## Sources",
        "",
        f"{counts['sentences']} sentences from {n_articles} articles in {', '.join(languages) or 'unknown'}.",
        "",
        *_table(sources, ["source", "articles", "sentences"]),
        "",
        "Sentence text is quoted from the articles and remains under the terms of its publishers; the "
        f"labels are released under `{license}`.",
        "",
        "## Annotation process",
        "",
        "1. Articles were cleaned of page debris and split into sentences.",
        "2. A rule-based pre-labeller proposed an event type, sub-event type and spans (actors, location, "
        "fatalities, date) for each sentence (`prelabel_version` names the rules).",
        "3. Reviewers corrected the proposals in Label Studio (a taxonomy control over the ACLED codebook, "
        "span labels, the neighbouring sentences as context).",
        "4. Adjudication: one reviewer → `annotator`; several who agree → `consensus` (`agreement` true); "
        "a disagreement decided by a ground-truth annotation → `adjudicated`; a strict majority → `consensus` "
        "(`agreement` false); anything else stays `unresolved` with no final label. Never-reviewed sentences "
        "keep their pre-label (`prelabel`).",
        "",
        "| label_source | sentences |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in by_source.items()],
        "",
        "Events per event type:",
        "",
        *_table(label_dist, ["event_type", "events"]),
        "",
        "## Annotators",
        "",
        f"{agreement.n_annotators} annotators made {counts['annotations']} annotations (cancelled ones "
        "included in the table, excluded from every figure). Annotators appear only under pseudonyms; no "
        "demographic information was collected.",
        "",
        f"Set aside, not lost: {counts.get('annotation_quarantine_rows', 0)} Label Studio results that could "
        f"not be parsed and {counts.get('quarantine_rows', 0)} input records the build rejected (both with "
        f"reason codes in the build directory); {counts['orphan_annotations']} annotations refer to sentences "
        "not in this build.",
        "",
        "## Agreement",
        "",
        f"Computed on {agreement.items_pairable} sentences with at least two annotators "
        f"({agreement.items_excluded} single-annotator sentences excluded).",
        "",
        "| level | Krippendorff's α (nominal) | observed agreement | expected agreement |", "|---|---|---|---|",
        *[f"| {name} | {_fmt(v.alpha)} | {_fmt(v.observed)} | {_fmt(v.expected)} |" for name, v in lv.items()],
        f"| hierarchy-aware (partial credit 0.5 for the same event type) | {_fmt(agreement.hierarchy.alpha)} | "
        f"{_fmt(agreement.hierarchy.observed)} | {_fmt(agreement.hierarchy.expected)} |",
        "",
        "Per category (one-vs-rest α):",
        "",
        *_table(agreement.per_category, ["level", "category", "alpha", "n_items"]),
        "",
        "## Pre-label acceptance",
        "",
        f"Over {acceptance.n_reviewed} reviewed sentences ({acceptance.n_unresolved} unresolved left out): the "
        "share where the final label kept the pre-label, and the median review time (Label Studio "
        "`lead_time`, seconds) of annotations that kept vs corrected it.",
        "",
        *_table(accept_all, ["prelabel_version", "level", "n_reviewed", "acceptance",
                             "median_lead_time_accepted", "median_lead_time_corrected"]),
        "",
        "Per pre-label category (event type level):",
        "",
        *_table(accept_cat, ["prelabel_version", "category", "n_reviewed", "acceptance", "precision", "recall"]),
        "",
        "## Limitations and bias",
        "",
        "- Coverage follows the sources collected: their languages, regions and editorial choices decide which "
        "events appear at all; counts are not estimates of violence on the ground.",
        "- Sentences never reviewed carry the rule pre-label (`label_source = prelabel`); filter on "
        "`label_source` when you need human labels only.",
        "- Inter codes, countries and dates of events come from the rule extraction; reviewers correct "
        "actor, location and fatality spans, and an actor a reviewer changed has no inter code. Dates "
        "missing in the extraction fall back to the publication date (`time_precision` 2).",
        "- One event per sentence: sentences reporting several events keep the codebook's first "
        "sub-event type.",
        "- Agreement figures with few doubly-annotated sentences are unstable; see `n_items`.",
        "",
        "## Privacy",
        "",
        "Sentences name people and places as the news reported them, including victims, detainees and "
        "alleged perpetrators. Use the data for research on events, not to profile individuals; honour "
        "removal requests. Annotators are pseudonymised and e-mail-like identifiers are removed before "
        "publication; annotation timestamps are not published.",
        "",
    ]
    return front_matter(version, license, languages, counts["sentences"]) + "\n".join(body)
