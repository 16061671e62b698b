"""Immutable versions, SemVer, release dates and CHANGELOG.md from `conflictset diff`."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from click.testing import CliRunner
from release_fixtures import (
    ARTICLES,
    METADATA,
    ann,
    make_annotations,
    make_sentences,
    scenario_annotations,
    write_build_dir,
    write_metadata,
)

from conflictset.cli import main
from conflictset.export.diff import events_diff
from conflictset.export.release import release
from conflictset.export.versions import VersionExists
from conflictset.schemas.errors import InputError, OutputError

UNDATED = METADATA.replace("date_released = 2026-01-15\n", "")


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def changed_build(tmp_path):
    """The scenario one review later: a sentence added and one removed, one relabelled, the tie decided."""
    articles = dict(ARTICLES)
    articles["a3"] = ("Rally in Homs", None, "Example Radio", dt.date(2016, 8, 1), [
        ("Thousands rallied in Homs against the siege.", "Peaceful protest",
         dict(actor1="Protesters", inter1="Protesters", location="Homs", country="Syria"))])
    sentences = make_sentences(articles).filter(pl.col("sentence_id") != "a2-00002")
    rows = scenario_annotations().filter(pl.col("annotation_id") != 4).to_dicts()
    rows += [ann("a1-00002", "ann-bbbbbbbbbb", "Mob violence", annotation_id=4, lead_time=25.0),
             ann("a2-00001", "ann-cccccccccc", "Remote explosive/landmine/IED", annotation_id=14, ground_truth=True)]
    return write_build_dir(tmp_path / "build-2", sentences, make_annotations(rows))


@pytest.fixture
def first(tmp_path):
    build = write_build_dir(tmp_path / "build", make_sentences(), scenario_annotations())
    release(build, "0.1.0", tmp_path / "releases" / "0.1.0")
    return build, tmp_path / "releases" / "0.1.0"


def test_republishing_a_changed_version_is_refused_and_changes_nothing(first, tmp_path):
    _, out = first
    before = snapshot(out)
    with pytest.raises(VersionExists) as err:
        release(changed_build(tmp_path), "0.1.0", out)
    message = str(err.value)
    assert f"version 0.1.0 of 'syria-2016-fixture' was already published at {out} with different content" in message
    assert "data/sentences.parquet" in message and "a published version never changes" in message
    assert message.endswith("fix: release it as a new version, e.g. --version 0.1.1")
    assert snapshot(out) == before
    assert [p.name for p in out.parent.iterdir()] == ["0.1.0"]  # no staging debris


def test_a_changed_version_is_refused_wherever_it_lives_beside_out(first, tmp_path):
    build, _ = first
    write_metadata(build, METADATA.replace('title = "Syria 2016 fixture events"', 'title = "Renamed"'))
    with pytest.raises(VersionExists, match="README.md"):  # metadata only: still different content
        release(build, "0.1.0", tmp_path / "releases" / "latest")
    assert not (tmp_path / "releases" / "latest").exists()


def test_the_same_content_again_is_a_no_op(first, tmp_path):
    build, out = first
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    summary = release(build, "0.1.0", out)
    assert summary.unchanged
    assert summary.lines() == [f"release 0.1.0 of syria-2016-fixture unchanged: {out} already holds exactly this "
                               "content (nothing written; a new version number publishes changes)"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    copy = release(build, "0.1.0", tmp_path / "copy")  # the same version elsewhere: the same bytes
    assert not copy.unchanged and snapshot(tmp_path / "copy") == snapshot(out)
    cli = CliRunner().invoke(main, ["release", str(build), "--version", "0.1.0", "--out", str(out)])
    assert cli.exit_code == 0 and "unchanged" in cli.output


def test_cli_refuses_a_changed_version_with_one_line(first, tmp_path):
    _, out = first
    result = CliRunner().invoke(main, ["release", str(changed_build(tmp_path)), "--version", "0.1.0",
                                       "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith("error: version 0.1.0 of 'syria-2016-fixture' was already published")
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0.0", "01.0.0", ""])
def test_versions_must_be_semver(first, tmp_path, version):
    build, _ = first
    with pytest.raises(InputError, match="is not X.Y.Z .Semantic Versioning 2.0.0"):
        release(build, version, tmp_path / "r")


def test_the_release_date_is_the_first_publication_of_the_version(tmp_path, monkeypatch):
    build = write_build_dir(tmp_path / "build", make_sentences(), scenario_annotations())
    write_metadata(build, UNDATED)
    out = tmp_path / "releases" / "1.0.0"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    assert release(build, "1.0.0", out).released == "2026-01-01"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # a year later, same content: same date, no-op
    again = release(build, "1.0.0", out)
    assert again.unchanged and again.released == "2026-01-01"
    assert json.loads((out / "manifest.json").read_text())["date_published"] == "2026-01-01"
    assert release(build, "1.0.1", tmp_path / "releases" / "1.0.1").released == "2027-01-01"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    today = dt.datetime.now(dt.UTC).date()
    got = dt.date.fromisoformat(release(build, "1.0.2", tmp_path / "elsewhere" / "1.0.2").released)
    assert abs((got - today).days) <= 1  # the wall clock only for a version's first publication
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH='soon' is not a Unix time"):
        release(build, "2.0.0", tmp_path / "x")


def test_changelog_says_what_changed_since_the_previous_release(first, tmp_path):
    _, old = first
    summary = release(changed_build(tmp_path), "0.2.0", tmp_path / "releases" / "0.2.0")
    assert summary.previous == "0.1.0"
    text = (tmp_path / "releases" / "0.2.0" / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog: Syria 2016 fixture events\n\nWhat changed in each version of this dataset, "
                           "newest first.\n\n## [0.2.0] - 2026-01-15\n\nCompared with 0.1.0 (`conflictset diff`):\n")
    assert "- Sentences: 1 added, 1 removed, 2 relabelled.\n" in text
    assert "- Events: 3 added, 0 removed, 0 merged.\n" in text
    assert "  - 1 sentence relabelled No event → Riots / Mob violence\n" in text
    assert "| category | 0.1.0 | 0.2.0 | added | removed | relabelled in | relabelled out |" in text
    assert "| Riots | 0 | 1 | 0 | 0 | 1 | 0 |" in text
    assert "- alpha_sub_event_type: 0.357 → " in text
    assert text.endswith("## [0.1.0] - 2026-01-15\n\nFirst release: 8 sentences, 5 events, 13 annotations.\n")
    manifest = json.loads((tmp_path / "releases" / "0.2.0" / "manifest.json").read_text())
    assert manifest["previous_version"] == "0.1.0"
    # the version after carries both earlier sections; --previous picks another base
    release(changed_build(tmp_path), "0.3.0", tmp_path / "releases" / "0.3.0")
    third = (tmp_path / "releases" / "0.3.0" / "CHANGELOG.md").read_text()
    assert [line for line in third.splitlines() if line.startswith("## ")] == [
        "## [0.3.0] - 2026-01-15", "## [0.2.0] - 2026-01-15", "## [0.1.0] - 2026-01-15"]
    assert "- No sentence, label or event changed" in third
    picked = release(changed_build(tmp_path), "0.4.0", tmp_path / "other" / "0.4.0", previous=old)
    assert picked.previous == "0.1.0"


def test_previous_must_be_an_older_release(first, tmp_path):
    build, old = first
    with pytest.raises(InputError, match="is not a conflictset release"):
        release(build, "0.2.0", tmp_path / "r", previous=tmp_path)
    with pytest.raises(InputError, match="holds version 0.1.0, which is not older than 0.1.0"):
        release(build, "0.1.0", tmp_path / "r", previous=old)


def test_releases_of_another_dataset_are_neither_previous_nor_replaced(first, tmp_path):
    build, old = first
    write_metadata(build, METADATA.replace('name = "syria-2016-fixture"', 'name = "other-dataset"'))
    assert release(build, "0.2.0", tmp_path / "releases" / "0.2.0").previous is None
    with pytest.raises(OutputError, match="holds release 0.1.0 of another dataset .'syria-2016-fixture', not "
                                          "'other-dataset'."):
        release(build, "0.3.0", old)


def test_events_diff_finds_merged_events():
    old = pl.DataFrame({"event_id": ["e1", "e2", "e3", "e4"], "sentence_id": ["s1", "s2", "s3", "s4"]})
    new = pl.DataFrame({"event_id": ["e1", "e1", "e5", "e6"], "sentence_id": ["s1", "s2", "s3", "s9"]})
    added, removed, merged = events_diff(old, new)
    assert added["event_id"].to_list() == ["e5", "e6"]
    assert removed["event_id"].to_list() == ["e2", "e3", "e4"]
    assert merged.rows() == [("e1", ["e1", "e2"])]
