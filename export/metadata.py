"""``dataset.toml``: what the dataset is called, who made it, its licence and how to cite it.

A team keeps one file with its project; ``conflictset init`` writes a commented template and
``conflictset release`` reads it (``--meta FILE``; by default ``dataset.toml`` beside the build
directory, then inside it). It is validated on load: every problem — a missing ``name``, no
author, a licence that is not an SPDX id, a bad ORCID check digit, an unknown key — is reported
at once, each naming the field and the fix, as one :class:`InputError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from conflictset.dataset.io import output_error
from conflictset.export import licences
from conflictset.schemas.errors import InputError

FILE_NAME = "dataset.toml"
TEXT_POLICIES = ("full", "snippets", "ids")
#: citation override types: BibTeX entry type → CFF reference type
CITATION_TYPES = {"article": "article", "inproceedings": "conference-paper", "report": "report",
                  "thesis": "thesis", "book": "book", "misc": "generic"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}(?:\.\d+)?/[A-Za-z0-9:/_;\-.()\[\]\\]+)$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
INIT_HINT = "`conflictset init` writes a commented template"


@dataclass(frozen=True)
class Author:
    """A person (``family_names``, ``given_names``) or an organisation (``name``)."""

    family_names: str | None = None
    given_names: str | None = None
    name: str | None = None
    orcid: str | None = None  # https://orcid.org/0000-0002-1825-0097
    affiliation: str | None = None

    @property
    def display(self) -> str:
        return self.name or " ".join(p for p in (self.given_names, self.family_names) if p)


@dataclass(frozen=True)
class Funding:
    funder: str
    award: str | None = None


@dataclass(frozen=True)
class CitationOverride:
    """A publication to cite instead of the dataset itself."""

    type: str
    title: str
    year: int
    authors: tuple[Author, ...]
    venue: str | None = None
    doi: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class DatasetMetadata:
    name: str
    authors: tuple[Author, ...]
    license: str  # canonical SPDX id
    title: str = ""
    description: str | None = None
    homepage: str | None = None
    doi: str | None = None
    keywords: tuple[str, ...] = ()
    funding: tuple[Funding, ...] = ()
    citation: CitationOverride | None = None
    date_released: dt.date | None = None
    text_policy: str | None = None
    source: str | None = field(default=None, compare=False)  # the file it was read from

    def __post_init__(self):
        if not self.title:
            object.__setattr__(self, "title", self.name)

    @property
    def url(self) -> str | None:
        """The dataset's landing page: the homepage, else the DOI."""
        return self.homepage or (f"https://doi.org/{self.doi}" if self.doi else None)

    def to_dict(self) -> dict:
        """Plain values for manifest.json (no file path: the same metadata gives the same bytes)."""
        def author(a: Author) -> dict:
            return {k: v for k, v in vars(a).items() if v is not None}
        out = {"name": self.name, "title": self.title, "license": self.license,
               "authors": [author(a) for a in self.authors]}
        for key in ("description", "homepage", "doi"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.keywords:
            out["keywords"] = list(self.keywords)
        if self.funding:
            out["funding"] = [{k: v for k, v in vars(f).items() if v is not None} for f in self.funding]
        if self.citation:
            c = self.citation
            out["citation"] = {"type": c.type, "title": c.title, "year": c.year,
                               "authors": [author(a) for a in c.authors],
                               **{k: getattr(c, k) for k in ("venue", "doi", "url") if getattr(c, k)}}
        return out


# ---------------------------------------------------------------- validation


class _Checker:
    """Collects every problem of one file, so a person fixes them all in one go."""

    def __init__(self):
        self.problems: list[str] = []

    def add(self, where: str, message: str, fix: str) -> None:
        self.problems.append(f"{where}: {message} — {fix}")

    def keys(self, table: dict, allowed: tuple[str, ...], where: str = "") -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                self.add(f"{where}{key}", "unknown key", f"rename it to {close[0]!r}" if close else
                         f"remove it (known keys: {', '.join(allowed)})")

    def text(self, table: dict, key: str, where: str, *, required: bool = False, example: str = "…") -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.add(where, "missing", f"add {key} = \"{example}\"")
            return None
        if not isinstance(value, str):
            self.add(where, f"expected text, found {value!r}", f"write it in quotes: {key} = \"{value}\"")
            return None
        if not value.strip():
            if required:
                self.add(where, "is empty", f"fill it in, e.g. {key} = \"{example}\"")
            return None
        return value.strip()

    def pattern(self, value: str | None, regex: re.Pattern, where: str, expected: str) -> str | None:
        if value is None:
            return None
        match = regex.match(value)
        if not match:
            self.add(where, f"{value!r} is not {expected}", f"write {expected}")
            return None
        return match.group(1) if regex.groups else value


def _orcid_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2, the ORCID check digit."""
    base = digits.replace("-", "")
    total = 0
    for d in base[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return base[-1] == ("X" if check == 10 else str(check))


def _author(raw, where: str, check: _Checker) -> Author | None:
    if not isinstance(raw, dict):
        check.add(where, f"expected a table, found {raw!r}",
                  "write one [[authors]] block per author with family_names/given_names or name")
        return None
    check.keys(raw, ("family_names", "given_names", "name", "orcid", "affiliation"), f"{where}.")
    family = check.text(raw, "family_names", f"{where}.family_names")
    given = check.text(raw, "given_names", f"{where}.given_names")
    name = check.text(raw, "name", f"{where}.name")
    affiliation = check.text(raw, "affiliation", f"{where}.affiliation")
    orcid = check.pattern(check.text(raw, "orcid", f"{where}.orcid"), _ORCID, f"{where}.orcid",
                          "an ORCID iD like 0000-0002-1825-0097")
    if orcid and not _orcid_ok(orcid):
        check.add(f"{where}.orcid", f"{orcid} fails the ORCID check digit", "copy the iD from the author's ORCID page")
        orcid = None
    if name and (family or given):
        check.add(where, "has both name and family_names/given_names",
                  "use family_names and given_names for a person, name alone for an organisation")
        return None
    if not (name or family):
        check.add(f"{where}.family_names", "missing or empty (a person needs family_names, an organisation a name)",
                  "add family_names = \"…\" and given_names = \"…\", or name = \"Research Group\"")
        return None
    if name and affiliation:
        check.add(f"{where}.affiliation", "an organisation (name) has no affiliation",
                  "remove it, or describe a person with family_names and given_names")
        return None
    return Author(family_names=family, given_names=given, name=name,
                  orcid=f"https://orcid.org/{orcid}" if orcid else None, affiliation=affiliation)


def _authors(raw, where: str, check: _Checker, *, required: bool) -> tuple[Author, ...]:
    if raw is None or raw == []:
        if required:
            check.add(where, "no author given",
                      "add at least one [[authors]] block with family_names and given_names (or name)")
        return ()
    if not isinstance(raw, list):
        check.add(where, f"expected [[{where}]] blocks, found {raw!r}", "write one [[authors]] block per author")
        return ()
    found = [_author(a, f"{where}[{i}]", check) for i, a in enumerate(raw, 1)]
    return tuple(a for a in found if a)


def _keywords(raw, check: _Checker) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(k, str) and k.strip() for k in raw):
        check.add("keywords", f"expected a list of words, found {raw!r}", 'write keywords = ["conflict", "news"]')
        return ()
    return tuple(dict.fromkeys(k.strip() for k in raw))


def _funding(raw, check: _Checker) -> tuple[Funding, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.add("funding", f"expected [[funding]] blocks, found {raw!r}",
                  'write one [[funding]] block per grant with funder = "…" and award = "…"')
        return ()
    out = []
    for i, item in enumerate(raw, 1):
        where = f"funding[{i}]"
        if not isinstance(item, dict):
            check.add(where, f"expected a table, found {item!r}", 'write [[funding]] with funder = "…"')
            continue
        check.keys(item, ("funder", "award"), f"{where}.")
        funder = check.text(item, "funder", f"{where}.funder", required=True, example="European Research Council")
        award = check.text(item, "award", f"{where}.award")
        if funder:
            out.append(Funding(funder, award))
    return tuple(out)


def _citation(raw, authors: tuple[Author, ...], check: _Checker) -> CitationOverride | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add("citation", f"expected a [citation] table, found {raw!r}",
                  "write a [citation] table with type, title and year")
        return None
    check.keys(raw, ("type", "title", "year", "authors", "venue", "doi", "url"), "citation.")
    kind = check.text(raw, "type", "citation.type", required=True, example="article")
    if kind and kind not in CITATION_TYPES:
        check.add("citation.type", f"{kind!r} is not a known type", f"use one of {', '.join(CITATION_TYPES)}")
    title = check.text(raw, "title", "citation.title", required=True, example="Title of the paper")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1000 <= year <= 9999:
        check.add("citation.year", f"expected a year such as 2026, found {year!r}", "write year = 2026 (no quotes)")
        year = None
    cited = _authors(raw.get("authors"), "citation.authors", check, required=False) or authors
    venue = check.text(raw, "venue", "citation.venue")
    doi = check.pattern(check.text(raw, "doi", "citation.doi"), _DOI, "citation.doi", "a DOI like 10.1234/abcd")
    url = check.pattern(check.text(raw, "url", "citation.url"), _URL, "citation.url", "an http(s) URL")
    if not (kind in CITATION_TYPES and title and year):
        return None
    return CitationOverride(kind, title, year, cited, venue, doi, url)


def _date(raw, check: _Checker) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    check.add("date_released", f"expected a date, found {raw!r}", "write date_released = 2026-01-31 (no quotes)")
    return None


KEYS = ("name", "title", "description", "authors", "license", "homepage", "doi", "keywords", "funding",
        "citation", "date_released", "text_policy")


def from_dict(raw: dict, source: str | None = None) -> DatasetMetadata:
    """Validate a parsed ``dataset.toml``; every problem at once in one :class:`InputError`."""
    check = _Checker()
    check.keys(raw, KEYS)
    name = check.text(raw, "name", "name", required=True, example="sahel-conflict-events")
    if name and not _NAME.match(name):
        check.add("name", f"{name!r} is not a short id",
                  "use lowercase letters, digits, '-', '_' or '.' (at most 100), e.g. sahel-conflict-events; "
                  "put the human title in title")
        name = None
    title = check.text(raw, "title", "title")
    description = check.text(raw, "description", "description")
    authors = _authors(raw.get("authors"), "authors", check, required=True)
    license_text = check.text(raw, "license", "license", required=True, example="CC-BY-4.0")
    license_id = licences.spdx_id(license_text) if license_text else None
    if license_text and not license_id:
        close = licences.close_spdx_ids(license_text)
        check.add("license", f"{license_text!r} is not an SPDX licence id",
                  f"did you mean {' or '.join(close)}?" if close else
                  "use an id from https://spdx.org/licenses/, e.g. CC-BY-4.0, CC0-1.0 or ODbL-1.0")
    homepage = check.pattern(check.text(raw, "homepage", "homepage"), _URL, "homepage", "an http(s) URL")
    doi = check.pattern(check.text(raw, "doi", "doi"), _DOI, "doi", "a DOI like 10.5281/zenodo.1234567")
    policy = check.text(raw, "text_policy", "text_policy")
    if policy and policy not in TEXT_POLICIES:
        check.add("text_policy", f"{policy!r} is not a text policy", f"use one of {', '.join(TEXT_POLICIES)}")
    meta = dict(keywords=_keywords(raw.get("keywords"), check), funding=_funding(raw.get("funding"), check),
                citation=_citation(raw.get("citation"), authors, check),
                date_released=_date(raw.get("date_released"), check))
    if check.problems:
        n = len(check.problems)
        raise InputError(f"{n} problem{'s' if n > 1 else ''} in the dataset metadata: " + "; ".join(check.problems),
                         file=source, fix=f"edit the file ({INIT_HINT})")
    return DatasetMetadata(name=name, authors=authors, license=license_id, title=title or name,
                           description=description, homepage=homepage, doi=doi, text_policy=policy,
                           source=source, **meta)


def load(path: str | os.PathLike) -> DatasetMetadata:
    """Read and validate a ``dataset.toml``."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", file=str(path), fix=f"pass an existing --meta FILE ({INIT_HINT})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it: {exc}", file=str(path), fix="check the path and its permissions") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=str(path),
                         fix="correct the syntax (strings in double quotes, [[authors]] blocks after the "
                             "plain keys)") from None
    return from_dict(raw, str(path))


def default_paths(build_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Where ``release`` looks without ``--meta``: beside the build directory, then inside it."""
    build = Path(build_dir).absolute()
    return build.parent / FILE_NAME, build / FILE_NAME


def find(build_dir: str | os.PathLike) -> DatasetMetadata:
    """The metadata for a release of ``build_dir`` found in :func:`default_paths`."""
    candidates = default_paths(build_dir)
    for path in candidates:
        if path.is_file():
            return load(path)
    raise InputError(f"no {FILE_NAME} beside or inside the build directory (looked for "
                     f"{' and '.join(str(p) for p in candidates)}); a release needs a name, at least one "
                     "author and a licence",
                     fix=f"run `conflictset init {candidates[0].parent}` and fill it in, or pass --meta FILE")


TEMPLATE = '''\
# dataset.toml: what this dataset is called, who made it, its licence and how to cite it.
# `conflictset release` reads this file (from beside the build directory, else from inside it, or
# --meta FILE) and writes CITATION.cff, the card's BibTeX entry and the Croissant metadata from it.
# Required: name, at least one [[authors]] block, license. Everything else is optional.

# A short id: lowercase letters, digits, '-', '_' or '.', e.g. "sahel-conflict-events".
name = ""

# The title people see (defaults to name).
# title = "Conflict events in Sahel news, 2024"

# What the dataset holds, in a sentence or two.
# description = "Sentences from ... news articles labelled with ACLED event types."

# The licence of the labels and tables you publish, as an SPDX id (https://spdx.org/licenses/):
# e.g. CC-BY-4.0, CC0-1.0, ODbL-1.0. The article text stays under its publishers' terms: see
# text_policy below.
license = ""

# homepage = "https://example.org/our-dataset"
# doi = "10.5281/zenodo.1234567"          # the DOI of the dataset (e.g. Zenodo's concept DOI)
# keywords = ["conflict events", "ACLED", "news"]

# How much article text a release carries: "full" (every sentence), "snippets" (only the
# sentences that carry an event), "ids" (ids, offsets and URLs, no text). Default "full";
# `conflictset release --text-policy` overrides it.
# text_policy = "snippets"

# Leave this out and each version keeps the date of its first publication; set it (or the
# SOURCE_DATE_EPOCH environment variable) to reproduce a release byte for byte.
# date_released = 2026-01-31

# One [[authors]] block per author, in citation order. A person:
[[authors]]
given_names = ""
family_names = ""
# orcid = "0000-0002-1825-0097"
# affiliation = "University of ..."
#
# An organisation or team instead (no given/family names, no affiliation):
# [[authors]]
# name = "Example Conflict Research Group"

# One [[funding]] block per grant (optional):
# [[funding]]
# funder = "European Research Council"
# award = "ERC-2024-STG 101012345"

# Ask people to cite a paper instead of the dataset itself (optional):
# [citation]
# type = "article"          # article, inproceedings, report, thesis, book or misc
# title = "Title of the paper"
# year = 2026
# venue = "Journal of Peace Research"
# doi = "10.1177/00223433..."
# The paper's authors default to the dataset's; list others in [[citation.authors]] blocks.
'''


def write_template(directory: str | os.PathLike = ".", *, force: bool = False) -> Path:
    """Write the commented template as ``DIRECTORY/dataset.toml``; never overwrite without ``force``."""
    target = Path(directory) / FILE_NAME
    if target.exists() and not force:
        raise InputError("already exists; nothing was written", file=str(target),
                         fix="edit it, or pass --force to replace it with a fresh template")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(TEMPLATE, encoding="utf-8")
    except OSError as exc:
        raise output_error(target, exc) from None
    return target
