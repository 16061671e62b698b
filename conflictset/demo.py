"""The demo loop on the bundled sample corpus: build → studio → push → pull → release.

``run_demo`` chains the library functions and returns what a person needs to know; the CLI
prints it. The studio is left running so people can review straight away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import conflictset.dataset
from conflictset.dataset.build import build
from conflictset.export.label_studio import server
from conflictset.export.label_studio.client import StudioClient
from conflictset.export.label_studio.credentials import load_or_create
from conflictset.export.label_studio.pull import pull
from conflictset.export.label_studio.push import push
from conflictset.export.release import release

SAMPLE_CORPUS = Path(conflictset.dataset.__file__).with_name("sample_corpus")
DEMO_PROJECT = "conflictset demo"
DEMO_VERSION = "0.1.0"


def demo_push(build_dir: str | Path, project: str = DEMO_PROJECT, *, root: Path | None = None) -> str:
    """Start the local studio (installing it on first use), push the build, return the review URL."""
    info = server.start(root)
    with StudioClient(info.url, load_or_create(root).token) as client:
        return push(build_dir, project, client=client).project_url


@dataclass
class DemoResult:
    build_dir: Path
    release_dir: Path | None = None
    review_url: str | None = None
    login: str | None = None
    lines: list[str] = field(default_factory=list)


def run_demo(out: str | Path, *, studio: bool = True, project: str = DEMO_PROJECT,
             say: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Run the whole loop into ``out`` (``out/build``, ``out/release``)."""
    out = Path(out)
    build_dir = out / "build"
    result = DemoResult(build_dir=build_dir)

    say(f"1/4 build {SAMPLE_CORPUS} → {build_dir}")
    summary = build([SAMPLE_CORPUS], build_dir)
    result.lines += summary.lines()

    if studio:
        say("2/4 start the local Label Studio (installs it on first use) and push for review")
        result.review_url = demo_push(build_dir, project)
        creds = load_or_create()
        result.login = f"{creds.username} / {creds.password}"
        say("3/4 pull what has been reviewed so far")
        pulled = pull(project, build_dir)
        result.lines.append(pulled.summary())
    else:
        say("2/4 and 3/4 skipped (--no-studio): every sentence keeps its pre-label")

    release_dir = out / "release"
    say(f"4/4 release {DEMO_VERSION} → {release_dir}")
    rel = release(build_dir, DEMO_VERSION, release_dir)
    result.release_dir = release_dir
    result.lines += rel.lines()
    return result
