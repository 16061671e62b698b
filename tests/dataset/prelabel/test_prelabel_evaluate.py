"""``evaluate`` library function and CLI, on own small gold files and on the dev file (if present)."""

import json

import polars as pl
import pytest
from click.testing import CliRunner

from conflictset.cli import main
from conflictset.dataset.prelabel.evaluate import evaluate
from conflictset.schemas.errors import InputError

KEYS = ("event_type.macro_f1", "event_type.weighted_f1", "sub_event_type.macro_f1",
        "sub_event_type.weighted_f1", "no_event_abstain_rate")

GOLD = [
    {"text": "Warplanes carried out air strikes on the town.", "event_type": "Explosions/Remote violence",
     "sub_event_type": "Air/drone strike"},
    {"text": "Police fired tear gas to disperse the protesters.", "event_type": "Protests",
     "sub_event_type": "Protest with intervention"},
    {"text": "Heavy clashes broke out between the army and rebels.", "event_type": "Battles",
     "sub_event_type": "Armed clash"},
    {"text": "The minister visited the new hospital.", "event_type": "", "sub_event_type": ""},
    {"text": "A strong earthquake struck the region.", "event_type": None, "sub_event_type": None},
]


def _write(tmp_path, fmt):
    frame = pl.DataFrame(GOLD)
    path = tmp_path / f"gold.{fmt}"
    if fmt == "tsv":
        frame.write_csv(path, separator="\t", quote_style="never")
    elif fmt == "jsonl":
        frame.write_ndjson(path)
    else:
        frame.write_parquet(path)
    return path


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "parquet"])
def test_evaluate_formats(tmp_path, fmt):
    result = evaluate(_write(tmp_path, fmt))
    for key in KEYS:
        assert key in result
    assert result["n"] == 5 and result["n_no_event_rows"] == 2
    assert result["event_type.macro_f1"] == 1.0
    assert result["sub_event_type.weighted_f1"] == 1.0
    assert result["no_event_abstain_rate"] == 1.0
    assert set(result["event_type.per_class"]) == {"Explosions/Remote violence", "Protests", "Battles", "No event"}
    assert sum(b["n"] for b in result["calibration"]) == 5


def test_cli_json_is_one_object(tmp_path):
    res = CliRunner().invoke(main, ["evaluate", str(_write(tmp_path, "jsonl")), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert all(k in data for k in KEYS)


def test_cli_table_output(tmp_path):
    res = CliRunner().invoke(main, ["evaluate", str(_write(tmp_path, "tsv"))])
    assert res.exit_code == 0, res.output
    assert "calibration" in res.output and "confusion" in res.output


def test_bad_gold_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        evaluate(tmp_path / "missing.tsv")
    no_label = tmp_path / "nolabel.jsonl"
    pl.DataFrame({"text": ["x"]}).write_ndjson(no_label)
    with pytest.raises(InputError, match="missing column"):
        evaluate(no_label)
    wrong = tmp_path / "wrong.jsonl"
    pl.DataFrame({"text": ["x"], "event_type": ["Battles"], "sub_event_type": ["Air strike"]}).write_ndjson(wrong)
    with pytest.raises(InputError, match="not in the ACLED taxonomy"):
        evaluate(wrong)
    res = CliRunner().invoke(main, ["evaluate", str(wrong)])
    assert res.exit_code == 2 and res.output.startswith("error:")


def test_dev_file_targets(eval_tsv):
    """Issue targets on the CASE 2021 dev split (read at run time, never copied)."""
    result = evaluate(eval_tsv)
    assert result["n"] == 406 and result["n_no_event_rows"] == 77
    assert result["event_type.macro_f1"] >= 0.75
    assert result["sub_event_type.weighted_f1"] >= 0.65
    assert result["no_event_abstain_rate"] >= 0.5
    # higher scores are more often right
    buckets = [b for b in result["calibration"] if b["n"] >= 20]
    assert buckets[-1]["sub_event_type_accuracy"] > buckets[0]["sub_event_type_accuracy"]
