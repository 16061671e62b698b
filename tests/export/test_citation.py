"""Citation outputs: CITATION.cff valid against the CFF 1.2.0 schema, BibTeX, Croissant, card and report."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from release_fixtures import METADATA, make_sentences, scenario_annotations, write_build_dir, write_metadata

from conflictset import __version__
from conflictset.export import citation, licences, metadata
from conflictset.export.release import release

OVERRIDE = METADATA + """
[citation]
type = "article"
title = "Counting air strikes & clashes: a {test} corpus"
year = 2025
venue = "Journal of Peace_Research"
doi = "10.1177/0022343312345678"

[[citation.authors]]
family_names = "van der Berg"
given_names = "Jan-Willem"
"""


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """One release with the fixture metadata, one whose metadata asks people to cite a paper."""
    root = tmp_path_factory.mktemp("citation")
    build = write_build_dir(root / "build", make_sentences(), scenario_annotations())
    release(build, "1.2.0-rc.1", root / "plain")
    write_metadata(build, OVERRIDE.replace('homepage = "https://example.org/syria-2016-fixture"\n', ""))
    release(build, "1.0.0", root / "override")
    return root / "plain", root / "override"


def cff_of(path):
    return yaml.safe_load((path / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_is_valid_against_the_cff_schema(released):
    schema = licences.cff_schema()
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    for path in released:
        jsonschema.validate(cff_of(path), schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
        assert citation.cff_problems((path / "CITATION.cff").read_text()) == []


def test_citation_cff_content(released):
    plain, override = map(cff_of, released)
    assert plain["type"] == "dataset" and plain["title"] == "Syria 2016 fixture events"
    assert (plain["version"], plain["date-released"], plain["license"]) == ("1.2.0-rc.1", "2026-01-15", "CC-BY-4.0")
    assert plain["authors"] == [
        {"family-names": "Carberry", "given-names": "Josiah", "affiliation": "Example University",
         "orcid": "https://orcid.org/0000-0002-1825-0097"},
        {"name": "Fixture Research Group"}]
    assert plain["url"] == "https://example.org/syria-2016-fixture"
    assert plain["references"][0]["title"] == "conflictset" and plain["references"][0]["version"] == __version__
    assert "preferred-citation" not in plain
    paper = override["preferred-citation"]
    assert (paper["type"], paper["journal"], paper["year"], paper["doi"]) == (
        "article", "Journal of Peace_Research", 2025, "10.1177/0022343312345678")
    assert paper["authors"] == [{"family-names": "van der Berg", "given-names": "Jan-Willem"}]


def test_the_schema_check_catches_a_broken_file():
    broken = "cff-version: 1.2.0\nmessage: m\ntitle: t\nauthors: []\nlicense: Not-A-Licence\n"
    found = citation.cff_problems(broken)
    assert any(p.startswith("authors:") for p in found) and any(p.startswith("license:") for p in found)


def test_bibtex_entries_escape_and_brace(released):
    meta = metadata.load(released[1].parent / "build" / "dataset.toml")
    entry = citation.override_bibtex(meta.citation)
    assert entry.startswith("@article{van-der-Berg_2025,\n")
    assert "  author = {van der Berg, Jan-Willem},\n" in entry
    assert r"  title = {{Counting air strikes \& clashes: a \{test\} corpus}}," in entry
    assert r"  journal = {Journal of Peace\_Research}," in entry
    dataset = citation.dataset_bibtex(meta, "1.0.0", "2026-01-15")
    assert dataset.startswith("@misc{syria-2016-fixture_1.0.0,\n")
    assert "  author = {Carberry, Josiah and {Fixture Research Group}}," in dataset  # an organisation stays whole
    assert f"  note = {{Produced with conflictset {__version__}}}" in dataset
    assert citation.reference(meta, "1.0.0", "2026-01-15") == (
        "Carberry, J., & Fixture Research Group (2026). Syria 2016 fixture events (Version 1.0.0) [Data set].")


def test_card_is_titled_with_the_dataset_and_carries_the_bibtex(released):
    plain, override = released
    card = (plain / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["pretty_name"] == "Syria 2016 fixture events"
    assert front["license"] == "cc-by-4.0" and front["source_datasets"] == ["original"]
    assert front["annotations_creators"] == ["machine-generated", "expert-generated"]
    assert front["language_creators"] == ["found"] and front["multilinguality"] == ["monolingual"]
    body = card.split("---\n", 2)[2]
    assert body.startswith("# Syria 2016 fixture events\n\nEight sentences from two articles")
    assert f"| produced with | conflictset {__version__} (software) |" in body
    assert "| authors | Josiah Carberry (Example University) [ORCID](https://orcid.org/0000-0002-1825-0097); " \
           "Fixture Research Group |" in body
    assert "| funding | Example Foundation (award EF-42) |" in body
    assert "```bibtex\n@misc{syria-2016-fixture_1.2.0-rc.1," in body
    assert "Please cite this version of the dataset:" in body
    paper_card = (override / "README.md").read_text()
    assert paper_card.index("@article{van-der-Berg_2025") < paper_card.index("@misc{syria-2016-fixture_1.0.0")


def test_croissant_has_creators_url_dates_and_cite_as(released):
    plain, override = (json.loads((p / "croissant.json").read_text()) for p in released)
    assert (plain["name"], plain["version"], plain["datePublished"]) == ("syria-2016-fixture", "1.2.0-rc.1",
                                                                         "2026-01-15")
    assert plain["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert plain["url"] == "https://example.org/syria-2016-fixture"
    assert plain["creator"] == [
        {"@type": "sc:Person", "name": "Josiah Carberry", "familyName": "Carberry", "givenName": "Josiah",
         "affiliation": {"@type": "sc:Organization", "name": "Example University"},
         "url": "https://orcid.org/0000-0002-1825-0097", "identifier": "https://orcid.org/0000-0002-1825-0097"},
        {"@type": "sc:Organization", "name": "Fixture Research Group"}]
    assert plain["citeAs"].startswith("@misc{syria-2016-fixture_1.2.0-rc.1,")
    assert override["citeAs"].startswith("@article{van-der-Berg_2025,")
    assert "url" not in override  # no homepage and no DOI: nothing to point at


def test_croissant_with_the_new_fields_is_valid_under_mlcroissant(released):
    mlc = pytest.importorskip("mlcroissant")
    ds = mlc.Dataset(jsonld=str(released[0] / "croissant.json"))
    assert not ds.metadata.ctx.issues.errors
    assert not ds.metadata.ctx.issues.warnings
    meta = ds.metadata
    assert meta.version == "1.2.0-rc.1" and meta.date_published.date().isoformat() == "2026-01-15"
    assert [c.name for c in meta.creators] == ["Josiah Carberry", "Fixture Research Group"]
    assert meta.cite_as.startswith("@misc{") and meta.url == "https://example.org/syria-2016-fixture"


def test_report_is_titled_with_the_dataset(released):
    html = (released[0] / "report.html").read_text()
    assert "<title>Syria 2016 fixture events 1.2.0-rc.1: report</title>" in html
    assert "<h1>Syria 2016 fixture events</h1>" in html
    assert f"Produced with conflictset {__version__} (software)" in html
    assert "by Josiah Carberry and Fixture Research Group" in html


@pytest.mark.parametrize("spdx, fields", [
    ("CC-BY-4.0", {"license": "cc-by-4.0"}),
    ("ODbL-1.0", {"license": "odbl"}),
    ("GPL-3.0-or-later", {"license": "gpl-3.0"}),
    ("OGL-UK-3.0", {"license": "other", "license_name": "ogl-uk-3.0",
                    "license_link": "https://spdx.org/licenses/OGL-UK-3.0.html"}),
])
def test_hugging_face_licence_fields(spdx, fields):
    assert licences.hugging_face(spdx) == fields
