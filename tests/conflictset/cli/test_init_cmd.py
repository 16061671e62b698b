"""`conflictset init`: a commented template that `release` refuses until it is filled in."""

from __future__ import annotations

from click.testing import CliRunner
from release_fixtures import make_sentences, write_build_dir

from conflictset.cli import main


def test_init_writes_the_template_and_release_names_what_is_missing(tmp_path):
    runner = CliRunner()
    build = write_build_dir(tmp_path / "build", make_sentences())
    (build / "dataset.toml").unlink()
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'dataset.toml'}: fill in name, [[authors]] and license" in result.output
    assert (tmp_path / "dataset.toml").read_text().startswith("# dataset.toml: what this dataset is called")

    refused = runner.invoke(main, ["release", str(build), "--version", "0.1.0", "--out", str(tmp_path / "rel")])
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1
    assert "3 problems in the dataset metadata: name: is empty" in refused.output
    assert not (tmp_path / "rel").exists()

    again = runner.invoke(main, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "already exists; nothing was written" in again.output
    forced = runner.invoke(main, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0


def test_init_defaults_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert (tmp_path / "dataset.toml").is_file()
