"""Stage ingest: every input format from small real files, discovery, ids, normalisation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conflictset.dataset.ingest import discover, ingest, iter_ingest
from conflictset.dataset.io import write_parquet
from conflictset.dataset.stages import split_rejects
from conflictset.schemas.errors import InputError
from conflictset.schemas.pipeline import INGESTED_SCHEMA, Article, Quarantine
from conflictset.schemas.validation import validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


def run(*paths) -> pl.DataFrame:
    sources, problems = discover(list(paths))
    assert problems.height == 0, problems
    out = ingest(sources)
    assert out.schema == pl.Schema(INGESTED_SCHEMA)
    good, quarantine = split_rejects(out, "ingest")
    validate(good, Article, table="articles", stage="ingest")
    validate(quarantine, Quarantine, table="quarantine", stage="ingest")
    return out


def good_rows(out: pl.DataFrame) -> list[dict]:
    return out.filter(pl.col("reason").is_null()).to_dicts()


# ---------------------------------------------------------------------------- formats

def test_txt_first_line_is_title_and_stays_the_headline(seed_txt):
    out = run(seed_txt)
    [row] = good_rows(out)
    assert row["title"] == "Wordt Raqqa binnenkort eindelijk bevrijd van IS?"
    assert row["text"].startswith(row["title"] + "\n\n")
    assert row["text"] == seed_txt.read_text(encoding="utf-8")  # already NFC and LF
    assert row["source_row"] == 1 and row["source_file"] == str(seed_txt)
    assert row["article_id"] == "a" + hashlib.sha256(row["text"].encode()).hexdigest()[:16]


def test_html_main_text_title_and_date():
    out = run(FIXTURES / "html_article_with_nav_cookie_footer.html")
    [row] = good_rows(out)
    assert row["title"] == "Gunmen attack police post near Gao"
    assert row["published_at"] == dt.date(2021, 3, 14)
    paragraphs = row["text"].split("\n\n")
    assert paragraphs[0] == "Gunmen attack police post near Gao"
    assert paragraphs[1].startswith("Unidentified gunmen attacked a police post")
    assert "Reinforcements" in paragraphs
    for debris in ("cookie", "Accept all", "Privacy policy", "All rights reserved", "dataLayer"):
        assert debris not in row["text"]


def test_jsonl_fields_title_prepended_and_types(tmp_path):
    path = tmp_path / "wire.ndjson"
    records = [
        {"id": "w1", "title": "Clashes in Tripoli", "text": "Armed groups clashed in Tripoli.",
         "url": "https://example.org/1", "published_at": "2022-08-27T18:00:00+02:00", "source": "Wire",
         "language": "EN"},
        {"id": "w2", "title": "Already first", "text": "Already first\n\nThe title is the first line."},
        {"text": "No id, no title: the first line is the title.\n\nSecond paragraph."},
        {"html": "<html><body><article><h1>Page title</h1><p>Police fired tear gas at protesters in "
                 "Nairobi on Tuesday, witnesses said.</p></article></body></html>", "id": "h1"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    out = run(path)
    rows = good_rows(out)
    assert [r["source_row"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["text"] == "Clashes in Tripoli\n\nArmed groups clashed in Tripoli."
    assert rows[0]["published_at"] == dt.date(2022, 8, 27)
    assert (rows[0]["url"], rows[0]["source"], rows[0]["language"]) == ("https://example.org/1", "Wire", "en")
    assert rows[1]["text"] == "Already first\n\nThe title is the first line."
    assert rows[2]["title"] == "No id, no title: the first line is the title."
    assert rows[2]["article_id"].startswith("a") and len(rows[2]["article_id"]) == 17
    assert rows[3]["title"] == "Page title" and rows[3]["article_id"] == "h1"
    assert "tear gas" in rows[3]["text"]


@pytest.mark.parametrize("neighbour", ['{"id": "a", "text": "Rebels attacked a base."}', None])
def test_jsonl_fractional_id_is_rejected_whatever_its_neighbours(tmp_path, neighbour):
    """Beside a string id, polars' inference would read 1.5 as the id "1.5"; alone it is rejected."""
    path = tmp_path / "ids.jsonl"
    path.write_text("\n".join(filter(None, [neighbour, '{"id": 1.5, "text": "Police fired tear gas."}'])) + "\n")
    out = run(path)
    bad = out.filter(pl.col("reason").is_not_null())
    assert bad.select("source_row", "reason", "field").rows() == [(2 if neighbour else 1, "wrong_field_type", "id")]


def test_jsonl_wrong_field_types_fixture():
    out = run(FIXTURES / "jsonl_wrong_field_types.jsonl")
    got = out.select("source_row", "reason", "field").rows()
    assert got == [
        (1, None, None),
        (2, "wrong_field_type", "text"),
        (3, "wrong_field_type", "title"),
        (4, None, None),  # a date nothing can read rejects nothing: kept raw, published_at empty
        (5, "wrong_field_type", "id"),
        (6, None, None),
        (7, "wrong_field_type", "language"),
    ]
    assert out.filter(pl.col("source_row") == 6)["article_id"][0] == "42"
    assert out.filter(pl.col("source_row") == 4).select("published_at", "published_at_raw").row(0) == (
        None, "next Tuesday")
    bad = out.filter(pl.col("source_row") == 2).row(0, named=True)
    assert bad["raw"] == '{"id": "bad-text", "text": 12345}'
    assert "jsonl_wrong_field_types.jsonl line 2" in bad["message"] and "'text'" in bad["message"]


def test_csv_embedded_newlines_and_quotes_fixture():
    out = run(FIXTURES / "csv_embedded_newlines_quotes.csv")
    rows = out.to_dicts()
    assert [r["source_row"] for r in rows] == [1, 2, 3]
    assert rows[0]["title"] == 'Clashes in "north" Kivu'
    assert rows[0]["text"] == ('Clashes in "north" Kivu\n\nFighting broke out near Goma on Tuesday.\n\n'
                               'The army said it repelled an attack by M23 rebels, a spokesman said: '
                               '"We held the line."')
    assert rows[0]["published_at"] == dt.date(2022, 10, 25)
    assert rows[1]["published_at"] == dt.date(2023, 6, 2) and rows[1]["language"] == "fr"
    assert (rows[2]["reason"], rows[2]["field"]) == ("empty_article", "text")


def test_parquet_with_native_date_and_int_id(tmp_path):
    path = tmp_path / "articles.parquet"
    table = pa.table({
        "id": pa.array([7, 8], pa.int64()),
        "Title": ["Shelling in Kharkiv", None],
        "text": ["Russian forces shelled Kharkiv overnight.", "Rebels attacked a convoy."],
        "published_at": pa.array([dt.date(2022, 3, 1), None], pa.date32()),
        "extra": [1, 2],
    })
    pq.write_table(table, path)
    rows = good_rows(run(path))
    assert [(r["article_id"], r["title"], r["published_at"], r["source_row"]) for r in rows] == [
        ("7", "Shelling in Kharkiv", dt.date(2022, 3, 1), 1),
        ("8", "Rebels attacked a convoy.", None, 2),
    ]


def test_parquet_written_by_us_reads_back_everywhere(tmp_path):
    """The ingested frame survives our writer and reads back identically with pyarrow and duckdb."""
    out = run(FIXTURES / "csv_embedded_newlines_quotes.csv")
    path = write_parquet(out, tmp_path / "ingested.parquet")
    assert pl.read_parquet(path).equals(out)
    assert pq.read_table(path).to_pylist() == out.to_dicts()
    con = duckdb.connect()
    assert con.execute(f"select count(*), count(reason) from read_parquet('{path}')").fetchone() == (3, 1)


# ---------------------------------------------------------------------------- discovery

def test_discover_is_recursive_sorted_and_deterministic(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    for name in ("b/z.txt", "b/a.jsonl", "a/m.HTML", "top.csv", "a/notes.docx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    sources, problems = discover([tmp_path])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in sources["path"]] == [
        "a/m.HTML", "b/a.jsonl", "b/z.txt", "top.csv"]
    assert sources["format"].to_list() == ["html", "jsonl", "txt", "csv"]
    assert problems.select("reason").to_series().to_list() == ["unsupported_format"]
    again, _ = discover([tmp_path, tmp_path / "b" / "z.txt"])  # each file once
    assert again.equals(sources)


def test_discover_missing_path_is_an_input_error(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(InputError) as err:
        discover([missing])
    assert str(missing) in str(err.value) and err.value.exit_code == 2


# ---------------------------------------------------------------------------- normalisation

def test_crlf_nfc_and_bom_are_normalised(tmp_path):
    (tmp_path / "crlf.txt").write_bytes("Titel\r\n\r\nCafe\u0301 in Gaza.\rEen regel.\r\n".encode("utf-8"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfTitel BOM\n\nTekst.")
    (tmp_path / "utf16.txt").write_bytes("Titel UTF-16\n\nTekst é ش.".encode("utf-16"))
    rows = {Path(r["source_file"]).name: r for r in good_rows(run(tmp_path))}
    assert rows["crlf.txt"]["text"] == "Titel\n\nCaf\u00e9 in Gaza.\nEen regel.\n"
    assert rows["bom.txt"]["text"] == "Titel BOM\n\nTekst." and rows["bom.txt"]["title"] == "Titel BOM"
    assert rows["utf16.txt"]["text"] == "Titel UTF-16\n\nTekst é ش."


def test_iter_ingest_batches_equal_ingest(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": f"n{i}", "text": f"Article number {i}."}) + "\n"
                            for i in range(250)), encoding="utf-8")
    (tmp_path / "one.txt").write_text("Single\n\nText.", encoding="utf-8")
    sources, _ = discover([tmp_path])
    batches = list(iter_ingest(sources, batch_size=100))
    assert [b.height for b in batches] == [100, 100, 51]
    assert pl.concat(batches).equals(ingest(sources))


def test_batches_are_capped_by_text_bytes_long_articles(tmp_path):
    # 40 articles of 1,000 bytes with a 4,500-byte cap: batches of 4 (and a 5,000-byte article
    # alone), however many records batch_size allows — memory follows text, not record counts
    lines = [{"id": f"l{i}", "text": ("Word " * 200)[:1000]} for i in range(40)]
    lines.insert(10, {"id": "huge", "text": "x" * 5000})
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    (tmp_path / "z.txt").write_text("Title\n\n" + "y" * 900, encoding="utf-8")
    sources, _ = discover([tmp_path])
    batches = list(iter_ingest(sources, batch_size=10_000, max_bytes=4_500))
    sizes = [int(b["text"].str.len_bytes().sum()) for b in batches]
    assert all(size <= 4_500 or b.height == 1 for size, b in zip(sizes, batches))
    assert any(b.height == 1 and b["article_id"][0] == "huge" for b in batches)
    assert pl.concat(batches).equals(ingest(sources))  # same rows, same order


def test_ids_are_stable_across_runs(tmp_path):
    (tmp_path / "x.txt").write_text("Same title\n\nSame text.", encoding="utf-8")
    first = run(tmp_path)["article_id"].to_list()
    assert run(tmp_path)["article_id"].to_list() == first


# ---------------------------------------------------------------------------- property

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conflictset.dataset.clean import clean  # noqa: E402

_pieces = st.sampled_from(list("abc XYZ.,!?-:/\t\n\r") + ["\u00e9", "e\u0301", "ش", "ق", "ي", "\u200f", "漢",
                                                         "🔥", "👩\u200d👧", "ß", "İ", "\u0301", "ﬁ", "Ω", "\u212b"])
_texts = st.lists(_pieces, min_size=1, max_size=80).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_texts, min_size=1, max_size=5), st.booleans())
def test_ingest_then_clean_offsets_slice_exactly(tmp_path, texts, as_jsonl):
    """Any text, through a real file and ingest, gives NFC/LF text whose segments slice exactly."""
    import unicodedata

    folder = tmp_path / f"p{abs(hash((tuple(texts), as_jsonl)))}"
    folder.mkdir()
    if as_jsonl:
        (folder / "x.jsonl").write_text("".join(json.dumps({"id": f"i{i}", "text": t}) + "\n"
                                                for i, t in enumerate(texts)), encoding="utf-8")
    else:
        for i, t in enumerate(texts):
            (folder / f"{i}.txt").write_bytes(t.encode("utf-8"))
    sources, _ = discover([folder])
    out = ingest(sources)
    good = out.filter(pl.col("reason").is_null())
    assert good.height + out.filter(pl.col("reason").is_not_null()).height == len(texts)
    for text in good["text"]:
        assert "\r" not in text and unicodedata.is_normalized("NFC", text)
    segments = clean(good)
    by_id = dict(zip(good["article_id"], good["text"]))
    for r in segments.iter_rows(named=True):
        assert by_id[r["article_id"]][r["char_start"]:r["char_end"]] == r["text"]


def test_discover_skips_excluded_directories(tmp_path):
    """The build passes its --out: outputs written inside an input folder are never re-read."""
    (tmp_path / "a.txt").write_text("Title\n\nText.", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sentences.parquet").write_bytes(b"PAR1")
    sources, problems = discover([tmp_path], exclude=[out, tmp_path / "not-yet-created"])
    assert [Path(p).name for p in sources["path"]] == ["a.txt"] and problems.height == 0
    named, _ = discover([out / "sentences.parquet"], exclude=[out])  # explicit files are always read
    assert named.height == 1


_ids = st.one_of(st.none(), st.text(max_size=5), st.integers(0, 2**70))
_values = st.one_of(st.none(), st.text(max_size=12))
_records = st.fixed_dictionaries({"id": _ids, "text": _values}, optional={
    "title": _values, "url": _values, "published_at": _values, "language": _values, "extra": st.integers()})


@settings(max_examples=200, deadline=None)
@given(st.lists(_records, min_size=1, max_size=6))
@example([{"id": 1, "text": "a"}, {"id": "x", "text": "b", "extra": 2**127}])  # found by hypothesis
def test_jsonl_fast_path_reads_what_the_precise_path_reads(records):
    """A chunk polars reads (as strings, or with type inference when ids are numbers) gives the
    same rows as the line-by-line path."""
    from conflictset.dataset.ingest.readers import FIELDS, RAW_SCHEMA, _fast_json_chunk, _parse_json_line

    lines = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records]
    numbers = list(range(1, len(lines) + 1))
    slow = pl.DataFrame([_parse_json_line("x.jsonl", n, line) for n, line in zip(numbers, lines)],
                        schema=RAW_SCHEMA)
    fast = _fast_json_chunk("x.jsonl", numbers, b"\n".join(lines))
    if fast is None:  # a number beyond Int64 (an id, or another field) defeats inference: the precise path reads them
        assert any(isinstance(v, int) and not -2**63 <= v < 2**63 for r in records for v in r.values())
        return
    columns = [*FIELDS, "source_file", "source_row", "format"]
    assert fast.select(columns).equals(slow.select(columns))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), _texts), max_size=8))
def test_nfc_normalises_exactly_the_rows_python_would(values):
    """_nfc touches only rows that may change, and gives what unicodedata gives for every row."""
    import unicodedata

    from conflictset.dataset.ingest.records import _nfc

    frame = pl.DataFrame({"text": values}, schema={"text": pl.String})
    expected = [None if v is None else unicodedata.normalize("NFC", v) for v in values]
    assert _nfc(frame, ["text"])["text"].to_list() == expected


_jsonl_lines = st.one_of(
    st.builds(lambda i, t: json.dumps({"id": f"a{i}", "text": t}, ensure_ascii=False),
              st.integers(0, 9), st.text(alphabet="ab é\r", max_size=6)),
    st.sampled_from(["{}", '{"text":"x"}', "", "  ", "\r", '{"id": 1, "text": "x"}\r', ' {"text": "lead"}',
                     "[1]", "{broken", '{"text": null}', '{"text": 5}']),
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_jsonl_lines, max_size=12), bom=st.booleans(), last_newline=st.booleans(),
       batch_size=st.integers(1, 4), chunk_bytes=st.integers(1, 40))
@example(lines=["{}", "{}", "{}"], bom=False, last_newline=True, batch_size=4, chunk_bytes=4)
def test_jsonl_regular_chunks_read_what_the_line_reader_reads(tmp_path_factory, lines, bom, last_newline,
                                                              batch_size, chunk_bytes):
    """Byte-range chunks give the chunks, line numbers and rows of the line-by-line reader,
    whatever blank lines, CRs, BOM or size caps the file has."""
    from conflictset.dataset.ingest import readers

    path = tmp_path_factory.mktemp("jsonl") / "x.jsonl"
    data = "\n".join(lines) + ("\n" if last_newline and lines else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))

    def line_by_line():
        numbers, chunk, pending = [], [], 0
        for number, line in readers._json_lines(str(path)):
            numbers.append(number)
            chunk.append(line)
            pending += len(line)
            if len(chunk) >= batch_size or pending >= chunk_bytes:
                yield readers._chunk(str(path), numbers, b"\n".join(chunk), chunk)
                numbers, chunk, pending = [], [], 0
        if chunk:
            yield readers._chunk(str(path), numbers, b"\n".join(chunk), chunk)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "CHUNK_BYTES", chunk_bytes)
        got = list(readers.read_jsonl(str(path), batch_size=batch_size))
    expected = list(line_by_line()) or [[readers.reject(
        str(path), None, "jsonl", readers.Reason.EMPTY_FILE, "the file has no records (empty or only blank lines)",
        raw="")]]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert type(g) is type(e)
        assert g.equals(e) if isinstance(g, pl.DataFrame) else g == e
