"""Licence identifiers: SPDX ids as ``dataset.toml`` takes them, and what each output needs.

The SPDX list is the one in the vendored Citation File Format 1.2.0 schema
(``export/data/cff-schema-1.2.0.json``), so every licence a ``dataset.toml`` accepts also gives a
valid ``CITATION.cff``. Hugging Face cards take their own lower-case ids; a licence the Hub does not
list becomes ``license: other`` with ``license_name`` and ``license_link``.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path

CFF_SCHEMA_PATH = Path(__file__).with_name("data") / "cff-schema-1.2.0.json"

#: the Hub's licence ids (hub-docs, docs/hub/repositories-licenses.md) that are SPDX licences
HF_LICENSES = frozenset({
    "apache-2.0", "mit", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd-2-clause", "bsd-3-clause",
    "bsd-3-clause-clear", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0",
    "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0", "etalab-2.0",
    "eupl-1.1", "eupl-1.2", "agpl-3.0", "gpl-2.0", "gpl-3.0", "lgpl-2.1", "lgpl-3.0", "isc", "lppl-1.3c",
    "ms-pl", "mpl-2.0", "osl-3.0", "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib",
})
#: SPDX ids whose Hub id is not simply the lower-cased SPDX id
HF_ALIASES = {
    "ODbL-1.0": "odbl", "ODC-By-1.0": "odc-by", "PDDL-1.0": "pddl",
    "GPL-2.0-only": "gpl-2.0", "GPL-2.0-or-later": "gpl-2.0", "GPL-3.0-only": "gpl-3.0",
    "GPL-3.0-or-later": "gpl-3.0", "LGPL-2.1-only": "lgpl-2.1", "LGPL-2.1-or-later": "lgpl-2.1",
    "LGPL-3.0-only": "lgpl-3.0", "LGPL-3.0-or-later": "lgpl-3.0", "AGPL-3.0-only": "agpl-3.0",
    "AGPL-3.0-or-later": "agpl-3.0",
}


@cache
def cff_schema() -> dict:
    return json.loads(CFF_SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _spdx_by_lower() -> dict[str, str]:
    return {i.lower(): i for i in cff_schema()["definitions"]["license-enum"]["enum"]}


def spdx_id(text: str) -> str | None:
    """The canonical SPDX id for ``text`` (case-insensitive), or None when it is not one."""
    return _spdx_by_lower().get(text.strip().lower())


def close_spdx_ids(text: str, n: int = 3) -> list[str]:
    by_lower = _spdx_by_lower()
    return [by_lower[m] for m in difflib.get_close_matches(text.strip().lower(), by_lower, n=n, cutoff=0.6)]


def spdx_url(spdx: str) -> str:
    return f"https://spdx.org/licenses/{spdx}.html"


def hugging_face(spdx: str) -> dict[str, str]:
    """Front matter fields for the licence: ``license`` and, for ``other``, its name and link."""
    hub = HF_ALIASES.get(spdx, spdx.lower())
    if hub in HF_LICENSES or spdx in HF_ALIASES:
        return {"license": hub}
    return {"license": "other", "license_name": spdx.lower(), "license_link": spdx_url(spdx)}
