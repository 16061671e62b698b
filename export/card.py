"""The dataset card (``README.md``) with Hugging Face YAML front matter.

Everything in it is computed from the release tables, figures and dataset metadata; its one
date is the release date, so the same inputs give the same card byte for byte. Counts read right
for 0, 1 and many (:mod:`conflictset.export.wording`).
"""

from __future__ import annotations

import polars as pl
import yaml

from conflictset import __version__
from conflictset.export import citation, licences
from conflictset.export.metadata import DatasetMetadata
from conflictset.export.text_policy import DESCRIPTIONS
from conflictset.export.wording import count, plural, verb
from conflictset.export.wording import languages as languages_text
from conflictset.schemas import taxonomy as tx

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))


def size_category(n: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if n < limit), "10M<n<100M")


def _fmt(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def front_matter(meta: DatasetMetadata, languages: list[str], n_sentences: int, counts: dict) -> str:
    """Hugging Face card metadata (YAML): licence, languages, task, size and annotation facts."""
    by_source = {k.removeprefix("label_source_"): v for k, v in counts.items() if k.startswith("label_source_")}
    creators = ["machine-generated"] if by_source.get("prelabel") else []
    if any(by_source.get(s) for s in ("annotator", "consensus", "adjudicated")):
        creators.append("expert-generated")
    fields = {
        **licences.hugging_face(meta.license),
        "language": languages or ["und"],
        "multilinguality": ["multilingual" if len(languages) > 1 else "monolingual"],
        "pretty_name": meta.title,
        "task_categories": ["text-classification", "token-classification"],
        "size_categories": [size_category(n_sentences)],
        "annotations_creators": creators or ["no-annotation"],
        "language_creators": ["found"],
        "source_datasets": ["original"],
        "tags": ["conflict-events", "acled", "event-extraction", "news"],
        "configs": [{"config_name": name, "data_files": [{"split": "train", "path": f"data/{name}.parquet"}],
                     **({"default": True} if name == "events" else {})}
                    for name in ("events", "sentences", "annotations")],
    }
    return "---\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def _author_line(a) -> str:
    parts = [a.display]
    if a.affiliation:
        parts.append(f"({a.affiliation})")
    if a.orcid:
        parts.append(f"[ORCID]({a.orcid})")
    return " ".join(parts)


def about(meta: DatasetMetadata, version: str, released: str) -> list[str]:
    """Who made which version, under which licence, with what software."""
    rows = [("version", f"{version}, released {released}"),
            (plural("author", len(meta.authors)), "; ".join(_author_line(a) for a in meta.authors)),
            ("licence", f"[{meta.license}]({licences.spdx_url(meta.license)}) (labels, annotations and tables; "
                        "article text: see Sources)")]
    if meta.homepage:
        rows.append(("homepage", meta.homepage))
    if meta.doi:
        rows.append(("DOI", f"[{meta.doi}](https://doi.org/{meta.doi})"))
    if meta.funding:
        rows.append(("funding", "; ".join(f.funder + (f" (award {f.award})" if f.award else "") for f in meta.funding)))
    rows.append(("produced with", f"conflictset {__version__} (software)"))
    return ["| | |", "|---|---|", *[f"| {k} | {v.replace('|', chr(92) + '|')} |" for k, v in rows]]


def citing(meta: DatasetMetadata, version: str, released: str) -> list[str]:
    """The Citation section: a reference, the BibTeX entries and CITATION.cff."""
    out = ["## Citation", ""]
    if meta.citation:
        out += ["Please cite the publication that describes the dataset:", "", "```bibtex",
                citation.override_bibtex(meta.citation), "```", "", "and this version of the dataset:", ""]
    else:
        out += ["Please cite this version of the dataset:", ""]
    out += [f"> {citation.reference(meta, version, released)}", "", "```bibtex",
            citation.dataset_bibtex(meta, version, released), "```", "",
            "`CITATION.cff` holds the same in the Citation File Format (GitHub, Zenodo and reference managers "
            "read it).", ""]
    return out


def provenance(meta: DatasetMetadata, text_policy: str) -> list[str]:
    return [
        "Every sentence and event keeps where it comes from: the outlet (`source`), the article's address "
        "(`url`), its publication date (`published_at`), and the sentence's position in the article's "
        "cleaned text (`article_id`, `char_start`, `char_end`).",
        "",
        f"The article texts belong to their publishers. `{meta.license}` covers the labels, annotations and "
        "tables of this release, not the quoted text: redistribution of article text may be restricted by "
        "its publishers, so check their terms before you republish it.",
        "",
        f"Text policy of this release: `{text_policy}`: {DESCRIPTIONS[text_policy]}.",
    ]


def _table(frame: pl.DataFrame, columns: list[str]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.select(columns).iter_rows():
        out.append("| " + " | ".join(_fmt(v) if isinstance(v, float) else ("" if v is None else str(v))
                                     for v in row) + " |")
    return out


def render(*, version: str, license: str, tables, agreement, acceptance, counts: dict, files: dict,
           meta: DatasetMetadata, released: str, text_policy: str) -> str:
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
        f"# {meta.title}",
        "",
        *([meta.description, ""] if meta.description else []),
        *about(meta, version, released),
        "",
        "Sentences from news articles labelled with ACLED-style conflict event types "
        f"({len(tx.EVENT_TYPES)} event types, {len(tx.SUB_EVENT_TYPES)} sub-event types, or no event), "
        "produced by rule-based pre-labelling and human review in Label Studio.",
        "",
        "## Files",
        "",
        "| file | rows | sha256 |", "|---|---|---|",
        *[f"| `{name}` | {entry['rows']} | `{entry['sha256'][:16]}…` |" for name, entry in files.items()
          if "rows" in entry],
        "",
        "- `data/events.parquet`: one ACLED-style event per sentence with a final event label "
        "(`notes` is the sentence).",
        "- `data/sentences.parquet`: every sentence with its final label (null: no event or unresolved), "
        "its provenance (`label_source`, `n_annotators`, `agreement`) and the pre-label it started from.",
        "- `data/annotations.parquet`: every review annotation, with pseudonymous annotators.",
        "- `manifest.json` (checksums, counts, figures), `croissant.json` (MLCommons Croissant), "
        "`report.html` (plots), `CITATION.cff` (how to cite), `CHANGELOG.md` (what changed in each version).",
        "",
        "## Sources",
        "",
        f"{count(counts['sentences'], 'sentence')} from {count(n_articles, 'article')} in "
        f"{languages_text(languages)}.",
        "",
        *_table(sources, ["source", "articles", "sentences"]),
        "",
        *provenance(meta, text_policy),
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
        f"{count(counts['events'], 'event')} per event type:" if counts["events"] else
        "No events: no sentence has a final event label.",
        "",
        *_table(label_dist, ["event_type", "events"]),
        "",
        "## Annotators",
        "",
        annotators_line(agreement.n_annotators, counts["annotations"]),
        "",
        f"Set aside, not lost: {count(counts.get('annotation_quarantine_rows', 0), 'Label Studio result')} that "
        f"could not be parsed and {count(counts.get('quarantine_rows', 0), 'input record')} the build rejected "
        f"(both with reason codes in the build directory); {count(counts['orphan_annotations'], 'annotation')} "
        f"{verb(counts['orphan_annotations'], 'refers', 'refer')} to sentences not in this build.",
        "",
        "## Agreement",
        "",
        f"Computed on {count(agreement.items_pairable, 'sentence')} with at least two annotators "
        f"({count(agreement.items_excluded, 'single-annotator sentence')} excluded).",
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
        f"Over {count(acceptance.n_reviewed, 'reviewed sentence')} ({acceptance.n_unresolved} unresolved left "
        "out): the share where the final label kept the pre-label, and the median review time (Label Studio "
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
        *citing(meta, version, released),
    ]
    return front_matter(meta, languages, counts["sentences"], counts) + "\n".join(body)


def annotators_line(n_annotators: int, n_annotations: int) -> str:
    if n_annotations == 0:
        return ("Nobody has reviewed these sentences yet: there are no annotations, and every label is the "
                "rule pre-label.")
    return (f"{count(n_annotators, 'annotator')} made {count(n_annotations, 'annotation')} (cancelled ones "
            "included in the table, excluded from every figure). Annotators appear only under pseudonyms; no "
            "demographic information was collected.")
