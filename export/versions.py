"""Published versions: SemVer numbers, the releases beside ``--out``, immutability, release dates.

A release directory's ``manifest.json`` names its dataset, version, date and files. The releases
of one dataset are found at ``--out`` itself and in the folders beside it (``releases/0.1.0``,
``releases/0.1.1``: every non-hidden sibling with a ``manifest.json`` of the same dataset name).
Among them, a version number never changes content: publishing it again with other files is
refused (:class:`VersionExists`), with the same files it is a no-op. The previous release (for the
changelog) is the highest older version found there, unless ``--previous DIR`` names one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import semver

from conflictset.schemas.errors import InputError

MANIFEST = "manifest.json"


class VersionExists(InputError):
    """This version of the dataset was published before with other content."""


def parse_version(text: str) -> semver.Version:
    try:
        return semver.Version.parse(text)
    except (TypeError, ValueError):
        raise InputError(f"version {text!r} is not X.Y.Z (Semantic Versioning 2.0.0, e.g. 1.0.0 or 1.1.0-rc.1)",
                         fix="use a semantic version such as 1.0.0") from None


@dataclass(frozen=True)
class Published:
    """A release on disk, as its manifest describes it."""

    path: Path
    name: str | None
    version: semver.Version
    date: str | None
    files: dict[str, str] = field(repr=False)  # file → sha256, manifest.json itself left out


def read_published(path: str | os.PathLike) -> Published | None:
    """The release at ``path``, or None when there is none (or its manifest is unreadable)."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        version = semver.Version.parse(manifest["version"])
        files = {name: meta["sha256"] for name, meta in manifest["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    dataset = manifest.get("dataset")
    return Published(path.absolute(), dataset.get("name") if isinstance(dataset, dict) else None, version,
                     manifest.get("date_published"), files)


def published_in(folder: str | os.PathLike, name: str, *, skip: Path | None = None) -> list[Published]:
    """The releases of dataset ``name`` in the non-hidden subfolders of ``folder``, by path."""
    folder = Path(folder).absolute()
    try:
        candidates = sorted(p for p in folder.iterdir() if p != skip and not p.name.startswith("."))
    except OSError:  # no such folder, or one we may not list: no releases we could compare with
        return []
    found = (read_published(p) for p in candidates)
    return [p for p in found if p is not None and p.name == name]


def published_beside(out: str | os.PathLike, name: str) -> list[Published]:
    """The releases of dataset ``name`` at ``out`` and in the non-hidden folders beside it."""
    out = Path(out).absolute()
    here = read_published(out)
    return ([here] if here is not None and here.name == name else []) + published_in(out.parent, name, skip=out)


def latest(found: list[Published]) -> Published | None:
    return max(found, key=lambda p: (p.version, str(p.path))) if found else None


def previous_release(found: list[Published], version: semver.Version) -> Published | None:
    return latest([p for p in found if p.version < version])


def explicit_previous(path: str | os.PathLike, version: semver.Version) -> Published:
    previous = read_published(path)
    if previous is None:
        raise InputError("is not a conflictset release (no readable manifest.json)", file=str(path),
                         fix="pass the directory of an earlier `conflictset release` as --previous")
    if not previous.version < version:
        raise InputError(f"holds version {previous.version}, which is not older than {version}", file=str(path),
                         fix="pass an earlier release as --previous, or choose a higher --version")
    return previous


def same_version(found: list[Published], version: semver.Version) -> list[Published]:
    return [p for p in found if str(p.version) == str(version)]


def check_immutable(existing: list[Published], version: str, files: dict[str, str]) -> None:
    """Refuse when ``version`` was published with files other than ``files``."""
    for other in existing:
        if other.files != files:
            changed = sorted(n for n in set(files) | set(other.files) if files.get(n) != other.files.get(n))
            raise VersionExists(
                f"version {version} of {other.name!r} was already published at {other.path} with different "
                f"content ({', '.join(changed)} would change); a published version never changes",
                fix=f"release it as a new version, e.g. --version {semver.Version.parse(version).bump_patch()}")


def release_date(configured: dt.date | None, existing: list[Published]) -> str:
    """The release date: the metadata's ``date_released``, else the date this version was first
    published, else ``SOURCE_DATE_EPOCH`` (reproducible builds), else today (UTC)."""
    if configured:
        return configured.isoformat()
    dates = sorted(p.date for p in existing if p.date)
    if dates:
        return dates[0]
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise InputError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds",
                             fix="set it to an integer such as 1767225600, or unset it") from None
    return dt.datetime.now(dt.UTC).date().isoformat()
