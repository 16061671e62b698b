"""The demo loop on the bundled sample corpus: build → studio → push → pull → release.

``run_demo`` chains the library functions and returns what a person needs to know; the CLI
prints it. The studio is left running so people can review straight away.

Releases go to ``OUT/releases/X.Y.Z`` with the demo's own metadata (``demo_dataset.toml``, copied
to ``OUT/dataset.toml`` beside the build, where ``conflictset release`` finds it). Running the demo
again re-publishes the latest version: the same content is a no-op; changed content (new reviews,
an edited ``OUT/dataset.toml``) becomes the next patch version, never a changed old one.
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
from conflictset.export.metadata import FILE_NAME, load
from conflictset.export.release import ReleaseSummary, release
from conflictset.export.versions import VersionExists, latest, published_in

SAMPLE_CORPUS = Path(conflictset.dataset.__file__).with_name("sample_corpus")
DEMO_METADATA = Path(__file__).with_name("demo_dataset.toml")
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
    version: str | None = None
    review_url: str | None = None
    login: str | None = None
    lines: list[str] = field(default_factory=list)


def run_demo(out: str | Path, *, studio: bool = True, project: str = DEMO_PROJECT,
             say: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Run the whole loop into ``out`` (``out/build``, ``out/dataset.toml``, ``out/releases/X.Y.Z``)."""
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

    meta_path = out / FILE_NAME
    if not meta_path.exists():
        meta_path.write_text(DEMO_METADATA.read_text(encoding="utf-8"), encoding="utf-8")
    rel = demo_release(build_dir, out / "releases", meta_path, say)
    result.release_dir, result.version = rel.out, rel.version
    result.lines += rel.lines()
    return result


def demo_release(build_dir: Path, releases: Path, meta_path: Path,
                 say: Callable[[str], None] = lambda _: None) -> ReleaseSummary:
    """Publish the latest version again (a no-op when nothing changed), else the next patch version."""
    current = latest(published_in(releases, load(meta_path).name))
    version = str(current.version) if current else DEMO_VERSION
    say(f"4/4 release {version} → {releases / version}")
    try:
        return release(build_dir, version, releases / version, meta=meta_path)
    except VersionExists:
        if current is None:
            raise
        bumped = str(current.version.bump_patch())
        say(f"    {version} is published and the content changed: release {bumped} → {releases / bumped}")
        return release(build_dir, bumped, releases / bumped, meta=meta_path)
