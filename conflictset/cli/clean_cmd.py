"""``conflictset evaluate-clean GOLD_DIR``: the cleaner's line roles against a gold folder."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from conflictset.cli.app import handle_errors, main
from conflictset.dataset.clean_eval import evaluate_clean


def _table(title: str, columns: list[str], rows: list[list]) -> Table:
    table = Table(title=title)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    return table


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


@main.command("evaluate-clean")
@click.argument("gold_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@handle_errors
def evaluate_clean_cmd(gold_dir: str, as_json: bool) -> None:
    """Score the cleaner's line roles on GOLD_DIR (NAME.txt + NAME.gold.jsonl, searched recursively):
    accuracy per role and language, debris kept as body (leaks) and body dropped (losses)."""
    result = evaluate_clean(gold_dir)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(_table(f"Cleaner on {gold_dir}", ["metric", "value"], [
        ["articles", result["articles"]], ["gold lines", result["lines"]],
        ["line roles right", _pct(result["accuracy"])],
        ["leaks (debris kept as a sentence)", f"{result['leaks']} {result['leaks_by_role'] or ''}".strip()],
        ["losses (body lines dropped)", f"{result['losses']} of {result['body_lines']} "
                                        f"({_pct(result['body_lost_share'])})"],
    ]))
    console.print(_table("per role", ["role", "lines", "right", "accuracy"],
                         [[r, v["lines"], v["right"], _pct(v["accuracy"])] for r, v in result["per_role"].items()]))
    console.print(_table("per language", ["language", "lines", "right", "accuracy"],
                         [[k, v["lines"], v["right"], _pct(v["accuracy"])]
                          for k, v in result["per_language"].items()]))
    misses = [(kind, m) for kind in ("lost", "leaked", "other_misses") for m in result[kind]]
    if misses:
        console.print(_table("lines not right", ["kind", "file", "gold", "predicted", "line"],
                             [[kind, m["file"], m["gold"], m["predicted"], m["line"]] for kind, m in misses]))
    if result["unmatched"]:
        console.print(_table("gold lines not found in their article", ["file", "match"],
                             [[m["file"], m["match"]] for m in result["unmatched"]]))
