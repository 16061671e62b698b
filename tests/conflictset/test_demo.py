"""The demo (without a studio): its own dataset.toml, and running it again never changes a published version."""

from __future__ import annotations

import json
import tomllib

import yaml

from conflictset.demo import DEMO_METADATA, run_demo
from conflictset.export.validate_release import validate_path


def test_the_demo_runs_twice_and_publishes_changes_as_a_new_version(tmp_path):
    out = tmp_path / "demo-out"
    first = run_demo(out, studio=False)
    assert first.release_dir == (out / "releases" / "0.1.0").absolute() and first.version == "0.1.0"
    assert (out / "dataset.toml").read_text() == DEMO_METADATA.read_text()
    demo = tomllib.loads(DEMO_METADATA.read_text())
    cff = yaml.safe_load((first.release_dir / "CITATION.cff").read_text())
    assert (cff["title"], cff["license"], cff["url"]) == (demo["title"], demo["license"], demo["homepage"])
    assert [a.get("family-names", a.get("name")) for a in cff["authors"]] == ["Carberry", "conflictset contributors"]
    manifest = json.loads((first.release_dir / "manifest.json").read_text())
    assert manifest["name"] == "conflictset-demo" and "dataset.toml" in manifest["inputs"]
    assert validate_path(first.release_dir).ok
    before = {p: p.read_bytes() for p in first.release_dir.rglob("*") if p.is_file()}

    again = run_demo(out, studio=False)  # nothing changed: a no-op
    assert again.version == "0.1.0" and any("unchanged" in line for line in again.lines)
    assert {p: p.read_bytes() for p in first.release_dir.rglob("*") if p.is_file()} == before

    edited = (out / "dataset.toml").read_text().replace(demo["title"], "My edited demo")
    (out / "dataset.toml").write_text(edited)
    changed = run_demo(out, studio=False)  # different content: the next patch version, 0.1.0 untouched
    assert changed.version == "0.1.1" and changed.release_dir.name == "0.1.1"
    assert {p: p.read_bytes() for p in first.release_dir.rglob("*") if p.is_file()} == before
    changelog = (changed.release_dir / "CHANGELOG.md").read_text()
    assert "## [0.1.1]" in changelog and "Compared with 0.1.0" in changelog and "## [0.1.0]" in changelog
    assert (changed.release_dir / "README.md").read_text().split("---\n", 2)[2].startswith("# My edited demo\n")
