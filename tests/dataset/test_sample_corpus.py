"""The bundled sample corpus: files present and readable, labels valid, all event types covered."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conflictset.dataset.ingest.front_matter import split_front_matter
from conflictset.schemas.taxonomy import EVENT_TYPES, is_valid_pair

CORPUS = Path(__file__).resolve().parents[2] / "dataset" / "sample_corpus"
LABELS = CORPUS.with_name("sample_labels")
JSONL_FIELDS = {"id", "title", "text", "url", "published_at", "source", "language"}
LABEL_FIELDS = {"file", "match", "event_type", "sub_event_type", "fatalities"}


def article_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


def jsonl_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def expected() -> list[dict]:
    return jsonl_records(LABELS / "expected.jsonl")


def searchable_text(path: Path) -> str:
    """The text a `match` must occur in: the record texts for JSONL, the file itself otherwise."""
    if path.suffix == ".jsonl":
        return "\n\n".join(r["text"] for r in jsonl_records(path))
    return path.read_text(encoding="utf-8")


def test_expected_files_present():
    names = {p.name for p in article_files()}
    assert "nl_raqqa_2016.txt" in names
    assert {"README.md", "expected.jsonl"} <= {p.name for p in LABELS.iterdir()}
    suffixes = [p.suffix for p in article_files()]
    assert suffixes.count(".txt") >= 13  # the seed plus at least 12 written articles
    assert suffixes.count(".html") == 1
    assert suffixes.count(".jsonl") == 1
    assert {p.name.split("_")[0] for p in article_files() if p.suffix == ".txt"} == {"en", "nl", "fr"}


def test_seed_is_an_exact_copy_under_its_front_matter(seed_txt):
    meta, text = split_front_matter((CORPUS / "nl_raqqa_2016.txt").read_text(encoding="utf-8"))
    assert text == seed_txt.read_text(encoding="utf-8")
    assert meta["published_at"] == "2016-05-25"


# the publication dates agreed with the events work (relative dates in the texts resolve against them)
PUBLISHED = {
    "en_aleppo_clashes.txt": "2016-04-05", "en_bamako_arrests.txt": "2024-06-21",
    "en_kabul_suicide_bomb.txt": "2022-04-23", "en_khartoum_protest.txt": "2022-06-30",
    "en_maiduguri_ied.txt": "2019-02-13", "en_marawi_recaptured.txt": "2017-10-17",
    "en_mosul_airstrike.txt": "2017-03-18", "en_tripoli_ceasefire.txt": "2022-09-05",
    "fr_paris_marseille_manifestations.txt": "2023-03-24", "nl_den_haag_demonstratie.txt": "2024-01-22",
    "nl_gaza_luchtaanval.txt": "2024-08-08", "nl_goma_ontvoering.txt": "2023-01-18",
    "nl_kharkiv_beschieting.txt": "2024-05-25", "nl_raqqa_2016.txt": "2016-05-25",
    "nl_rotterdam_rellen.txt": "2021-01-26",
}


def test_every_txt_article_carries_its_date_source_and_url():
    txt = {p.name for p in article_files() if p.suffix == ".txt"}
    assert txt == set(PUBLISHED)
    for name in sorted(txt):
        meta, _ = split_front_matter((CORPUS / name).read_text(encoding="utf-8"))
        assert meta["published_at"] == PUBLISHED[name], name
        assert meta["source"] and meta["url"].startswith("https://example.org/"), name


@pytest.mark.parametrize("path", article_files() + [LABELS / "README.md", LABELS / "expected.jsonl"],
                         ids=lambda p: p.name)
def test_valid_utf8_without_nul(path: Path):
    raw = path.read_bytes()
    raw.decode("utf-8")  # raises on invalid UTF-8
    assert b"\x00" not in raw
    assert raw.strip(), f"{path.name} is empty"


@pytest.mark.parametrize("path", [p for p in article_files() if p.suffix == ".txt"], ids=lambda p: p.name)
def test_txt_articles_have_headline_and_body(path: Path):
    _, text = split_front_matter(path.read_text(encoding="utf-8"))
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines[0]) < 120, "first non-empty line is the headline"
    assert len(lines) >= 5


def test_jsonl_records_have_documented_fields():
    records = jsonl_records(CORPUS / "wire_mixed.jsonl")
    assert 3 <= len(records) <= 5
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        assert set(record) == JSONL_FIELDS
        assert all(isinstance(record[k], str) and record[k].strip() for k in JSONL_FIELDS)
        date.fromisoformat(record["published_at"])
    assert {r["language"] for r in records} == {"en", "nl", "fr"}


def test_html_page_carries_debris_around_the_article():
    html = (CORPUS / "en_idlib_market_shelling.html").read_text(encoding="utf-8").lower()
    for marker in ("<nav", "cookie", "share", "newsletter", "<footer", "related articles", "<article"):
        assert marker in html, marker


def test_expected_rows_are_well_formed(expected):
    assert len(expected) >= 60
    for row in expected:
        assert set(row) == LABEL_FIELDS, row
        assert (CORPUS / row["file"]).is_file(), row["file"]
        assert is_valid_pair(row["event_type"], row["sub_event_type"]), row
        if row["event_type"] is None:
            assert row["fatalities"] is None, row
        else:
            assert isinstance(row["fatalities"], int) and row["fatalities"] >= 0, row


def test_every_match_occurs_in_its_file(expected):
    texts = {p.name: searchable_text(p) for p in article_files()}
    for row in expected:
        assert texts[row["file"]].count(row["match"]) >= 1, row
        assert "\n" not in row["match"], "a match stays inside one sentence"
    assert len({(r["file"], r["match"]) for r in expected}) == len(expected), "duplicate labels"


def test_every_article_file_is_labelled(expected):
    assert {r["file"] for r in expected} == {p.name for p in article_files()}


def test_all_event_types_and_no_event_sentences_covered(expected):
    assert {r["event_type"] for r in expected} == set(EVENT_TYPES) | {None}
    assert len({r["sub_event_type"] for r in expected if r["sub_event_type"]}) >= 18
    fatal = [r["fatalities"] for r in expected if r["fatalities"]]
    assert len(fatal) >= 10 and len(set(fatal)) >= 8
