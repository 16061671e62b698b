"""--text-policy full|snippets|ids: what text each release carries; each loads in `datasets` and duckdb."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner
from release_fixtures import (
    METADATA,
    make_annotations,
    make_sentences,
    scenario_annotations,
    span,
    write_build_dir,
    write_metadata,
)

from conflictset.cli import main
from conflictset.export.release import release
from conflictset.export.validate_release import validate_path

POLICIES = ("full", "snippets", "ids")


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = tmp_path_factory.mktemp("policies")
    # the reviewer of "The city council met…" (no event) marked an actor: its text goes with the sentence's
    rows = [{**r, "spans": [span("ACTOR", 4, "city council")]} if r["annotation_id"] == 4 else r
            for r in scenario_annotations().to_dicts()]
    build = write_build_dir(root / "build", make_sentences(), make_annotations(rows))
    for policy in POLICIES:  # variants of one version side by side: SemVer build metadata tells them apart
        release(build, f"1.0.0+{policy}", root / policy, text_policy=policy)
    return root


def sql(query: str) -> list[tuple]:
    return duckdb.sql(query).fetchall()


@pytest.mark.parametrize("policy, sentence_text, titles, notes, span_texts", [
    # 8 sentences, 5 with an event; 5 events; span texts in sentences and annotations: 2 of an event
    # sentence, 1 of a sentence without an event
    ("full", 8, 8, 5, (3, 3)),
    ("snippets", 5, 0, 5, (2, 2)),
    ("ids", 0, 0, 0, (0, 0)),
])
def test_each_policy_keeps_only_the_text_it_allows(releases, policy, sentence_text, titles, notes, span_texts):
    data = releases / policy / "data"
    assert sql(f"select count(text), count(title), count(*), count(url), count(char_start) "
               f"from '{data}/sentences.parquet'") == [(sentence_text, titles, 8, 8, 8)]
    assert sql(f"select count(notes), count(*) from '{data}/events.parquet'") == [(notes, 5)]
    spans = [sql(f"select count(s.text) from (select unnest(spans) as s from '{data}/{name}.parquet')")[0][0]
             for name in ("sentences", "annotations")]
    assert tuple(spans) == span_texts
    if policy == "snippets":  # the text kept is exactly that of the sentences with an event
        assert sql(f"select count(*) from '{data}/sentences.parquet' "
                   "where (text is null) <> (event_type is null)") == [(0,)]
    assert validate_path(releases / policy).ok
    manifest = json.loads((releases / policy / "manifest.json").read_text())
    assert manifest["text_policy"] == policy


@pytest.mark.parametrize("policy", POLICIES)
def test_each_policy_loads_with_hugging_face_datasets(releases, policy, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = str(tmp_path / "hf-cache")
    sentences = datasets.load_dataset(str(releases / policy), "sentences", cache_dir=cache)["train"]
    events = datasets.load_dataset(str(releases / policy), cache_dir=cache)["train"]
    assert (sentences.num_rows, events.num_rows) == (8, 5)
    assert sentences.features["text"].dtype == "large_string"  # one schema whatever the policy
    kept = sum(t is not None for t in sentences["text"])
    assert kept == {"full": 8, "snippets": 5, "ids": 0}[policy]
    assert all(u.startswith("https://news.example/") for u in events["url"])


def test_the_card_states_provenance_and_the_policy(releases):
    for policy in POLICIES:
        card = (releases / policy / "README.md").read_text()
        assert "the outlet (`source`), the article's address (`url`)" in card
        assert "redistribution of article text may be restricted by its publishers" in card
        assert f"Text policy of this release: `{policy}`:" in card
        croissant = json.loads((releases / policy / "croissant.json").read_text())
        assert f"Text policy {policy}:" in croissant["rai:dataCollection"]


def test_the_policy_comes_from_the_metadata_unless_the_cli_says_otherwise(tmp_path):
    build = write_build_dir(tmp_path / "build", make_sentences())
    write_metadata(build, METADATA.replace('license = "CC-BY-4.0"', 'license = "CC-BY-4.0"\ntext_policy = "ids"'))
    assert release(build, "1.0.0", tmp_path / "a").text_policy == "ids"
    result = CliRunner().invoke(main, ["release", str(build), "--version", "1.0.0", "--out",
                                       str(tmp_path / "b" / "1.0.0"), "--text-policy", "snippets"])
    assert result.exit_code == 0, result.output
    assert "text policy snippets" in result.output  # (the same version with other text beside "a" is refused)
    bad = CliRunner().invoke(main, ["release", str(build), "--version", "1.0.0", "--out", str(tmp_path / "c"),
                                    "--text-policy", "some"])
    assert bad.exit_code == 2 and "'some' is not one of 'full', 'snippets', 'ids'" in bad.output
