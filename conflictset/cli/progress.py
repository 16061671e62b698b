"""The one progress design: library functions take a ``progress(done, total)`` callback and the
CLI draws it as a rich bar on stderr (only on a terminal, and only for work long enough to watch)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class progress_bar:
    """``with progress_bar("pushing") as progress: push(..., progress=progress)``.

    ``unit="bytes"`` counts bytes (build); otherwise items (push). The bar appears only when
    ``enabled``, stderr is a terminal and ``total`` reaches ``min_total``; it vanishes when done.
    ``rate="rows"``: the callback also passes a running count (``progress(done, total, rows)``,
    e.g. shards done and input rows), shown as rows per second.
    """

    def __init__(self, label: str, enabled: bool = True, *, unit: str = "items", min_total: int = 0,
                 rate: str | None = None):
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self.unit = unit
        self.min_total = min_total
        self.rate = rate
        self._bar: Progress | None = None
        self._task = None
        self._started = time.monotonic()

    def __enter__(self):
        self._started = time.monotonic()
        return self.update if self.enabled else None

    def update(self, done: int, total: int | None, count: int | None = None) -> None:
        if self._bar is None:
            if total is not None and total < self.min_total:
                return
            columns = [DownloadColumn() if self.unit == "bytes" else MofNCompleteColumn()]
            if self.rate:
                columns.append(TextColumn("{task.fields[speed]}"))
            self._bar = Progress(self.label, BarColumn(), *columns, TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total, speed="")
        speed = ""
        if self.rate and count is not None:
            speed = f"{count / max(time.monotonic() - self._started, 1e-9):,.0f} {self.rate}/s"
        self._bar.update(self._task, completed=done, total=total, speed=speed)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
