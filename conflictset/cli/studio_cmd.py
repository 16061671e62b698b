"""``conflictset studio install|start|stop|status|config``, ``push`` and ``pull``."""

from __future__ import annotations

import json

import click

from conflictset.cli.app import handle_errors, main
from conflictset.cli.progress import progress_bar
from conflictset.export.label_studio import server
from conflictset.export.label_studio.config import label_config
from conflictset.export.label_studio.credentials import CREDENTIALS_FILE, load_or_create, studio_dir
from conflictset.export.label_studio.pull import ADJUDICATION_FILES, REVIEW_FILES, pull
from conflictset.export.label_studio.push import push, push_adjudication
from conflictset.schemas.errors import InputError


@main.group()
def studio() -> None:
    """Run a local Label Studio server (its own venv and data under .studio/)."""


@studio.command("install")
@handle_errors
def studio_install() -> None:
    """Install the pinned Label Studio into .studio/venv (fast when already installed)."""
    exe = server.install(log=lambda msg: click.echo(msg, err=True))
    click.echo(f"Label Studio {server.LABEL_STUDIO_VERSION} is installed ({exe})")


@studio.command("start")
@click.option("--port", type=int, default=8080, show_default=True,
              help="First port to try on 127.0.0.1 (the next free one is used if busy).")
@handle_errors
def studio_start(port: int) -> None:
    """Start the local server, wait until it is healthy, print the URL and login."""
    server.install(log=lambda msg: click.echo(msg, err=True))
    if not server.status()["healthy"]:
        click.echo("starting Label Studio (the very first start sets up its database: ~30 s)…", err=True)
    info = server.start(port=port)
    creds = load_or_create()
    click.echo(f"Label Studio is running at {info.url} (pid {info.pid}, data {info.data_dir})")
    click.echo(f"log in as {creds.username} / {creds.password}")
    click.echo(f"the API token is stored in {studio_dir() / CREDENTIALS_FILE} (mode 0600); "
               "stop with `conflictset studio stop`")


@studio.command("stop")
@handle_errors
def studio_stop() -> None:
    """Stop the local server."""
    info = server.stop()
    click.echo(f"stopped Label Studio at {info.url} (pid {info.pid})" if info
               else "no local Label Studio is running")


@studio.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def studio_status(as_json: bool) -> None:
    """Show whether the local server is installed, running and healthy."""
    state = server.status()
    if as_json:
        click.echo(json.dumps(state))
    elif state["running"]:
        click.echo(f"running at {state['url']} (pid {state['pid']}, "
                   f"{'healthy' if state['healthy'] else 'NOT answering'}), data {state['data_dir']}")
    else:
        click.echo("not running" + ("" if state["installed"] else
                                    "; not installed (`conflictset studio install`)"))


@studio.command("config")
@handle_errors
def studio_config() -> None:
    """Print the labelling config generated from the taxonomy (paste it to restore a project)."""
    click.echo(label_config(), nl=False)


@main.command("push")
@click.argument("build_dir", type=click.Path(file_okay=False))
@click.option("--project", default=None, help="Label Studio project title (created if missing). "
              "With --adjudicate: the adjudication project [default: '<reviewed project> — adjudication'].")
@click.option("--adjudicate", is_flag=True, help="Push the ties (sentences whose reviewers disagree "
              "and nobody decided; needs a pull into BUILD_DIR) to an adjudication project.")
@click.option("--min-score", type=float, default=None, help="Only sentences with score ≥ this.")
@click.option("--limit", type=int, default=None, help="At most this many sentences (after ordering).")
@click.option("--language", default=None, help="Only these languages (comma-separated codes).")
@click.option("--order", type=click.Choice(["document", "uncertain", "score"]), default="document",
              show_default=True, help="Review order: document order, most uncertain first, or "
              "highest score first.")
@click.option("--batch-size", type=int, default=1000, show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@handle_errors
def push_cmd(build_dir, project, adjudicate, min_score, limit, language, order, batch_size,
             no_progress) -> None:
    """Push BUILD_DIR/sentences.parquet as tasks with pre-labels (repeatable: adds only new ones).

    Every pushed task is recorded in BUILD_DIR/pushed.parquet, so a pull can report tasks
    deleted in Label Studio.
    """
    if adjudicate:
        chosen = [name for name, value in (("--min-score", min_score), ("--limit", limit),
                                           ("--language", language)) if value is not None]
        if chosen or order != "document":
            raise InputError(f"{', '.join(chosen) or '--order'} cannot be combined with --adjudicate",
                             fix="every tie is pushed; drop the filter")
        with progress_bar("pushing", not no_progress) as progress:
            result = push_adjudication(build_dir, project, batch_size=batch_size, progress=progress)
        if not result.selected:
            click.echo("no ties: every reviewed sentence has a final label; nothing to adjudicate")
            return
        click.echo(f"pushed {result.pushed} new tie(s) to {result.title!r} in {result.batches} "
                   f"batch(es); {result.already} of {result.selected} were already there")
        click.echo(f"adjudicate: {result.project_url}")
        click.echo(f"then: conflictset pull --project {result.title!r} --out {build_dir}")
        return
    if not project:
        raise InputError("--project is required (the Label Studio project title)", field="--project",
                         fix='add --project "My review"')
    with progress_bar("pushing", not no_progress) as progress:
        result = push(build_dir, project, min_score=min_score, limit=limit, language=language,
                      order=order, batch_size=batch_size, progress=progress)
    click.echo(f"pushed {result.pushed} new task(s) in {result.batches} batch(es); "
               f"{result.already} of {result.selected} selected sentences were already there")
    click.echo(f"review: {result.project_url}")


@main.command("pull")
@click.option("--project", default=None, help="Label Studio project title (a review or an "
              "adjudication project).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output directory "
              "(the build directory, to release what was reviewed).")
@click.option("--from-file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Parse this JSON export instead of asking the server.")
@click.option("--salt", default=None, help="Salt of the annotator pseudonyms. Default: the "
              "project's own (the value after 'conflictset-salt:' in its description) for a live "
              "pull, 'project-<id>' for --from-file; pass the project's salt to get the same "
              "pseudonyms from a file.")
@click.option("--pushed", type=click.Path(dir_okay=False), default=None,
              help="The push ledger, to report deleted tasks [default: OUT/pushed.parquet].")
@click.option("--allow-config-change", is_flag=True,
              help="Pull even if the project's labelling config was edited since the push.")
@handle_errors
def pull_cmd(project, out, from_file, salt, pushed, allow_config_change) -> None:
    """Export annotations into OUT/annotations.parquet, tasks.parquet, annotation_quarantine.parquet
    (an adjudication project: adjudications.parquet, adjudication_tasks.parquet,
    adjudication_quarantine.parquet, and its decisions merged into annotations.parquet)."""
    result = pull(project, out, from_file=from_file, salt=salt, pushed=pushed,
                  allow_config_change=allow_config_change)
    click.echo(result.summary())
    if result.counts["quarantined"]:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(result.counts["quarantine_reasons"].items()))
        name = (ADJUDICATION_FILES if result.adjudication else REVIEW_FILES)["quarantine"]
        click.echo(f"quarantined ({reasons}): see {out}/{name}", err=True)
