"""Parquet write/read property (issue 6, item 2).

Any frame of the pre-labelled sentence schema (``PrelabelledSentence``):
strings with emoji, right-to-left scripts, combining marks, astral characters, line breaks and
nulls, ``spans`` lists of structs (empty, null, several) — written by
:func:`dataset.io.write_parquet` reads back identical with polars, pyarrow and duckdb, and
writing the same frame twice gives identical bytes. Offsets stored in ``spans`` still slice
the read-back text exactly.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from conflictset.dataset.io import write_parquet
from conflictset.schemas.dtypes import dtypes
from conflictset.schemas.prelabel import PrelabelledSentence

SCHEMA = dtypes(PrelabelledSentence)

# Characters a scraped news corpus really contains, weighted towards the hard cases.
HARD = ("😢🇸🇾👩‍👩‍👧🏽"  # emoji, flags, ZWJ sequences, skin tones
        "مرحبا بالعالم"  # Arabic (RTL)
        "שלום"  # Hebrew (RTL)
        "\u200f\u200e\u202b\u202c"  # RLM, LRM, RLE, PDF direction marks
        "e\u0301a\u0308n\u0303\u0327"  # combining marks
        "中文日本語한국어"  # CJK
        "ÅØßÇ€«»—…"  # Latin-1 and punctuation
        "\t\n\r\u2028\u00a0\ufeff"  # line breaks, NBSP, a stray BOM
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢")  # astral plane
TEXT = st.text(alphabet=st.one_of(st.sampled_from(HARD),
                                  st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
               max_size=40)
OPT_TEXT = st.none() | TEXT
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
DATES = st.none() | st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
FLOATS = st.none() | st.floats(allow_nan=False, width=64)


@st.composite
def spans(draw, text: str):
    """Spans with offsets into ``text`` (code points), or null, or empty."""
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    out = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        out.append({"label": draw(st.sampled_from(["ACTOR", "LOCATION", "FATALITIES", "DATE"])),
                    "start": start, "end": end, "text": text[start:end]})
    return out


@st.composite
def sentence_rows(draw):
    text = draw(TEXT)
    return {
        "article_id": draw(TEXT), "sentence_id": draw(TEXT), "sentence_index": draw(INT64),
        "text": text, "char_start": draw(st.none() | INT64), "char_end": draw(st.none() | INT64),
        "language": draw(OPT_TEXT), "role": draw(OPT_TEXT), "title": draw(OPT_TEXT),
        "source": draw(OPT_TEXT), "url": draw(OPT_TEXT), "published_at": draw(DATES),
        "prev_text": draw(OPT_TEXT), "next_text": draw(OPT_TEXT),
        "event_type": draw(OPT_TEXT), "sub_event_type": draw(OPT_TEXT), "disorder_type": draw(OPT_TEXT),
        "score": draw(FLOATS), "evidence": draw(st.none() | st.lists(TEXT, max_size=3)),
        "fatalities": draw(st.none() | INT64), "actor1": draw(OPT_TEXT), "inter1": draw(OPT_TEXT),
        "actor2": draw(OPT_TEXT), "inter2": draw(OPT_TEXT), "location": draw(OPT_TEXT),
        "country": draw(OPT_TEXT), "event_date": draw(DATES),
        "time_precision": draw(st.none() | st.integers(-128, 127)),
        "spans": draw(spans(text)), "prelabel_version": draw(OPT_TEXT),
    }


FRAMES = st.lists(sentence_rows(), min_size=0, max_size=8).map(lambda rows: pl.DataFrame(rows, schema=SCHEMA))


def test_the_schema_covers_every_documented_sentence_column():
    assert list(SCHEMA)[:3] == ["article_id", "sentence_id", "sentence_index"]
    assert "spans" in SCHEMA and SCHEMA["time_precision"] == pl.Int8


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(frame=FRAMES)
def test_any_sentence_frame_reads_back_identical_everywhere(tmp_path_factory, frame):
    tmp = tmp_path_factory.mktemp("pq")
    path = write_parquet(frame, tmp / "sentences.parquet")
    assert [p.name for p in tmp.iterdir()] == ["sentences.parquet"]  # no temp file left

    # polars
    assert_frame_equal(pl.read_parquet(path), frame, check_exact=True)
    # pyarrow: same schema and the same Python values row by row
    table = pq.read_table(path)
    assert table.schema.equals(frame.to_arrow().schema)
    assert table.to_pylist() == frame.to_dicts()
    # duckdb: an independent reader
    with duckdb.connect() as con:
        via_duckdb = con.sql("select * from read_parquet('" + str(path).replace("'", "''") + "')").to_arrow_table()
    assert_frame_equal(pl.from_arrow(via_duckdb), frame, check_exact=True)
    assert via_duckdb.to_pylist() == frame.to_dicts()

    # spans still slice the read-back text exactly
    for row in table.to_pylist():
        for span in row["spans"] or []:
            assert row["text"][span["start"]:span["end"]] == span["text"]

    # deterministic bytes: writing the same frame again gives the same file
    again = write_parquet(frame, tmp / "again.parquet")
    assert again.read_bytes() == path.read_bytes()
