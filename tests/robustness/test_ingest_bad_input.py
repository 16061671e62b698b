"""Bad-input matrix for ingest (and clean where offsets matter): every case asserts the exact
reason code, the file and row it names, the raw content kept, and reconciled counts
(records in = good + quarantined). The last two cases run the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import conflictset.dataset.ingest.readers as readers
from conflictset.dataset.clean import clean
from conflictset.dataset.ingest import discover, ingest
from conflictset.dataset.stages import split_rejects
from conflictset.schemas.errors import InputError
from conflictset.schemas.pipeline import Article, Quarantine, Segment
from conflictset.schemas.reasons import Reason
from conflictset.schemas.validation import validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


def ingest_all(*paths) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(all rows, good articles, quarantine incl. discovery problems) — both validated."""
    sources, problems = discover(list(paths))
    rows = ingest(sources)
    good, quarantine = split_rejects(rows, "ingest")
    quarantine = pl.concat([problems, quarantine])
    validate(good, Article, table="articles", stage="ingest")
    validate(quarantine, Quarantine, table="quarantine", stage="ingest")
    return rows, good, quarantine


def reconcile(records_in: int, good: pl.DataFrame, quarantine: pl.DataFrame) -> None:
    assert records_in == good.height + quarantine.height


def only_reject(quarantine: pl.DataFrame) -> dict:
    assert quarantine.height == 1, quarantine
    return quarantine.row(0, named=True)


def assert_offsets(good: pl.DataFrame) -> pl.DataFrame:
    segments = validate(clean(good), Segment, table="segments", stage="clean")
    texts = dict(zip(good["article_id"], good["text"]))
    for r in segments.iter_rows(named=True):
        assert texts[r["article_id"]][r["char_start"]:r["char_end"]] == r["text"]
    return segments


# ---------------------------------------------------------------------------- encodings

def test_invalid_utf8_txt_quarantines_the_whole_file(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Titel\n\nDe stad Sé\n".encode("latin-1"))
    (tmp_path / "ok.txt").write_text("Titel\n\nGoed.", encoding="utf-8")
    _, good, quarantine = ingest_all(tmp_path)
    reconcile(2, good, quarantine)
    q = only_reject(quarantine)
    assert (q["reason"], q["source_file"], q["source_row"]) == (Reason.INVALID_UTF8, str(bad), 1)
    assert "byte(s) e9 at byte offset 16 (line 3)" in q["message"] and "fix:" in q["message"]
    assert q["raw"] == "Titel\n\nDe stad S\\xe9\n"  # nothing lost: the bad byte is escaped


def test_invalid_utf8_jsonl_quarantines_only_that_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "a", "text": "fine"}\n{"id": "b", "text": "caf\xe9"}\n{"id": "c", "text": "fine too"}\n')
    _, good, quarantine = ingest_all(path)
    reconcile(3, good, quarantine)
    q = only_reject(quarantine)
    assert (q["reason"], q["source_row"]) == (Reason.INVALID_UTF8, 2)
    assert q["raw"] == '{"id": "b", "text": "caf\\xe9"}'
    assert good["article_id"].to_list() == ["a", "c"]


def test_utf16_with_bom_reads_in_every_text_format(tmp_path):
    (tmp_path / "u16.txt").write_bytes("Kop\r\n\r\nتقرير عن غزة.".encode("utf-16"))
    (tmp_path / "u16.jsonl").write_bytes((json.dumps({"id": "j", "text": "Tekst één"}, ensure_ascii=False)
                                          + "\n").encode("utf-16"))
    (tmp_path / "u16.csv").write_bytes('id,text\nc,"Texte é, avec virgule"\n'.encode("utf-16"))
    _, good, quarantine = ingest_all(tmp_path)
    reconcile(3, good, quarantine)
    assert quarantine.height == 0
    texts = dict(zip(good["article_id"], good["text"]))
    assert texts["j"] == "Tekst één" and texts["c"] == "Texte é, avec virgule"
    assert "Kop\n\nتقرير عن غزة." in texts.values()


@pytest.mark.parametrize("name, data, field, row", [
    ("nul.txt", b"Titel\n\nTekst\x00met NUL", None, 1),
    ("nul.jsonl", b'{"id": "x", "text": "ok"}\n{"id": "y", "text": "raw\x00nul"}\n', None, 2),
    ("escaped_nul.jsonl", b'{"id": "x", "text": "ok"}\n{"id": "y", "text": "esc\\u0000aped"}\n', "text", 2),
    ("nul.csv", b'id,text\nx,ok\ny,"has\x00nul"\n', "text", 2),
])
def test_nul_bytes(tmp_path, name, data, field, row):
    path = tmp_path / name
    path.write_bytes(data)
    _, good, quarantine = ingest_all(path)
    reconcile(1 if name.endswith(".txt") else 2, good, quarantine)
    q = only_reject(quarantine)
    assert (q["reason"], q["field"], q["source_row"], q["source_file"]) == (Reason.NUL_BYTES, field, row, str(path))
    assert "\x00" not in (q["raw"] or "") and q["raw"]


def test_crlf_line_ends_in_every_format(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"Kop\r\n\r\nEen.\r\nTwee.\r\n")
    (tmp_path / "b.jsonl").write_bytes(b'{"id": "j", "text": "Een.\\r\\nTwee."}\r\n{"id": "k", "text": "x"}\r\n')
    (tmp_path / "c.csv").write_bytes(b'id,text\r\nc,"Een.\r\nTwee."\r\n')
    _, good, quarantine = ingest_all(tmp_path)
    reconcile(4, good, quarantine)
    assert not good["text"].str.contains("\r").any()
    texts = dict(zip(good["article_id"], good["text"]))
    assert texts["j"] == "Een.\nTwee." and texts["c"] == "Een.\nTwee."


# ---------------------------------------------------------------------------- empty things

@pytest.mark.parametrize("name, data", [
    ("empty.txt", b""), ("empty.html", b""), ("empty.jsonl", b""), ("blank_lines.jsonl", b"\n \n\t\n"),
    ("empty.csv", b""), ("header_only.csv", b"id,title,text\n"),
])
def test_empty_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    _, good, quarantine = ingest_all(path)
    reconcile(1, good, quarantine)
    q = only_reject(quarantine)
    assert (q["reason"], q["source_file"], q["source_row"]) == (Reason.EMPTY_FILE, str(path), None)


def test_empty_parquet(tmp_path):
    path = tmp_path / "none.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), path)
    _, good, quarantine = ingest_all(path)
    q = only_reject(quarantine)
    assert (q["reason"], q["source_file"]) == (Reason.EMPTY_FILE, str(path))


@pytest.mark.parametrize("name, data, row", [
    ("spaces.txt", b"  \n\t\n   \n", 1),
    ("empty_text.jsonl", b'{"id": "a", "text": "ok"}\n{"id": "b", "title": "T", "text": "   \\n "}\n', 2),
])
def test_empty_article(tmp_path, name, data, row):
    path = tmp_path / name
    path.write_bytes(data)
    _, good, quarantine = ingest_all(path)
    q = only_reject(quarantine)
    assert (q["reason"], q["field"], q["source_row"]) == (Reason.EMPTY_ARTICLE, "text", row)


def test_html_that_is_only_scripts_nav_and_cookie_notice():
    path = FIXTURES / "html_only_scripts_nav_cookie.html"
    _, good, quarantine = ingest_all(path)
    reconcile(1, good, quarantine)
    q = only_reject(quarantine)
    assert (q["reason"], q["source_file"], q["source_row"]) == (Reason.EMPTY_ARTICLE, str(path), 1)
    assert "only navigation, scripts or cookie notices" in q["message"]


# ---------------------------------------------------------------------------- missing / wrong

def test_csv_and_parquet_without_a_text_column(tmp_path):
    (tmp_path / "notext.csv").write_text("id,body\n1,Fighting in Goma\n2,More\n", encoding="utf-8")
    pq.write_table(pa.table({"id": ["1"], "content": ["x"]}), tmp_path / "notext.parquet")
    _, good, quarantine = ingest_all(tmp_path)
    assert good.height == 0
    got = quarantine.select("source_file", "reason", "field", "source_row").rows()
    assert got == [(str(tmp_path / "notext.csv"), Reason.MISSING_TEXT, "text", None),
                   (str(tmp_path / "notext.parquet"), Reason.MISSING_TEXT, "text", None)]
    assert "found columns ['id', 'body']" in quarantine["message"][0]


def test_jsonl_wrong_field_types_and_missing_text(tmp_path):
    path = tmp_path / "types.jsonl"
    lines = [{"id": "ok", "text": "Fine."}, {"id": "n", "text": 3.5},
             {"id": "d", "text": "x", "published_at": 20200101},
             {"id": "m", "title": "only a title"}, {"id": "z", "text": None, "html": None}]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    _, good, quarantine = ingest_all(path)
    reconcile(5, good, quarantine)
    assert quarantine.select("source_row", "reason", "field").rows() == [
        (2, Reason.WRONG_TYPE, "text"), (3, Reason.WRONG_TYPE, "published_at"),
        (4, Reason.MISSING_TEXT, "text"), (5, Reason.MISSING_TEXT, "text")]


def test_parquet_with_a_numeric_text_column_and_a_broken_file(tmp_path):
    pq.write_table(pa.table({"text": pa.array([1, None], pa.int64()), "id": ["a", "b"]}), tmp_path / "num.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not really parquet")
    _, good, quarantine = ingest_all(tmp_path)
    got = quarantine.select(pl.col("source_file").str.split("/").list.last(), "source_row", "reason", "field").rows()
    assert got == [("broken.parquet", None, Reason.BROKEN_PARQUET, None),
                   ("num.parquet", 1, Reason.WRONG_TYPE, "text"),
                   ("num.parquet", 2, Reason.EMPTY_ARTICLE, "text")]


def test_csv_with_bad_bytes_and_a_ragged_row_keeps_the_rest(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(b'id,text\n1,"Quoted, with comma\nand newline"\n2,caf\xe9\n3,too,many,fields\n4,last one\n')
    _, good, quarantine = ingest_all(path)
    reconcile(4, good, quarantine)
    assert good["article_id"].to_list() == ["1", "4"]
    assert good["text"][0] == "Quoted, with comma\nand newline"
    assert quarantine.select("source_row", "reason").rows() == [(2, Reason.INVALID_UTF8), (3, Reason.BROKEN_CSV)]
    assert quarantine["raw"][0] == "2,caf\\xe9"


def test_duplicate_ids_first_wins_exact_repeats_say_so(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "dup", "text": "First text."}) + "\n" + json.dumps({"id": "dup", "text": "Other text."})
        + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "dup", "text": "First text."}) + "\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Same\n\nbody", encoding="utf-8")
    (tmp_path / "d.txt").write_text("Same\n\nbody", encoding="utf-8")  # same content → same hash id
    _, good, quarantine = ingest_all(tmp_path)
    reconcile(5, good, quarantine)
    assert good.select("article_id", "text").rows()[0] == ("dup", "First text.")
    rows = quarantine.select(pl.col("source_file").str.split("/").list.last(), "source_row", "reason").rows()
    assert rows == [("a.jsonl", 2, Reason.DUPLICATE_ID), ("b.jsonl", 1, Reason.DUPLICATE_ID),
                    ("d.txt", 1, Reason.DUPLICATE_ID)]
    messages = quarantine["message"].to_list()
    assert "the same id with a different text" in messages[0] and "a.jsonl row 1" in messages[0]
    assert "an exact repeat" in messages[1] and "an exact repeat" in messages[2]
    assert quarantine["raw"].to_list() == ["Other text.", "First text.", "Same\n\nbody"]


# ---------------------------------------------------------------------------- directories

def test_directory_with_unreadable_files_symlink_loops_and_strays(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "ok.txt").write_text("Titel\n\nTekst.", encoding="utf-8")
    (root / "self").symlink_to(root / "self")              # a link pointing at itself
    (root / "sub" / "up").symlink_to(root)                 # a directory loop
    (root / "dangling.txt").symlink_to(root / "gone.txt")  # target missing
    (root / "notes.docx").write_bytes(b"PK\x03\x04")
    locked = root / "locked.txt"
    locked.write_text("secret", encoding="utf-8")
    locked.chmod(0)
    sources, problems = discover([root])
    assert [Path(p).name for p in sources["path"]] == (["ok.txt"] if os.geteuid() != 0 else ["locked.txt", "ok.txt"])
    got = problems.select(pl.col("source_file").str.replace(str(root), "IN", literal=True), "reason").rows()
    expected = [("IN/dangling.txt", Reason.UNREADABLE_FILE)]
    if os.geteuid() != 0:  # root reads anything; the permission case only bites other users
        expected.append(("IN/locked.txt", Reason.UNREADABLE_FILE))
    expected += [("IN/notes.docx", Reason.UNSUPPORTED_FORMAT), ("IN/self", Reason.SYMLINK_LOOP),
                 ("IN/sub/up", Reason.SYMLINK_LOOP)]
    assert got == expected
    validate(problems, Quarantine, table="quarantine", stage="ingest")
    assert problems["message"].str.contains("fix:|broken symlink").all()


def test_a_missing_input_path_stops_with_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nope.jsonl: input does not exist"):
        discover([tmp_path / "nope.jsonl"])


# ---------------------------------------------------------------------------- scripts, size, scale

def test_rtl_mixed_script_emoji_and_combining_characters(tmp_path):
    texts = {
        "ar.txt": "مقتل 12 شخصا في هجوم على سوق في حلب\n\nقالت مصادر محلية إن قصفا استهدف السوق صباح الأحد.\n",
        "mixed.txt": "Зеленский: Kharkiv 攻撃 — 12 killed\n\nשלום. Mixed Кириллица, 漢字 and Latin in one line.\n",
        "emoji.txt": ("🔥 Fire in Gaza 💥\n\nFamilies 👩‍👩‍👧 fled; "
                      "the cafe\u0301 and the nai\u0308ve re\u0301sume\u0301 burned.\n"),
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    _, good, quarantine = ingest_all(tmp_path)
    reconcile(3, good, quarantine)
    by_name = {Path(f).name: t for f, t in zip(good["source_file"], good["text"])}
    assert "café" in by_name["emoji.txt"] and "naïve résumé" in by_name["emoji.txt"]  # NFC composed
    segments = assert_offsets(good)
    headlines = segments.filter(pl.col("role") == "headline")["text"].to_list()
    assert "مقتل 12 شخصا في هجوم على سوق في حلب" in headlines and "🔥 Fire in Gaza 💥" in headlines


def test_a_50_mb_article_builds(tmp_path):
    paragraph = ("Fighting continued around the city on Sunday as government forces shelled rebel positions, "
                 "residents said. ") * 10
    path = tmp_path / "huge.txt"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("A very long report\n\n")
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(paragraph + "\n\n")
    _, good, quarantine = ingest_all(path)
    assert quarantine.height == 0 and good.height == 1
    text = good["text"][0]
    assert len(text) >= 50 * 1024 * 1024
    segments = clean(good)
    assert segments["role"][0] == "headline" and set(segments["role"][1:].unique()) == {"body"}
    last = segments.row(-1, named=True)
    assert text[last["char_start"]:last["char_end"]] == last["text"]


def test_an_article_over_the_documented_limit_is_too_large(tmp_path, monkeypatch):
    # the real limit is 64 MiB; lower it so the test does not write 64 MB
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "x" * 2000, encoding="utf-8")
    _, good, quarantine = ingest_all(path)
    q = only_reject(quarantine)
    assert (q["reason"], q["source_row"]) == (Reason.TOO_LARGE, 1)
    assert q["raw"].startswith("Title\n\nxxx")


def test_100k_article_jsonl_with_one_broken_line_in_the_middle(tmp_path):
    path = tmp_path / "wire.jsonl"
    n = 100_000
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if i == n // 2:
                fh.write('{"id": "broken", "text": "unterminated\n')
                continue
            fh.write(f'{{"id": "n{i}", "title": "Report {i}", "text": "Clashes were reported in district {i}."}}\n')
    rows, good, quarantine = ingest_all(path)
    reconcile(n, good, quarantine)
    q = only_reject(quarantine)
    expected = (Reason.BROKEN_JSON, n // 2 + 1, '{"id": "broken", "text": "unterminated')
    assert (q["reason"], q["source_row"], q["raw"]) == expected
    assert good["source_row"][n // 2] == n // 2 + 2  # lines after the broken one keep their numbers


# ---------------------------------------------------------------------------- the command line

def test_build_cli_quarantines_bad_records_and_reconciles(tmp_path):
    from conflictset.cli import main

    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("Clashes in Goma\n\nFighting broke out near Goma on Tuesday.", encoding="utf-8")
    (src / "bad.txt").write_bytes(b"Kop\n\n\xff\xfe broken")
    (src / "wire.jsonl").write_text('{"id": "w1", "text": "Protest in Dakar."}\n{oops\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(src), "--out", str(out), "--no-progress", "--no-prelabel"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    rows = con.execute(f"select source_file, source_row, reason from read_parquet('{out / 'quarantine.parquet'}') "
                       "order by source_file").fetchall()
    assert [(Path(f).name, r, reason) for f, r, reason in rows] == [
        ("bad.txt", 1, "invalid_utf8"), ("wire.jsonl", 2, "broken_json")]
    articles = pq.read_table(out / "articles.parquet").num_rows
    assert articles + len(rows) == 4


def test_build_cli_missing_input_is_one_line_and_exit_2(tmp_path):
    from conflictset.cli import main

    result = CliRunner().invoke(main, ["build", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "missing" in lines[0] and "fix:" in lines[0]
    assert "Traceback" not in result.output


def test_csv_fallback_reads_long_cells(tmp_path):
    """A bad byte sends the file to the record-precise reader, which must still take big cells."""
    path = tmp_path / "long.csv"
    long_text = "Fighting continued. " * 20_000  # 400 kB, over the csv module's default field limit
    path.write_bytes(b"id,text\n1,\"" + long_text.encode() + b"\"\n2,bad \xff byte\n")
    _, good, quarantine = ingest_all(path)
    reconcile(2, good, quarantine)
    assert good["text"].to_list() == [long_text]
    assert quarantine.select("source_row", "reason").rows() == [(2, Reason.INVALID_UTF8)]


def test_html_records_in_jsonl_that_are_only_debris(tmp_path):
    page = (FIXTURES / "html_only_scripts_nav_cookie.html").read_text(encoding="utf-8")
    article = (FIXTURES / "html_article_with_nav_cookie_footer.html").read_text(encoding="utf-8")
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "html": h}) + "\n" for i, h in enumerate([article, page])),
                    encoding="utf-8")
    _, good, quarantine = ingest_all(path)
    reconcile(2, good, quarantine)
    assert good["article_id"].to_list() == ["p0"]
    q = only_reject(quarantine)
    assert (q["reason"], q["source_row"], q["field"]) == (Reason.EMPTY_ARTICLE, 2, "text")
    assert '"html"' in q["raw"]  # the page itself is kept


def test_a_huge_single_line_full_of_glued_timestamps_stays_linear():
    """5 MB on one line with 90k glued date-times (a scraper gone wrong) cleans in seconds (it
    was quadratic — minutes — before slicing moved to Python; `pytest --durations` shows it)."""
    text = "Title\n\n" + "Shelling hit Aleppo2016-05-23 19:01:33 residents said. " * 90_000 + " - Foto: AFP"
    segments = clean(pl.DataFrame({"article_id": ["x"], "text": [text]}))
    assert segments.height == 1 + 2 * 90_000 + 1 + 1
    assert segments["role"][-2:].to_list() == ["caption", "credit"]
    for r in segments.sample(200, seed=1).iter_rows(named=True):
        assert text[r["char_start"]:r["char_end"]] == r["text"]
