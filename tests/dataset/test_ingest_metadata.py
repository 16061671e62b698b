"""Ingest metadata: .txt header lines and YAML front matter, --field mapping for every table
format, publication dates in every shape (bad ones kept raw), datelines."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conflictset.dataset.ingest import FieldMap, IngestOptions, discover, ingest
from conflictset.dataset.ingest.dates import parse_dates
from conflictset.dataset.ingest.front_matter import split_front_matter
from conflictset.schemas.errors import InputError

BODY = "Rebels attacked an army post near Gao on Sunday, killing four soldiers, officials said."


def run(*paths, options: IngestOptions | None = None) -> list[dict]:
    sources, _ = discover(list(paths))
    return ingest(sources, options).to_dicts()


# ---------------------------------------------------------------------------- .txt metadata

def test_txt_header_lines_give_the_metadata_and_the_text_follows(tmp_path):
    (tmp_path / "a.txt").write_text(
        f"Title: Attack near Gao\nDate: 2024-06-21\nURL: https://example.org/gao\nSource: Example Wire\n"
        f"Language: EN\n\nAttack near Gao\n\n{BODY}\n", encoding="utf-8")
    [row] = run(tmp_path / "a.txt")
    assert (row["title"], row["published_at"], row["url"], row["source"], row["language"]) == (
        "Attack near Gao", dt.date(2024, 6, 21), "https://example.org/gao", "Example Wire", "en")
    assert row["text"] == f"Attack near Gao\n\n{BODY}\n"


def test_yaml_front_matter_gives_the_metadata_as_strings(tmp_path):
    (tmp_path / "a.txt").write_text(f"---\ndate: 2016-05-25\nsource: \"Midden-Oosten: Nieuws\"\nid: 0042\n---\n"
                                    f"Kop van het artikel\n\n{BODY}\n", encoding="utf-8")
    [row] = run(tmp_path / "a.txt")
    assert (row["article_id"], row["published_at"], row["source"]) == ("0042", dt.date(2016, 5, 25),
                                                                       "Midden-Oosten: Nieuws")
    assert row["title"] == "Kop van het artikel" and row["text"].startswith("Kop van het artikel\n\n")


@pytest.mark.parametrize("text", [
    "Date: in the first paragraph is prose here\nand goes on.\n\nBody.",   # not all lines are Key: value
    "Gunmen: a report\n\nBody.",                                            # unknown key
    "Title: only a header, nothing after it",                               # no blank line, no article
    "---\nnot: closed\nBody text.",                                         # YAML never closed
])
def test_text_that_only_looks_like_metadata_is_left_alone(text):
    assert split_front_matter(text) == ({}, text)


# ---------------------------------------------------------------------------- --field

RECORDS = [
    {"article_id": "k1", "headline": "Clashes in Kivu", "body": BODY, "date": "2023-06-02"},
    {"article_id": "k2", "headline": "Protest in Dakar", "body": "Police fired tear gas in Dakar.",
     "date": "Fri, 02 Jun 2023 10:00:00 +0000"},
]
MAPPING = FieldMap.parse(["text=body", "published_at=date", "id=article_id", "title=headline"])


def write(tmp_path, fmt: str):
    path = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        pl.DataFrame(RECORDS).write_csv(path)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(RECORDS), path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_field_mapping_reads_other_column_names(tmp_path, fmt):
    rows = run(write(tmp_path, fmt), options=IngestOptions(fields=MAPPING))
    assert [(r["article_id"], r["title"], r["published_at"], r["reason"]) for r in rows] == [
        ("k1", "Clashes in Kivu", dt.date(2023, 6, 2), None), ("k2", "Protest in Dakar", dt.date(2023, 6, 2), None)]
    assert rows[0]["text"] == f"Clashes in Kivu\n\n{BODY}"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_without_mapping_the_file_is_quarantined_with_the_fix(tmp_path, fmt):
    options = IngestOptions()
    [row] = run(write(tmp_path, fmt), options=options)
    assert row["reason"] == "missing_text_column"
    assert "--field text=body" in row["message"] and "--field published_at=date" in row["message"]


def test_a_column_that_looks_like_a_field_is_noted(tmp_path):
    path = tmp_path / "in.csv"
    pl.DataFrame({"text": [BODY], "date": ["2023-06-02"]}).write_csv(path)
    options = IngestOptions()
    [row] = run(path, options=options)
    assert row["published_at"] is None
    assert options.notes == [f"{path}: columns that look like article fields were not read — to use them: "
                             "--field published_at=date"]


def test_a_mapped_column_wins_over_one_named_like_the_field(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": "teaser", "full": BODY}) + "\n", encoding="utf-8")
    [row] = run(path, options=IngestOptions(fields=FieldMap.parse(["text=full"])))
    assert row["text"] == BODY


def test_unknown_field_fails_loudly():
    with pytest.raises(InputError, match="unknown field 'body'"):
        FieldMap.parse(["body=text"])


# ---------------------------------------------------------------------------- dates

@pytest.mark.parametrize("value, expected", [
    ("2024-06-26", "2024-06-26"), ("2024-06-26T23:30:00-05:00", "2024-06-26"), ("2024-06-26 10:00", "2024-06-26"),
    ("26/06/2024", "2024-06-26"), ("06/26/2024", "2024-06-26"), ("26.06.2024", "2024-06-26"),
    ("26-06-2024 14:05", "2024-06-26"), ("1719396000", "2024-06-26"), ("1719396000000", "2024-06-26"),
    ("Wed, 26 Jun 2024 10:00:00 +0000", "2024-06-26"), ("June 26, 2024", "2024-06-26"),
    ("26 juin 2024", "2024-06-26"), ("26. Juni 2024", "2024-06-26"), ("26 juni 2024", "2024-06-26"),
    ("26 de junio de 2024", "2024-06-26"), ("26 يونيو 2024", "2024-06-26"), ("05/05/2024", "2024-05-05"),
])
def test_every_date_shape(value, expected):
    parsed = parse_dates(pl.Series([value]))
    assert parsed.dates.cast(pl.String).to_list() == [expected]
    assert not parsed.bad[0] and not parsed.ambiguous[0]


def test_ambiguous_and_bad_dates_are_left_empty_and_flagged():
    parsed = parse_dates(pl.Series(["03/04/2024", "next Tuesday", "0001-01-01", None, ""]))
    assert parsed.dates.null_count() == 5
    assert parsed.ambiguous.to_list() == [True, False, False, False, False]
    assert parsed.bad.to_list() == [False, True, True, False, False]
    assert parse_dates(pl.Series(["03/04/2024"]), dayfirst=True).dates.to_list() == [dt.date(2024, 4, 3)]
    assert parse_dates(pl.Series(["03/04/2024"]), dayfirst=False).dates.to_list() == [dt.date(2024, 3, 4)]


def test_the_file_settles_the_order_of_its_own_ambiguous_dates():
    parsed = parse_dates(pl.Series(["03/04/2024", "26/06/2024", "03/04/2024", "04/30/2024"]),
                         pl.Series(["a", "a", "b", "b"]))
    assert parsed.dates.to_list() == [dt.date(2024, 4, 3), dt.date(2024, 6, 26), dt.date(2024, 3, 4),
                                      dt.date(2024, 4, 30)]


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)), st.booleans())
def test_dates_round_trip_through_every_numeric_shape(day, dayfirst):
    shapes = [day.isoformat(), day.strftime("%d/%m/%Y" if dayfirst else "%m/%d/%Y"), day.strftime("%d.%m.%Y"
              if dayfirst else "%m.%d.%Y")]
    parsed = parse_dates(pl.Series(shapes), dayfirst=dayfirst)
    assert parsed.dates.to_list() == [day] * 3


def test_a_bad_date_keeps_the_article_and_its_raw_value(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "x", "text": BODY, "published_at": "yesterday-ish"}) + "\n", encoding="utf-8")
    options = IngestOptions()
    [row] = run(path, options=options)
    assert (row["reason"], row["published_at"], row["published_at_raw"]) == (None, None, "yesterday-ish")
    assert options.dates["bad"] == 1


# ---------------------------------------------------------------------------- datelines

@pytest.mark.parametrize("first, place, date", [
    ("NAIROBI, June 25 (Reuters) - Kenyan police fired tear gas.", "Nairobi", None),
    ("PARIS (AFP) – Des milliers de personnes ont manifesté.", "Paris", None),
    ("KABUL (dpa) - Bei einem Anschlag wurden 16 Menschen getötet.", "Kabul", None),
    ("Goma, 12 February 2024 - Heavy fighting displaced thousands.", "Goma", dt.date(2024, 2, 12)),
    ("Bogotá, 20 may (EFE).-\n\nDos policías murieron.", "Bogotá", None),
    ("Mr Smith (left) - talks to reporters on Monday.", None, None),
    ("The army said it had retaken the town.", None, None),
])
def test_dateline_gives_place_and_a_dated_one_the_date(tmp_path, first, place, date):
    (tmp_path / "a.txt").write_text(f"Headline of the story\n\n{first}\n", encoding="utf-8")
    options = IngestOptions()
    [row] = run(tmp_path / "a.txt", options=options)
    assert (row["dateline_place"], row["published_at"]) == (place, date)
    assert options.dates["from_dateline"] == (date is not None)


def test_a_given_date_wins_over_the_dateline(tmp_path):
    (tmp_path / "a.txt").write_text("Date: 2024-02-13\n\nHeadline\n\nGoma, 12 February 2024 - Fighting.\n",
                                    encoding="utf-8")
    [row] = run(tmp_path / "a.txt")
    assert (row["published_at"], row["dateline_place"]) == (dt.date(2024, 2, 13), "Goma")
