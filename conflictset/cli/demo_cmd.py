"""``conflictset demo``: the whole loop on the bundled sample corpus."""

from __future__ import annotations

from pathlib import Path

import click
import semver

from conflictset.cli.app import handle_errors, main
from conflictset.demo import run_demo


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False), default="demo-out", show_default=True,
              help="Directory for the build and the release.")
@click.option("--studio/--no-studio", default=True, show_default=True,
              help="Start a local Label Studio, push for review and pull (otherwise build and release only).")
@click.option("--project", default="conflictset demo", show_default=True, help="Label Studio project title.")
@handle_errors
def demo(out: str, studio: bool, project: str) -> None:
    """Build the sample corpus, push it to a local Label Studio, pull and release."""
    result = run_demo(out, studio=studio, project=project, say=lambda s: click.echo(f"• {s}", err=True))
    for line in result.lines:
        click.echo(line)
    click.echo("")
    click.echo(f"build:   {result.build_dir}")
    click.echo(f"release: {result.release_dir}  (dataset card: {result.release_dir}/README.md, "
               f"report: {result.release_dir}/report.html, how to cite: {result.release_dir}/CITATION.cff)")
    click.echo(f"metadata: {Path(out) / 'dataset.toml'}  (name, authors, licence of the demo dataset)")
    if result.review_url:
        click.echo(f"review:  {result.review_url}  (login {result.login}; the studio keeps running — "
                   "`conflictset studio stop` stops it)")
        following = str(semver.Version.parse(result.version).bump_patch())
        click.echo(f"then:    conflictset pull --project '{project}' --out {result.build_dir} && "
                   f"conflictset release {result.build_dir} --version {following} --out {out}/releases/{following}"
                   "  (or run the demo again: it publishes changes as the next version)")
