"""``conflictset evaluate`` and ``conflictset rules-report``: thin wrappers over dataset.prelabel."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from conflictset.cli.app import handle_errors, main
from conflictset.dataset.prelabel.evaluate import evaluate
from conflictset.dataset.prelabel.report import rules_report


def _console() -> Console:
    # piped output (files, CI logs) gets wide tables instead of folded 80-column cells
    return Console() if sys.stdout.isatty() else Console(width=200)


def _table(title: str, columns: list[str], rows: list[list]) -> Table:
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    return table


@main.command("evaluate")
@click.argument("gold", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (flat dotted keys).")
@handle_errors
def evaluate_cmd(gold: str, as_json: bool) -> None:
    """Score the pre-labeller on a gold TSV/JSONL/Parquet (text, event_type, sub_event_type)."""
    result = evaluate(gold)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    console = _console()
    headline = [k for k, v in result.items() if not isinstance(v, (dict, list))]
    console.print(_table(f"Pre-labeller on {gold}", ["metric", "value"], [[k, result[k]] for k in headline]))
    for level in ("event_type", "sub_event_type"):
        per = result[f"{level}.per_class"]
        console.print(_table(f"{level}: per class", ["class", "precision", "recall", "f1", "support"],
                             [[c, v["precision"], v["recall"], v["f1"], v["support"]] for c, v in per.items()]))
    conf = result["event_type.confusion"]
    preds = sorted({p for row in conf.values() for p in row})
    console.print(_table("event_type confusion (rows = gold, columns = predicted)", ["gold"] + preds,
                         [[g] + [row.get(p, 0) for p in preds] for g, row in conf.items()]))
    console.print(_table("calibration (accuracy by score bucket)",
                         ["score", "n", "event_type acc.", "sub_event_type acc."],
                         [[b["bucket"], b["n"], b["event_type_accuracy"], b["sub_event_type_accuracy"]]
                          for b in result["calibration"]]))


@main.command("rules-report")
@click.argument("source", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@handle_errors
def rules_report_cmd(source: str, as_json: bool) -> None:
    """Per-rule coverage, overlap and conflict over a build dir or sentences Parquet."""
    result = rules_report(source)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    console = _console()
    console.print(f"{result['n_sentences']} sentences, {result['labelled_rate']:.1%} pre-labelled as an event")
    console.print(_table("labelling functions", ["rule", "sub_event_type", "coverage", "overlaps", "conflicts",
                                                 "event_type_conflicts", "wins", "vetoed", "top terms"],
                         [[r["rule"], r["sub_event_type"], r["coverage"], r["overlaps"], r["conflicts"],
                           r["event_type_conflicts"], r["wins"], r["vetoed"], ", ".join(r["top_terms"])]
                          for r in result["rules"]]))
