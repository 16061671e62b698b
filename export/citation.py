"""How to cite a release: ``CITATION.cff``, BibTeX entries and a one-line reference.

Everything derives from the dataset metadata (:mod:`conflictset.export.metadata`), the release
version and its date, so the same inputs give the same text. ``CITATION.cff`` is checked against
the vendored Citation File Format 1.2.0 schema before it is written; conflictset itself appears
in it as the software that produced the dataset (``references``).
"""

from __future__ import annotations

import re

import jsonschema
import yaml

from conflictset import __version__
from conflictset.export.licences import cff_schema
from conflictset.export.metadata import CITATION_TYPES, Author, CitationOverride, DatasetMetadata
from conflictset.schemas.errors import InputError

TOOL = "conflictset"
TOOL_AUTHORS = "conflictset contributors"
#: BibTeX entry type of each citation type, and the field its venue goes in
BIBTEX_TYPES = {"article": ("article", "journal"), "inproceedings": ("inproceedings", "booktitle"),
                "report": ("techreport", "institution"), "thesis": ("phdthesis", "school"),
                "book": ("book", "publisher"), "misc": ("misc", "howpublished")}
_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


# ---------------------------------------------------------------- CITATION.cff


def _present(fields: dict) -> dict:
    """The fields that have a value, in their order."""
    return {k: v for k, v in fields.items() if v}


def _cff_author(a: Author) -> dict:
    if a.name:
        return _present({"name": a.name, "orcid": a.orcid})
    return _present({"family-names": a.family_names, "given-names": a.given_names, "affiliation": a.affiliation,
                     "orcid": a.orcid})


def _cff_reference(c: CitationOverride) -> dict:
    kind = CITATION_TYPES[c.type]
    venue_field = {"article": "journal", "report": "institution", "thesis": "institution",
                   "book": "publisher"}.get(kind, "collection-title")
    venue = {"name": c.venue} if c.venue and venue_field in ("institution", "publisher") else c.venue
    return _present({"type": kind, "title": c.title, "authors": [_cff_author(a) for a in c.authors],
                     "year": c.year, venue_field: venue, "doi": c.doi, "url": c.url})


def cff(meta: DatasetMetadata, version: str, released: str) -> dict:
    """The CITATION.cff content as a mapping (keys in the order they are written)."""
    return _present({
        "cff-version": "1.2.0",
        "message": ("If you use this dataset, please cite the publication in preferred-citation, and this "
                    "version of the dataset." if meta.citation else
                    "If you use this dataset, please cite it using the metadata from this file."),
        "type": "dataset",
        "title": meta.title,
        "version": version,
        "date-released": released,
        "authors": [_cff_author(a) for a in meta.authors],
        "license": meta.license,
        "abstract": meta.description,
        "doi": meta.doi,
        "url": meta.url,
        "keywords": list(meta.keywords),
        "references": [{"type": "software", "title": TOOL, "version": __version__,
                        "authors": [{"name": TOOL_AUTHORS}], "abstract": "The software that produced this dataset."}],
        "preferred-citation": _cff_reference(meta.citation) if meta.citation else None,
    })


def cff_problems(text: str) -> list[str]:
    """Where ``text`` breaks the CFF 1.2.0 schema (empty when it is valid)."""
    data = yaml.safe_load(text)
    validator = jsonschema.Draft7Validator(cff_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]


def cff_text(meta: DatasetMetadata, version: str, released: str) -> str:
    """CITATION.cff as YAML, validated against the CFF 1.2.0 schema."""
    text = yaml.safe_dump(cff(meta, version, released), sort_keys=False, allow_unicode=True, width=100)
    problems = cff_problems(text)
    if problems:
        raise InputError(f"CITATION.cff would break the Citation File Format 1.2.0 schema: {'; '.join(problems)}",
                         file=meta.source, fix="correct these values in the dataset metadata")
    return text


# ---------------------------------------------------------------- BibTeX and plain text


def _bibtex_escape(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in text)


def _bibtex_name(a: Author) -> str:
    if a.name:
        return "{" + _bibtex_escape(a.name) + "}"  # braces: an organisation is not "Last, First"
    family = _bibtex_escape(a.family_names)
    return f"{family}, {_bibtex_escape(a.given_names)}" if a.given_names else family


def _entry(kind: str, key: str, fields: list[tuple[str, str | None]]) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key},\n{body}\n}}"


def _key(*parts) -> str:
    return re.sub(r"[^A-Za-z0-9_:.-]+", "-", "_".join(str(p) for p in parts)).strip("-")


def dataset_bibtex(meta: DatasetMetadata, version: str, released: str) -> str:
    """A BibTeX entry for this version of the dataset."""
    return _entry("misc", _key(meta.name, version), [
        ("author", " and ".join(_bibtex_name(a) for a in meta.authors)),
        ("title", "{" + _bibtex_escape(meta.title) + "}"),
        ("year", released[:4]),
        ("version", version),
        ("doi", meta.doi),
        ("url", meta.url),
        ("howpublished", f"Dataset, version {_bibtex_escape(version)}"),
        ("note", f"Produced with {TOOL} {_bibtex_escape(__version__)}"),
    ])


def override_bibtex(c: CitationOverride) -> str:
    kind, venue_field = BIBTEX_TYPES[c.type]
    first = c.authors[0]
    return _entry(kind, _key(first.family_names or first.name, c.year), [
        ("author", " and ".join(_bibtex_name(a) for a in c.authors)),
        ("title", "{" + _bibtex_escape(c.title) + "}"),
        (venue_field, _bibtex_escape(c.venue) if c.venue else None),
        ("year", str(c.year)),
        ("doi", c.doi),
        ("url", c.url),
    ])


def preferred_bibtex(meta: DatasetMetadata, version: str, released: str) -> str:
    """What people are asked to cite: the override's entry when there is one, else the dataset's."""
    return override_bibtex(meta.citation) if meta.citation else dataset_bibtex(meta, version, released)


def _initials(given: str) -> str:
    return " ".join("-".join(p[0] + "." for p in word.split("-") if p) for word in given.split())


def _names(authors: tuple[Author, ...]) -> str:
    names = [a.name or (f"{a.family_names}, {_initials(a.given_names)}" if a.given_names else a.family_names)
             for a in authors]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1]


def reference(meta: DatasetMetadata, version: str, released: str) -> str:
    """A one-line reference in APA style for this version of the dataset."""
    link = f" {meta.url}" if meta.url else ""
    return f"{_names(meta.authors)} ({released[:4]}). {meta.title} (Version {version}) [Data set].{link}"
