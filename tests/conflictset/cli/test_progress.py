"""The CLI's one progress bar: drawn on a terminal only, and only for work long enough to watch."""

from __future__ import annotations

import sys

from conflictset.cli.progress import progress_bar


def test_no_bar_without_a_terminal():
    with progress_bar("building", True) as progress:  # pytest's stderr is no terminal
        assert progress is None


def test_bar_only_when_enabled_and_long_enough(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress_bar("building", False) as progress:
        assert progress is None
    with progress_bar("building", True, unit="bytes", min_total=100) as progress:
        progress(0, 99)
        assert progress.__self__._bar is None  # too short to watch
    with progress_bar("pushing", True) as progress:
        progress(0, 10)
        progress(10, 10)
        bar = progress.__self__._bar
        assert bar is not None and bar.tasks[0].completed == 10 and bar.tasks[0].total == 10
