"""dataset.toml: the template, validation on load (every problem at once, each with its fix), lookup."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from release_fixtures import METADATA, make_sentences, write_build_dir, write_metadata

from conflictset.export import metadata
from conflictset.export.release import release
from conflictset.schemas.errors import InputError, OutputError

FILLED = {"name": "sahel-events", "license": "CC-BY-4.0", "authors": [{"family_names": "Carberry"}]}


def problems(raw: dict) -> str:
    with pytest.raises(InputError) as err:
        metadata.from_dict(raw, "dataset.toml")
    return str(err.value)


def test_the_fixture_metadata_loads_with_every_field(tmp_path):
    meta = metadata.load(write_metadata(tmp_path))
    assert (meta.name, meta.title, meta.license) == ("syria-2016-fixture", "Syria 2016 fixture events", "CC-BY-4.0")
    person, group = meta.authors
    assert person.orcid == "https://orcid.org/0000-0002-1825-0097"
    assert (person.display, person.affiliation) == ("Josiah Carberry", "Example University")
    assert group.name == "Fixture Research Group" and group.display == "Fixture Research Group"
    assert meta.date_released == dt.date(2026, 1, 15)
    assert meta.funding == (metadata.Funding("Example Foundation", "EF-42"),)
    assert meta.url == "https://example.org/syria-2016-fixture"
    assert meta.to_dict()["authors"][1] == {"name": "Fixture Research Group"}


def test_the_blank_template_names_the_three_required_fields():
    message = problems(tomllib.loads(metadata.TEMPLATE))
    assert message.startswith("file dataset.toml: 3 problems in the dataset metadata: ")
    assert 'name: is empty — fill it in, e.g. name = "sahel-conflict-events"' in message
    assert "authors[1].family_names: missing or empty" in message
    assert 'license: is empty — fill it in, e.g. license = "CC-BY-4.0"' in message
    assert message.endswith("fix: edit the file (`conflictset init` writes a commented template)")


def test_the_template_filled_in_loads():
    text = (metadata.TEMPLATE.replace('name = ""', 'name = "sahel-events"')
            .replace('license = ""', 'license = "cc-by-4.0"').replace('family_names = ""', 'family_names = "Diallo"')
            .replace('given_names = ""', 'given_names = "Awa"'))
    meta = metadata.from_dict(tomllib.loads(text))
    assert (meta.name, meta.title, meta.license, meta.authors[0].display) == (
        "sahel-events", "sahel-events", "CC-BY-4.0", "Awa Diallo")


@pytest.mark.parametrize("change, expected", [
    ({"name": None}, 'name: missing — add name = "sahel-conflict-events"'),
    ({"name": "Sahel Events"}, "name: 'Sahel Events' is not a short id — use lowercase letters"),
    ({"authors": []}, "authors: no author given — add at least one [[authors]] block"),
    ({"license": None}, 'license: missing — add license = "CC-BY-4.0"'),
    ({"license": "CC-BY-4"}, "license: 'CC-BY-4' is not an SPDX licence id — did you mean CC-BY-4.0"),
    ({"licence": "MIT"}, "licence: unknown key — rename it to 'license'"),
    ({"keywords": "conflict"}, "keywords: expected a list of words, found 'conflict'"),
    ({"homepage": "example.org"}, "homepage: 'example.org' is not an http(s) URL"),
    ({"doi": "zenodo 123"}, "doi: 'zenodo 123' is not a DOI like 10.5281/zenodo.1234567"),
    ({"text_policy": "some"}, "text_policy: 'some' is not a text policy — use one of full, snippets, ids"),
    ({"date_released": "last week"}, "date_released: expected a date, found 'last week'"),
    ({"authors": [{"family_names": "Carberry", "orcid": "0000-0002-1825-0098"}]},
     "authors[1].orcid: 0000-0002-1825-0098 fails the ORCID check digit"),
    ({"authors": [{"name": "Group", "affiliation": "Uni"}]},
     "authors[1].affiliation: an organisation (name) has no affiliation"),
    ({"authors": [{"name": "Group", "family_names": "Carberry"}]}, "authors[1]: has both name and family_names"),
    ({"authors": [{"family_names": "Carberry", "email": "j@example.org"}]}, "authors[1].email: unknown key"),
    ({"citation": {"type": "blog", "title": "T", "year": "2026"}},
     "citation.type: 'blog' is not a known type"),
    ({"citation": {"type": "article", "title": "T", "year": "2026"}},
     "citation.year: expected a year such as 2026, found '2026'"),
])
def test_each_problem_names_the_field_and_the_fix(change, expected):
    raw = {k: v for k, v in {**FILLED, **change}.items() if v is not None}
    assert expected in problems(raw)


def test_every_problem_is_reported_at_once():
    message = problems({"name": "X Y", "license": "nope", "authors": [{"given_names": "A"}], "colour": "red"})
    assert message.count(" — ") == 5  # four problems with their fixes, and the closing fix
    assert "4 problems" in message


def test_identifiers_are_normalised():
    meta = metadata.from_dict({**FILLED, "license": "odbl-1.0", "doi": "https://doi.org/10.5281/zenodo.42",
                               "authors": [{"family_names": "Carberry", "orcid": "https://orcid.org/0000-0002-1825-0097"}]})
    assert (meta.license, meta.doi, meta.authors[0].orcid) == (
        "ODbL-1.0", "10.5281/zenodo.42", "https://orcid.org/0000-0002-1825-0097")
    assert meta.url == "https://doi.org/10.5281/zenodo.42"  # no homepage: the DOI is the landing page


def test_a_citation_override_defaults_to_the_dataset_authors():
    meta = metadata.from_dict({**FILLED, "citation": {"type": "article", "title": "Events", "year": 2026}})
    assert meta.citation.authors == meta.authors and meta.citation.venue is None


def test_syntax_errors_and_missing_files_are_input_errors(tmp_path):
    bad = tmp_path / "dataset.toml"
    bad.write_text('name = "x\n')
    with pytest.raises(InputError, match=r"file .*dataset.toml: not valid TOML \(.*line 1"):
        metadata.load(bad)
    with pytest.raises(InputError, match="no such file"):
        metadata.load(tmp_path / "other.toml")


def test_release_looks_beside_the_build_then_inside(tmp_path):
    build = write_build_dir(tmp_path / "build", make_sentences())  # writes build/dataset.toml
    assert metadata.find(build).name == "syria-2016-fixture"
    write_metadata(tmp_path, METADATA.replace('name = "syria-2016-fixture"', 'name = "beside"'))
    assert metadata.find(build).name == "beside"
    assert release(build, "1.0.0", tmp_path / "out").name == "beside"


def test_release_refuses_without_metadata_and_writes_nothing(tmp_path):
    build = write_build_dir(tmp_path / "build", make_sentences())
    (build / "dataset.toml").unlink()
    with pytest.raises(InputError, match=r"no dataset.toml beside or inside the build directory .* a release needs "
                                         r"a name, at least one author and a licence — fix: run `conflictset init "):
        release(build, "1.0.0", tmp_path / "out")
    write_metadata(build, METADATA.replace('license = "CC-BY-4.0"', ""))
    with pytest.raises(InputError, match='license: missing'):
        release(build, "1.0.0", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_write_template_never_overwrites_without_force(tmp_path):
    path = metadata.write_template(tmp_path / "project")
    assert path.read_text() == metadata.TEMPLATE
    path.write_text("mine")
    with pytest.raises(InputError, match="already exists; nothing was written — fix: edit it, or pass --force"):
        metadata.write_template(tmp_path / "project")
    assert path.read_text() == "mine"
    metadata.write_template(tmp_path / "project", force=True)
    assert path.read_text() == metadata.TEMPLATE
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError):
        metadata.write_template(tmp_path / "file")
