"""Every CLI command has help text and a section in README.md."""

from __future__ import annotations

import click
from click.testing import CliRunner

from conflictset.cli import main


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        yield full, cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, full + " ")


def test_every_command_has_help_and_readme_entry(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    commands = list(_commands(main))
    assert commands, "no commands registered"
    missing_help = [name for name, cmd in commands if not (cmd.help or "").strip()]
    assert not missing_help, f"commands without help text: {missing_help}"
    undocumented = [name for name, _ in commands if f"conflictset {name}" not in readme]
    assert not undocumented, f"commands not documented in README.md: {undocumented}"


def test_help_runs_for_every_command():
    runner = CliRunner()
    for name, _ in _commands(main):
        result = runner.invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output
