"""Pure mapping functions: config, task/result round trip (hypothesis), selection, checks, secrets."""

from __future__ import annotations

import json
import stat

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from label_studio_sdk.label_interface import LabelInterface
from studio_helpers import sentence_frame

from conflictset.export.label_studio import config as cfg
from conflictset.export.label_studio import credentials
from conflictset.export.label_studio.pull import Labels, from_label_studio, parse_result
from conflictset.export.label_studio.push import prelabel_problems, select_sentences, to_label_studio
from conflictset.schemas.spans import SPAN_LABELS
from conflictset.schemas.taxonomy import EVENT_TYPES, NO_EVENT, SUB_EVENT_TYPES, subs_of


def test_config_lists_the_whole_taxonomy_and_parses():
    li = LabelInterface(cfg.label_config())
    taxonomy = li.get_control(cfg.TAXONOMY_NAME)
    assert set(taxonomy.labels) == {*EVENT_TYPES, *(s.name for s in SUB_EVENT_TYPES), NO_EVENT}
    assert li.get_control(cfg.SPAN_NAME).labels == list(SPAN_LABELS)
    assert all(f'value="${k}"' in cfg.label_config() for k in cfg.DATA_KEYS)


def test_config_hash_ignores_whitespace_only():
    xml = cfg.label_config()
    assert cfg.config_hash(xml.replace("\n", "\n   ")) == cfg.config_hash()
    assert cfg.config_hash(xml.replace("Armed clash", "Armed clashes")) != cfg.config_hash()
    assert cfg.stored_hash(f"text {cfg.hash_marker()} more") == cfg.config_hash()


def test_sdk_accepts_our_predictions():
    li = LabelInterface(cfg.label_config())
    for raw in to_label_studio(sentence_frame())["task"]:
        task = json.loads(raw)
        assert {k for k in cfg.DATA_KEYS} <= set(task["data"])
        for prediction in task["predictions"]:
            assert li.validate_prediction(prediction), prediction


paths = st.sampled_from([None, *[(s.event_type, s.name) for s in SUB_EVENT_TYPES]])
texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)


@st.composite
def sentence_and_labels(draw):
    text = draw(texts)
    path = draw(paths)
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, n - 1))
        end = draw(st.integers(start + 1, n))
        label = draw(st.sampled_from(SPAN_LABELS))
        spans.append((label, start, end, text[start:end]))
    return text, path, spans


@settings(max_examples=200, deadline=None)
@given(sentence_and_labels(), st.sampled_from([None, 0.0, 0.5, 1.0]))
def test_any_sentence_and_annotation_survive_the_round_trip(case, score):
    text, path, spans = case
    et, sub = path or (None, None)
    frame = sentence_frame([(text, et, sub, score, [])]).with_columns(
        pl.Series("spans", [[dict(zip(("label", "start", "end", "text"), s)) for s in spans]],
                  dtype=pl.List(pl.Struct({"label": pl.String, "start": pl.Int64, "end": pl.Int64,
                                           "text": pl.String}))))
    assert prelabel_problems(frame).height == 0
    task = json.loads(to_label_studio(frame)["task"].item())
    assert task["data"]["text"] == text and task["data"]["sentence_id"] == "nl-raqqa-00000"
    (prediction,) = task["predictions"]
    assert prediction["score"] == score
    expected = Labels(et, sub, tuple(sorted(spans, key=lambda s: (s[1], s[2], s[0]))))
    assert parse_result(prediction["result"], text) == expected
    # and the same result saved as a reviewer's annotation comes back unchanged from a pull
    task.update(id=1, project=1, annotations=[{"id": 9, "completed_by": 1, "result": prediction["result"]}])
    frames = from_label_studio(pl.DataFrame({"source_row": [1], "raw": [json.dumps(task)]}))
    (row,) = frames.annotations.to_dicts()
    assert (row["event_type"], row["sub_event_type"]) == (et, sub)
    assert [tuple(s.values()) for s in row["spans"]] == list(expected.spans)
    assert row["prediction_accepted"] is True


def test_prelabel_problems_enforce_the_hierarchy_and_offsets():
    frame = sentence_frame()
    bad = frame.with_columns(
        pl.when(pl.col("sentence_index") == 0).then(pl.lit("Riots")).otherwise(pl.col("event_type"))
        .alias("event_type"),
        pl.when(pl.col("sentence_index") == 3).then(
            pl.lit([{"label": "ACTOR", "start": 5, "end": 999, "text": "x"}],
                   dtype=frame.schema["spans"])).otherwise(pl.col("spans")).alias("spans"),
        pl.when(pl.col("sentence_index") == 4).then(
            pl.lit([{"label": "WEAPON", "start": 0, "end": 2, "text": "De"}],
                   dtype=frame.schema["spans"])).otherwise(pl.col("spans")).alias("spans_b"),
    ).with_columns(pl.when(pl.col("sentence_index") == 4).then(pl.col("spans_b"))
                   .otherwise(pl.col("spans")).alias("spans")).drop("spans_b")
    problems = dict(prelabel_problems(bad).iter_rows())
    assert set(problems) == {"nl-raqqa-00000", "nl-raqqa-00003", "nl-raqqa-00004"}
    assert "is not a path of the taxonomy" in problems["nl-raqqa-00000"]
    assert "outside the sentence" in problems["nl-raqqa-00003"]
    assert "WEAPON is not in the config" in problems["nl-raqqa-00004"]
    assert prelabel_problems(frame).height == 0


def test_selection_filters_and_orders():
    frame = sentence_frame()
    assert select_sentences(frame, order="score")["score"].to_list()[:3] == [0.9, 0.8, 0.7]
    uncertain = select_sentences(frame, order="uncertain", limit=2)["score"].to_list()
    assert uncertain == [0.55, 0.6]
    assert select_sentences(frame, min_score=0.6)["score"].min() == 0.6
    assert select_sentences(frame, language="en").height == 0
    assert select_sentences(frame, language="en,nl").height == 8
    assert select_sentences(frame.reverse())["sentence_index"].to_list() == list(range(8))


def test_credentials_are_private_and_known_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFLICTSET_STUDIO_DIR", str(tmp_path))
    assert credentials.known_secrets() == ()
    creds = credentials.load_or_create()
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600
    assert credentials.load_or_create() == creds  # generated once
    assert creds.token in credentials.known_secrets()
    from conflictset.cli import redact

    assert creds.token not in redact(f"oops {creds.token} leaked")
    assert not [p for p in tmp_path.iterdir() if p.name != "credentials.json"]  # no temp file left


def test_no_event_taxonomy_has_one_choice_per_sub_event():
    xml = cfg.label_config()
    for event_type in EVENT_TYPES:
        for sub in subs_of(event_type):
            assert xml.count(f'<Choice value="{sub}"/>') == 1
