"""The build command's help states the library's batch defaults (it cannot import them without
loading the whole pipeline, so a test keeps the two in step)."""

from click.testing import CliRunner

from conflictset.cli import main
from conflictset.dataset.build import DEFAULT_BATCH_SIZE
from conflictset.dataset.ingest import DEFAULT_BATCH_BYTES


def test_build_help_states_the_batch_defaults():
    text = " ".join(CliRunner().invoke(main, ["build", "--help"]).output.split())
    assert f"[default: {DEFAULT_BATCH_SIZE}]" in text
    assert f"{DEFAULT_BATCH_BYTES >> 20} MiB of article text" in text
