"""What a date mention is and what it resolves to: the one definition that the reference
(:mod:`.dates`, sentence by sentence) and the vectorised path (:mod:`.dates_vec`, whole frames)
both run.

Kinds of mention, tried in :data:`KINDS` order (a mention overlapping one of an earlier kind is
dropped), are grouped by the pre-check that opens them (:data:`KIND_GROUPS`). The regex of each
kind comes from a language's ``[dates]`` words (:func:`date_patterns`); every regex starts on a
word character and ends on a word boundary, so a match read again on its own gives the same
groups. A week resolves to its Wednesday (a weekend to its Saturday), a month to its 15th.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from conflictset.dataset.prelabel.lexicon import RELATIVE_DATE_TABLES, lexicon_for

#: pattern kinds by the pre-check group that opens them, in the order they are tried
KIND_GROUPS = {"numeric": ("iso", "dmy_num"), "month": ("d_month_y", "month_d_y", "month_y"),
               "weekday": ("weekday",), "relative": ("rel_day", "rel_week", "rel_month")}
KINDS = tuple(k for kinds in KIND_GROUPS.values() for k in kinds)
#: the ``[dates]`` table each relative kind reads
RELATIVE_TABLES = dict(zip(KIND_GROUPS["relative"], RELATIVE_DATE_TABLES, strict=True))

#: ACLED time precision of a kind's date (1 day, 2 week, 3 month); kinds not listed give a day
PRECISION = {"month_y": 3, "rel_week": 2, "rel_month": 3}
DAY_PRECISION = 1
#: the day a week (Wednesday) or a weekend (Saturday) resolves to, Monday = 0
MIDWEEK, WEEKEND_DAY = 2, 5
#: the day a month resolves to
MID_MONTH = 15
#: a relative week word holding this names a weekend
WEEKEND = "weekend"

ISO = r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"
DMY_NUMERIC = r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})\b"
#: either numeric pattern as a row test (their group names clash, so the groups are dropped)
NUMERIC_CHECK = "|".join(re.sub(r"\(\?P<\w+>", "(?:", p) for p in (ISO, DMY_NUMERIC))


def alternation(words) -> str:
    """``words`` as a regex alternation, longest first (a word never loses to its own prefix)."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class DatePatterns:
    """The date words of one language and the regex of every kind they allow."""

    regexes: dict[str, re.Pattern]  # kind → regex, in KINDS order
    months: dict[str, int]  # name as written → month number
    weekdays: dict[str, int]  # name as written → weekday, Monday = 0
    relative: dict[str, dict[str, int]]  # relative kind → word → units back


@functools.cache
def date_patterns(language: str) -> DatePatterns:
    """Month and weekday names match as written in the lexicon (English "May" is a month, "may"
    is not), relative words in any case; weekday names also as a prefix ("dinsdagochtend")."""
    d = lexicon_for(language).dates
    months, weekdays = d.get("months", {}), d.get("weekdays", {})
    relative = {kind: d.get(table, {}) for kind, table in RELATIVE_TABLES.items()}
    regexes = {"iso": ISO, "dmy_num": DMY_NUMERIC}
    if m := alternation(months):
        regexes |= {
            "d_month_y": rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th|e|er)?\.?\s+(?P<mon>{m})\.?(?:,?\s+(?P<y>\d{{4}}))?\b",
            "month_d_y": rf"\b(?P<mon>{m})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}})\b)?",
            "month_y": rf"\b(?P<mon>{m})\s+(?P<y>\d{{4}})\b",
        }
    if weekdays:
        regexes["weekday"] = rf"\b(?P<wd>{alternation(weekdays)})\w*"
    for kind, table in relative.items():
        if table:
            regexes[kind] = rf"(?i)\b(?P<rel>{alternation(table)})\b"
    return DatePatterns({kind: re.compile(p) for kind, p in regexes.items()}, months, weekdays, relative)
