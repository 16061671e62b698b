"""``rules-report``: per-rule coverage, overlap and conflict over a build."""

import json

import polars as pl
import pytest
from click.testing import CliRunner
from prelabel_helpers import sentences

from conflictset.cli import main
from conflictset.dataset.prelabel.report import rule_votes, rules_report
from conflictset.dataset.prelabel.rules import RULES
from conflictset.schemas.errors import InputError

TEXTS = [
    "Fierce fighting raged as warplanes carried out air strikes.",
    "Police fired tear gas at the protesters.",
    "A roadside bomb exploded near a patrol.",
    "The weather was fine.",
]


def test_rule_votes_matrix():
    votes = rule_votes(sentences(TEXTS))
    assert votes.height == 4
    assert votes["lf_armed_clash"][0] == "Armed clash" and votes["lf_air_strike"][0] == "Air/drone strike"
    assert votes["sub_event_type"].to_list() == ["Armed clash", "Protest with intervention",
                                                  "Remote explosive/landmine/IED", None]
    assert all(votes[r.name][3] is None for r in RULES)


@pytest.mark.parametrize("as_dir", [True, False])
def test_report_on_build_dir_and_file(tmp_path, as_dir):
    sentences(TEXTS).write_parquet(tmp_path / "sentences.parquet")
    result = rules_report(tmp_path if as_dir else tmp_path / "sentences.parquet")
    assert result["n_sentences"] == 4 and result["labelled_rate"] == 0.75
    rules = {r["rule"]: r for r in result["rules"]}
    assert set(rules) == {r.name for r in RULES}
    clash = rules["lf_armed_clash"]
    assert clash["coverage"] == 0.25 and clash["overlaps"] == 0.25 and clash["event_type_conflicts"] == 0.25
    assert clash["wins"] == 0.25 and clash["top_terms"][0].startswith("fierce fighting")
    assert rules["lf_grenade"]["coverage"] == 0.0
    for r in rules.values():
        assert 0 <= r["wins"] <= r["coverage"] <= 1 and r["overlaps"] <= r["coverage"]


def test_cli(tmp_path):
    sentences(TEXTS).write_parquet(tmp_path / "sentences.parquet")
    res = CliRunner().invoke(main, ["rules-report", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["n_sentences"] == 4
    res = CliRunner().invoke(main, ["rules-report", str(tmp_path)])
    assert res.exit_code == 0 and "lf_armed_clash" in res.output


def test_missing_build(tmp_path):
    with pytest.raises(InputError, match="no sentences"):
        rules_report(tmp_path)
    pl.DataFrame({"x": [1]}).write_parquet(tmp_path / "sentences.parquet")
    with pytest.raises(InputError, match="missing column"):
        rules_report(tmp_path)
