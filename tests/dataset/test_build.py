"""``build()`` and ``conflictset build``: the seed's gold reading, determinism, readers other
than polars, reconciled counts, and exact offsets over generated articles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conflictset.cli import main
from conflictset.dataset.batch import TABLES as OUTPUT_FILES
from conflictset.dataset.build import build
from conflictset.schemas.dtypes import columns
from conflictset.schemas.pipeline import QUARANTINE_SCHEMA, BuiltArticle, Segment, Sentence
from conflictset.schemas.prelabel import PRELABEL_COLUMNS
from conflictset.schemas.reasons import Reason

SENTENCE_ROLES = {"headline", "body", "caption"}
DROPPED_ROLES = {"boilerplate", "related", "heading"}


@pytest.fixture(scope="module")
def seed_build(seed_txt, tmp_path_factory):
    out = tmp_path_factory.mktemp("seed-build")
    summary = build([seed_txt], out)
    return summary, out


def read(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / f"{name}.parquet")


# --- the seed's expected reading -------------------------------------------------------------

def test_every_headline_body_caption_line_is_its_own_sentence(seed_build, seed_gold):
    _, out = seed_build
    sentences = read(out, "sentences")
    used: dict[str, str] = {}
    for line in seed_gold:
        if line["role"] not in SENTENCE_ROLES:
            continue
        hits = sentences.filter(pl.col("text").str.contains(line["match"], literal=True))
        assert hits.height == 1, f"{line['match']!r} is in {hits.height} sentences"
        sentence = hits.row(0, named=True)
        assert sentence["role"] == line["role"], (line["match"], sentence["role"])
        # body lines are separate sentences: no two gold lines share one
        assert sentence["sentence_id"] not in used, (line["match"], used.get(sentence["sentence_id"]))
        used[sentence["sentence_id"]] = line["match"]


def test_dropped_lines_are_segments_with_their_role_and_never_sentences(seed_build, seed_gold):
    _, out = seed_build
    sentences, segments = read(out, "sentences"), read(out, "segments")
    all_text = "\n".join(sentences["text"])
    for line in seed_gold:
        if line["role"] not in DROPPED_ROLES:
            continue
        assert line["match"] not in all_text, line["match"]
        if line.get("exact"):
            hits = segments.filter(pl.col("text") == line["match"])
            assert sentences.filter(pl.col("text") == line["match"]).height == 0
        else:
            hits = segments.filter(pl.col("text").str.contains(line["match"], literal=True))
        assert hits.height >= 1, f"{line['match']!r} missing from segments.parquet"
        assert set(hits["role"]) == {line["role"]}, (line["match"], hits["role"].to_list())
        assert hits["reason"].null_count() == 0


def test_photo_credits_never_end_up_inside_a_sentence(seed_build):
    _, out = seed_build
    for text in read(out, "sentences")["text"]:
        assert "Foto: AFP" not in text and "AFP PHOTO" not in text, text


def test_seed_sentences_are_dutch_with_context_and_metadata(seed_build):
    _, out = seed_build
    sentences = read(out, "sentences")
    assert set(sentences["language"]) == {"nl"}
    assert sentences["prev_text"][0] is None and sentences["next_text"][-1] is None
    assert sentences["prev_text"][1:].to_list() == sentences["text"][:-1].to_list()
    assert sentences["next_text"][:-1].to_list() == sentences["text"][1:].to_list()
    assert set(sentences["title"]) == {"Wordt Raqqa binnenkort eindelijk bevrijd van IS?"}


def test_offsets_slice_the_articles_clean_text(seed_build):
    _, out = seed_build
    articles, sentences = read(out, "articles"), read(out, "sentences")
    clean = dict(zip(articles["article_id"], articles["clean_text"]))
    for r in sentences.iter_rows(named=True):
        assert clean[r["article_id"]][r["char_start"]:r["char_end"]] == r["text"]
    assert articles["n_sentences"].to_list() == [sentences.height]


def test_columns_and_counts(seed_build):
    summary, out = seed_build
    assert read(out, "articles").columns == list(columns(BuiltArticle))
    assert read(out, "segments").columns == list(columns(Segment))
    sentences = read(out, "sentences")
    assert sentences.columns[:len(columns(Sentence))] == list(columns(Sentence))
    assert set(PRELABEL_COLUMNS) <= set(sentences.columns)
    assert (summary.input_records, summary.articles, summary.quarantined) == (1, 1, 0)
    assert summary.reconciled
    assert summary.sentences == sentences.height
    assert summary.segments_by_role == dict(read(out, "segments")["role"].value_counts().iter_rows())
    assert set(summary.files) == set(OUTPUT_FILES)


def test_quarantine_exists_and_is_empty_for_a_clean_input(seed_build):
    _, out = seed_build
    table = pq.read_table(out / "quarantine.parquet")
    assert table.num_rows == 0
    assert table.schema.names == list(QUARANTINE_SCHEMA)


def test_outputs_read_back_with_pyarrow_and_duckdb(seed_build):
    _, out = seed_build
    for name in OUTPUT_FILES:
        assert pq.read_table(out / f"{name}.parquet").num_rows == read(out, name).height
    con = duckdb.connect()
    n, ids, bad = con.execute(
        f"SELECT count(*), count(DISTINCT sentence_id), "
        f"sum(CASE WHEN char_end - char_start <> length(text) THEN 1 ELSE 0 END) "
        f"FROM read_parquet('{out / 'sentences.parquet'}')").fetchone()
    assert n == ids == read(out, "sentences").height and bad == 0
    roles = dict(con.execute(
        f"SELECT role, count(*) FROM read_parquet('{out / 'segments.parquet'}') GROUP BY role").fetchall())
    assert roles == dict(read(out, "segments")["role"].value_counts().iter_rows())


def test_building_twice_gives_identical_files(seed_txt, tmp_path):
    build([seed_txt], tmp_path / "a")
    build([seed_txt], tmp_path / "b")
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / f"{name}.parquet").read_bytes() == (tmp_path / "b" / f"{name}.parquet").read_bytes()


# --- reconciliation with bad records -----------------------------------------------------------

def test_bad_records_are_quarantined_and_counts_reconcile(tmp_path):
    good = {"id": "g1", "title": "Clashes in the north", "text": "Fighting broke out on Monday between the army "
            "and rebels, officials said.\n\nAt least four fighters were killed.", "language": "en"}
    lines = [json.dumps(good), "{broken json", json.dumps({"id": "e1", "text": "   "}),
             json.dumps({"id": "g2", "text": "Betoging in Den Haag\n\nDuizenden mensen gingen zaterdag de straat op."})]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    summary = build([tmp_path / "in.jsonl", tmp_path / "empty.txt"], tmp_path / "out")
    quarantine = read(tmp_path / "out", "quarantine")
    assert summary.input_records == 5
    assert summary.articles == 2 and summary.quarantined == 3 and summary.reconciled
    assert sorted(quarantine["reason"]) == sorted(
        [Reason.BROKEN_JSON.value, Reason.EMPTY_ARTICLE.value, Reason.EMPTY_FILE.value])
    assert summary.quarantined_by_reason == dict(quarantine["reason"].value_counts().iter_rows())
    assert set(read(tmp_path / "out", "articles")["article_id"]) == {"g1", "g2"}


def test_article_with_only_page_debris_is_quarantined_with_its_segments_kept(tmp_path):
    debris = ("Accept all cookies\n\nWe use cookies to improve your experience. Manage your cookie settings.\n\n"
              "Subscribe to our newsletter")
    record = {"id": "d1", "text": debris, "language": "en"}
    (tmp_path / "in.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    summary = build([tmp_path / "in.jsonl"], tmp_path / "out")
    quarantine = read(tmp_path / "out", "quarantine")
    assert quarantine["reason"].to_list() == [Reason.NO_CONTENT_AFTER_CLEANING.value]
    assert quarantine["stage"].to_list() == ["clean"] and quarantine["source_row"].to_list() == [1]
    assert "article d1 has no headline, body or caption text" in quarantine["message"].item()
    assert "segments found: boilerplate" in quarantine["message"].item()
    assert quarantine["raw"].item() == debris
    assert read(tmp_path / "out", "segments").filter(pl.col("article_id") == "d1").height >= 1
    assert read(tmp_path / "out", "articles").height == 0 and summary.reconciled


def test_empty_input_directory_still_writes_every_file(tmp_path):
    (tmp_path / "in").mkdir()
    summary = build([tmp_path / "in"], tmp_path / "out")
    assert (summary.input_records, summary.articles, summary.sentences) == (0, 0, 0)
    for name in OUTPUT_FILES:
        assert pq.read_table(tmp_path / "out" / f"{name}.parquet").num_rows == 0


def test_without_prelabel_there_are_no_label_columns(seed_txt, tmp_path):
    build([seed_txt], tmp_path, prelabel=False)
    assert read(tmp_path, "sentences").columns == list(columns(Sentence))


def test_small_batches_give_the_same_sentences_as_one_batch(tmp_path, repo_root):
    corpus = repo_root / "dataset" / "sample_corpus"
    if not corpus.is_dir():
        pytest.skip("sample corpus absent")
    one = build([corpus], tmp_path / "one", batch_size=10_000, prelabel=False)
    many = build([corpus], tmp_path / "many", batch_size=3, prelabel=False)
    assert one.reconciled and many.reconciled and one.sentences == many.sentences > 0
    assert read(tmp_path / "one", "sentences").equals(read(tmp_path / "many", "sentences"))
    assert read(tmp_path / "one", "articles").equals(read(tmp_path / "many", "articles"))


# --- property: offsets are exact for any article ----------------------------------------------

WORDS = st.sampled_from([
    "Raqqa", "bevrijd", "militie", "IS", "de", "het", "the", "army", "o.a.", "Dr.", "jan.", "2016", "22",
    "الرقة", "قتل", "Кобані", "東京", "😀", "👩‍👩‍👧", "🇳🇱", "café", "e\u0301", "n\u0303", "ß", "ﬁ",
])
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "! ", "? ", ", ", "\n", "\r\n", "\u00a0", "… "])
PARAGRAPH = st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=25).map(
    lambda pairs: "".join(w + s for w, s in pairs).strip() + ".")
ARTICLE = st.tuples(st.lists(PARAGRAPH, min_size=1, max_size=6), st.sampled_from(["\n\n", "\r\n\r\n"])).map(
    lambda t: t[1].join(t[0]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(ARTICLE, min_size=1, max_size=4))
def test_offsets_are_exact_for_generated_articles(tmp_path_factory, texts):
    tmp = tmp_path_factory.mktemp("prop")
    records = [json.dumps({"id": f"p{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    (tmp / "in.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    summary = build([tmp / "in.jsonl"], tmp / "out", prelabel=False)
    assert summary.reconciled and summary.input_records == len(texts)
    articles, sentences = read(tmp / "out", "articles"), read(tmp / "out", "sentences")
    clean = dict(zip(articles["article_id"], articles["clean_text"]))
    for r in sentences.iter_rows(named=True):
        assert clean[r["article_id"]][r["char_start"]:r["char_end"]] == r["text"]
        assert "\r" not in r["text"] and "\n" not in r["text"]


# --- the command line -------------------------------------------------------------------------

def test_cli_build_prints_the_summary(seed_txt, tmp_path):
    result = CliRunner().invoke(main, ["build", str(seed_txt), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "input records: 1 = 1 articles + 0 quarantined" in result.output
    assert "sentences: " in result.output and "segments: " in result.output
    for name in OUTPUT_FILES:
        assert f"wrote {tmp_path / f'{name}.parquet'}" in result.output


def test_cli_missing_input_is_one_line_exit_2_without_traceback(tmp_path, repo_root):
    exe = Path(sys.executable).with_name("conflictset")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "conflictset.cli"]
    proc = subprocess.run([*cmd, "build", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nope.txt" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


# --- scripts, ids and the progress bar ----------------------------------------------------------

def test_arabic_right_to_left_article(tmp_path):
    text = ("اشتباكات عنيفة في شمال المدينة\n\nقتل عشرة أشخاص على الأقل في غارة جوية على المدينة يوم الثلاثاء. "
            "وقال مسؤولون إن الجيش استعاد السيطرة على المنطقة.")
    (tmp_path / "ar.jsonl").write_text(json.dumps({"id": "ar1", "text": text}, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    build([tmp_path / "ar.jsonl"], tmp_path / "out", prelabel=False)
    articles, sentences = read(tmp_path / "out", "articles"), read(tmp_path / "out", "sentences")
    assert sentences.height == 3 and set(sentences["language"]) == {"ar"}
    assert articles["language"].to_list() == ["ar"]
    clean = articles["clean_text"].item()
    for r in sentences.iter_rows(named=True):
        assert clean[r["char_start"]:r["char_end"]] == r["text"]


def test_duplicate_ids_across_batches_keep_sentence_ids_unique(tmp_path):
    first = {"id": "same", "text": "Clashes in the north\n\nFighting broke out on Monday, officials said."}
    second = {"id": "same", "text": "Protest in the south\n\nThousands marched on Saturday, police said."}
    (tmp_path / "a.jsonl").write_text(json.dumps(first) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps(second) + "\n", encoding="utf-8")
    summary = build([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "out",
                    prelabel=False, batch_size=1)
    sentences = read(tmp_path / "out", "sentences")
    assert sentences["sentence_id"].n_unique() == sentences.height
    assert read(tmp_path / "out", "articles")["article_id"].n_unique() == summary.articles
    assert summary.reconciled and summary.input_records == 2


def test_article_ids_never_become_paths(tmp_path):
    record = {"id": "../../escape", "text": "Clashes in the north\n\nFighting broke out on Monday, officials said."}
    (tmp_path / "in.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "deep" / "out"
    build([tmp_path / "in.jsonl"], out, prelabel=False)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in OUTPUT_FILES)
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
    assert not (tmp_path / "escape").exists()
    assert read(out, "sentences")["sentence_id"][0] == "../../escape-00000"


def test_progress_counts_input_bytes_up_to_the_total(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"part{i}.jsonl").write_text("".join(
            json.dumps({"id": f"a{i}-{j}", "text": f"Clashes in town {j}\n\nFighting broke out, officials said."})
            + "\n"
            for j in range(5)), encoding="utf-8")
    total = sum(p.stat().st_size for p in corpus.iterdir())
    calls = []
    build([corpus], tmp_path / "out", prelabel=False, batch_size=5, progress=lambda done, t: calls.append((done, t)))
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] == 0 and done[-1] == total
