"""Span offsets (hypothesis property), dtypes and the PrelabelledSentence schema."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prelabel_helpers import sentences

from conflictset.dataset.prelabel import prelabel
from conflictset.schemas.prelabel import PRELABEL_COLUMNS, PrelabelledSentence
from conflictset.schemas.validation import ValidationFailed, validate

PIECES = ["IS", "is", "SDF", "Raqqa", "Tel Abyad", "Kobani", "Syrië", "killed", "22", "tenminste", "omgekomen",
          "soldiers", "protesters", "tear gas", "Tuesday", "dinsdagochtend", "yesterday", "İstanbul", "Kyïv",
          "é", "ß", "ﬁ", "—", "  ", "\n", "🙂", "a\u0301", "Ǆ", "الرقة", "داعش", "قتلى", "5", ",", ".", "(", ")"]


def _sentence_frame(texts, language):
    n = len(texts)
    return pl.DataFrame({
        "article_id": ["a"] * n,
        "sentence_id": [f"a-{i:05d}" for i in range(n)],
        "sentence_index": list(range(n)),
        "text": texts,
        "char_start": [0] * n,
        "char_end": [len(t) for t in texts],
        "language": [language] * n,
        "role": ["body"] * n,
        "title": [None] * n, "source": [None] * n, "url": [None] * n,
        "published_at": [dt.date(2020, 1, 8)] * n,
        "prev_text": [None] * n, "next_text": [None] * n,
    }, schema_overrides={c: pl.String for c in ("title", "source", "url", "prev_text", "next_text")})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14).map(" ".join), min_size=1, max_size=6),
       st.sampled_from(["en", "nl", "ar", "fr", "xx"]))
def test_span_offsets_slice_to_span_text(texts, language):
    out = prelabel(_sentence_frame(texts, language))
    for row in out.iter_rows(named=True):
        ends = []
        for span in row["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(row["text"])
            assert row["text"][span["start"]:span["end"]] == span["text"]
            assert span["label"] in ("ACTOR", "LOCATION", "FATALITIES", "DATE")
            ends.append((span["start"], span["end"]))
        # spans never overlap
        for (_, e1), (s2, _) in zip(sorted(ends), sorted(ends)[1:]):
            assert e1 <= s2
    validate(out, PrelabelledSentence)


def test_output_dtypes_and_row_order():
    frame = sentences(["Warplanes bombed Raqqa.", "Nothing happened.", "Clashes in Kabul killed 3 soldiers."])
    out = prelabel(frame)
    assert out.columns[: len(frame.columns)] == frame.columns
    assert out["sentence_id"].to_list() == frame["sentence_id"].to_list()
    for name, dtype in PRELABEL_COLUMNS.items():
        assert out.schema[name] == dtype, name
    assert out["score"].null_count() == 0
    assert out["prelabel_version"].n_unique() == 1


def test_empty_frame_keeps_schema():
    out = prelabel(sentences([]).clear())
    assert out.height == 0
    assert all(out.schema[c] == dt for c, dt in PRELABEL_COLUMNS.items())


def test_missing_input_column_is_an_input_error():
    from conflictset.schemas.errors import InputError

    with pytest.raises(InputError, match="language"):
        prelabel(pl.DataFrame({"text": ["x"], "role": ["body"]}))


def test_schema_rejects_broken_rows():
    out = prelabel(_sentence_frame(["Warplanes bombed Raqqa, killing 3 civilians."], "en"))
    validate(out, PrelabelledSentence)
    bad = out.with_columns(
        pl.lit("Battles").alias("event_type"),
        pl.col("spans").list.eval(pl.element().struct.with_fields(pl.field("start") + 1)),
        pl.lit(1.5).alias("score"),
    )
    with pytest.raises(ValidationFailed) as info:
        validate(bad, PrelabelledSentence)
    reasons = set(info.value.report["reason"])
    assert {"hierarchy_mismatch", "span_text_mismatch", "out_of_range"} <= reasons


def test_span_failures_name_their_row_after_rows_without_spans():
    """Rows without spans come first: the failure must still be reported at the broken row."""
    texts = ["Nothing happened here."] * 3 + ["Warplanes bombed Raqqa, killing 3 civilians."] * 2
    out = prelabel(_sentence_frame(texts, "en"))
    assert out["spans"].list.len().to_list()[:3] == [0, 0, 0]
    bad = out.with_columns(pl.when(pl.int_range(pl.len()) == 4)
                           .then(pl.col("spans").list.eval(pl.element().struct.with_fields(pl.field("start") + 1)))
                           .otherwise(pl.col("spans")).alias("spans"))
    with pytest.raises(ValidationFailed) as info:
        validate(bad, PrelabelledSentence)
    report = info.value.report
    assert report.select("reason", "row").unique().sort("reason").rows() == [
        ("bad_offsets", 4), ("span_text_mismatch", 4)]


def test_parquet_round_trip(tmp_path):
    import duckdb
    import pyarrow.parquet as pq

    from conflictset.dataset.io import write_parquet

    out = prelabel(_sentence_frame(["Warplanes bombed Raqqa on Tuesday, killing 3 civilians."], "en"))
    path = write_parquet(out, tmp_path / "sentences.parquet")
    back = pl.read_parquet(path)
    assert back.schema == out.schema and back.equals(out)
    table = pq.read_table(path)
    assert table.column("spans").to_pylist() == out["spans"].to_list()
    con = duckdb.connect()
    fat, n = con.execute(f"select fatalities, len(spans) from read_parquet('{path}')").fetchone()
    assert (fat, n) == (3, out["spans"].list.len()[0])


def _find_with_find_many(part, col, language, cased):
    """Reference for spans._find: positions from a second Aho–Corasick pass (str.find_many)."""
    from conflictset.dataset.prelabel.entities import entity_table
    from conflictset.dataset.prelabel.spans import ROW, _char_offset

    table = entity_table(language).filter(pl.col("cased") == cased)
    pats = table["pattern"].to_list()
    found = part.select(
        ROW, pl.col(col).alias("_p"),
        pl.col(col).str.extract_many(pats, overlapping=True).alias("pattern"),
        pl.col(col).str.find_many(pats, overlapping=True).alias("pos"),
    ).explode(["pattern", "pos"]).drop_nulls("pattern")
    found = found.with_columns(_char_offset(pl.col("_p"), pl.col("pos")).alias("start")).with_columns(
        (pl.col("start") + pl.col("pattern").str.len_chars() - 2).alias("end"), pl.lit(cased).alias("cased"))
    return found.drop("_p", "pos").join(table, on=["pattern", "cased"], how="inner", maintain_order="left")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(PIECES + ["Homs", "army", "IS IS", "Raqqa Raqqa"]), min_size=0, max_size=14)
                .map(" ".join), min_size=1, max_size=6), st.sampled_from(["en", "nl", "fr", "es", "de", "ar"]))
def test_entity_positions_match_a_second_pass(texts, language):
    # patterns found more than once in a row ("Raqqa … Raqqa", "IS IS" overlapping at the space);
    # the reference scans for the names alone: the matcher's pass, which also holds the terms,
    # must find them in the same order
    from conflictset.dataset.prelabel.matcher import match, prepare
    from conflictset.dataset.prelabel.spans import _find

    prepared = prepare(pl.DataFrame({"text": texts, "language": [language] * len(texts)}))
    frame = pl.concat([prepared, match(prepared).drop("_row")], how="horizontal")
    for col, cased in (("_pc", True), ("_pl", False)):
        expected = _find_with_find_many(frame, col, language, cased)
        assert _find(frame, col, language, cased).select(expected.columns).equals(expected)


# span-check corners: (text, spans, inside_sentence, slices_to_text, label_known) — the expected
# result of each of the three span checks for that row. Null fields inside a span make the
# comparison null, which passes unless another part of the same condition is False (Kleene and).
_T = "é🙂 Raqqa and Kobani"  # two multi-byte characters before the spans: char, not byte offsets
_RAQQA = {"label": "LOCATION", "start": 3, "end": 8, "text": "Raqqa"}
_KOBANI = {"label": "LOCATION", "start": 13, "end": 19, "text": "Kobani"}
_SPAN_CORNERS = [
    (_T, None, True, True, True),
    (_T, [], True, True, True),
    (_T, [_RAQQA, _KOBANI], True, True, True),
    (_T, [None, _KOBANI], True, True, True),                                      # a null span
    (_T, [_RAQQA, {**_KOBANI, "text": "Kobanî"}], True, False, True),            # second bad only
    (_T, [_RAQQA, {**_KOBANI, "start": 17, "end": 23, "text": "ni"}], False, True, True),  # end past text
    (_T, [_RAQQA, {**_KOBANI, "label": "PLACE"}], True, True, False),
    (_T, [{**_RAQQA, "start": None}], True, True, True),                         # null start, end inside
    (_T, [{**_RAQQA, "start": None, "end": 40}], False, True, True),             # null start, end outside
    (_T, [{**_RAQQA, "end": None}], True, False, True),  # polars slices to the text end on a null length
    (_T, [{**_RAQQA, "label": None, "text": None}], True, True, True),
    (_T, [{**_RAQQA, "start": 5, "end": 5, "text": ""}], False, True, True),     # empty span
    (_T, [{**_RAQQA, "start": -1, "text": "zzz"}], False, False, True),
    (_T, [{**_RAQQA, "start": 7, "end": 12}], True, False, True),                # byte offsets of Raqqa
    ("x" * 30, [{**_RAQQA, "start": 0, "end": 30, "text": "x" * 30}], True, True, True),
    ("Raqqa", [_RAQQA], False, False, True),                                     # span after the text
    (_T, [{**_RAQQA, "start": 8, "end": 3}], False, False, True),                # reversed span
]
_SPAN_DTYPE = PrelabelledSentence.to_schema().columns["spans"].dtype.type


def _span_corner_frame():
    texts = [t for t, *_ in _SPAN_CORNERS]
    out = prelabel(_sentence_frame(texts, "en"))
    return out.with_columns(pl.Series("spans", [s for _, s, *_ in _SPAN_CORNERS], dtype=_SPAN_DTYPE))


@pytest.mark.parametrize("check, col", [("spans_inside_sentence", 2), ("spans_slice_to_their_text", 3),
                                        ("span_labels_known", 4)])
def test_span_checks_one_result_per_sentence_in_row_order(check, col):
    from pandera.api.polars.types import PolarsData

    frame = _span_corner_frame()
    out = getattr(PrelabelledSentence, check)(PolarsData(frame.lazy())).collect().to_series()
    assert out.to_list() == [row[col] for row in _SPAN_CORNERS]


def test_span_checks_with_a_null_text():
    # text is not nullable (another check reports it); the span checks treat its length and
    # slices as null: only a span failing on its own fields fails
    from pandera.api.polars.types import PolarsData

    frame = _span_corner_frame().head(3).with_columns(pl.lit(None, pl.String).alias("text"))
    frame = frame.with_columns(pl.Series("spans", [[{**_RAQQA, "start": -1}], [_RAQQA], [{**_RAQQA, "label": "X"}]],
                                         dtype=_SPAN_DTYPE))
    results = [getattr(PrelabelledSentence, c)(PolarsData(frame.lazy())).collect().to_series().to_list()
               for c in ("spans_inside_sentence", "spans_slice_to_their_text", "span_labels_known")]
    assert results == [[False, True, True], [True, True, True], [True, True, False]]


def test_span_check_failures_name_their_rows_and_reasons():
    with pytest.raises(ValidationFailed) as info:
        validate(_span_corner_frame(), PrelabelledSentence)
    report = info.value.report
    got = report.filter(pl.col("column").is_null()).select("reason", "row").sort("reason", "row")
    expected = sorted((reason, i) for i, row in enumerate(_SPAN_CORNERS)
                      for reason, col in (("bad_offsets", 2), ("span_text_mismatch", 3), ("unknown_label", 4))
                      if not row[col])
    assert got.rows() == expected
    # the only other failure: the spans column itself is not nullable
    assert report.filter(pl.col("column").is_not_null()).select("column", "reason", "row").rows() == [
        ("spans", "null_value", 0)]
