"""report.html: self-contained (nothing to fetch), with the three plots; opens in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conflictset.export.release import release

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def report_html(release_build, tmp_path) -> Path:
    release(release_build, "1.0.0", tmp_path / "release")
    return tmp_path / "release" / "report.html"


def test_report_is_self_contained(report_html):
    html = report_html.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html), "the report must not reference anything on the network"
    assert "<script" not in html.lower()
    assert not re.search(r"""\b(src|href)\s*=|@import|url\(""", html)
    assert "default-src 'none'" in html  # the browser itself refuses any fetch


def test_report_has_the_plots(report_html):
    html = report_html.read_text(encoding="utf-8")
    for chart in ("label-distribution", "agreement-per-category", "acceptance-per-category"):
        assert f'<figure id="{chart}">' in html
    assert html.count("<svg") == 4
    # one bar per category with data: label distribution has six event types, one "No event", one tie
    block = html.split('<figure id="label-distribution">')[1].split("</figure>")[0]
    assert block.count('class="bar"') == 7
    assert "Unresolved tie" in block and "No event" in block


def _chromium(args: list[str], page: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_report_opens_in_headless_chromium_without_console_errors(report_html, tmp_path):
    # the detector works: a page with a broken script logs CONSOLE lines
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><script>console.error("boom"); nope();</script></body></html>')
    assert "CONSOLE" in _chromium(["--dump-dom"], bad, tmp_path).stderr

    shot = tmp_path / "report.png"
    run = _chromium([f"--screenshot={shot}", "--window-size=900,1500"], report_html, tmp_path)
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    image = pytest.importorskip("PIL.Image")
    with image.open(shot) as img:
        assert img.size == (900, 1500)
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    bar_blue = (0x3B, 0x6E, 0xA8)
    assert any(rgb == bar_blue and n > 1000 for n, rgb in colours), "the bars were not drawn"
