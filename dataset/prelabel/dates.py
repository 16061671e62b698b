"""DATE spans and the event date with ACLED time precision.

Recognised (month, weekday and relative words come from the lexicon's ``[dates]``):

- explicit dates: ``2016-05-23``, ``23/05/2016``, ``23 May 2016``, ``May 23, 2016``, ``23 mei``,
  ``December 13`` → precision 1 (the year defaults to the publication year, never after it);
- weekdays, also Dutch/German compounds (``dinsdag``, ``dinsdagochtend``, ``maandagnacht``) → the
  latest such day on or before publication, precision 1;
- relative days (``yesterday``, ``gisteren``) → publication date minus n, precision 1;
- relative weeks (``last week``, ``dit weekend``) → the Wednesday of that week (the Saturday for a
  weekend), precision 2;
- a month with a year (``May 2016``) or a relative month (``last month``) → the 15th, precision 3.

Without ``published_at`` only dates that carry their own year resolve; the others still get a
DATE span. When a sentence has several dates the most precise one wins, then the first.
Month and weekday names are matched with the case written in the lexicon (English "May" is a
month, "may" is not); relative words case-insensitively.

The patterns and constants are defined in :mod:`.date_spec`; the pre-labeller runs them over
whole frames (:mod:`.dates_vec`); :func:`mentions` and :func:`event_date` stay the reference it
is tested against and serve the rows it hands back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from conflictset.dataset.prelabel import date_spec as spec


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    date: dt.date | None
    precision: int


_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


@functools.cache
def _gates(language: str) -> dict[str, tuple[str, tuple | None]]:
    """Per kind, the cheap test :func:`_open` makes before its regex runs."""
    p = spec.date_patterns(language)
    gates = {kind: ("digit", None) for kind in spec.KIND_GROUPS["numeric"]}
    gates |= {kind: ("month", None) for kind in spec.KIND_GROUPS["month"]}
    gates["weekday"] = ("sub", tuple(p.weekdays))
    gates |= {kind: ("lower", tuple(k.lower() for k in table)) for kind, table in p.relative.items()}
    return gates


def _open(gate: tuple[str, tuple | None], text: str, lower: str, words: set, months) -> bool:
    """Cheap test whether a pattern can match at all (saves most regex passes)."""
    how, arg = gate
    if how == "digit":
        return _DIGIT.search(text) is not None
    if how == "month":
        return not words.isdisjoint(months)
    if how == "sub":
        return any(w in text for w in arg)
    return any(w in lower for w in arg)


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


@functools.cache
def kinds_for(language: str | None, groups: frozenset[str] | tuple[bool, ...]) -> tuple:
    """The (kind, regex) pairs :func:`mentions` tries for these ``groups`` — names of
    :data:`KIND_GROUPS`, or one flag per group in its order — computed once per combination."""
    if isinstance(groups, tuple):
        groups = frozenset(g for g, on in zip(spec.KIND_GROUPS, groups) if on)
    allowed = {k for g in groups for k in spec.KIND_GROUPS[g]}
    return tuple((kind, rx) for kind, rx in spec.date_patterns(language or "en").regexes.items() if kind in allowed)


def mentions(text: str, language: str | None, published: dt.date | None,
             groups: frozenset[str] | tuple[bool, ...] | None = None) -> list[DateMention]:
    """Date mentions in ``text``. ``groups`` (names of :data:`KIND_GROUPS`, or one flag per
    group) limits the patterns tried when a vectorised pre-check already knows which kinds can
    occur."""
    p = spec.date_patterns(language or "en")
    months, weekdays = p.months, p.weekdays
    rel_d, rel_w, rel_m = (p.relative[kind] for kind in spec.KIND_GROUPS["relative"])
    pats = p.regexes.items() if groups is None else kinds_for(language, groups)
    gates = _gates(language or "en")
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    lower = text.lower() if groups is None else ""
    words = set(_WORD.findall(text)) if groups is None else set()
    for kind, rx in pats:
        if groups is None and not _open(gates[kind], text, lower, words, months):
            continue
        for mt in rx.finditer(text):
            s, e = mt.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            date, prec = None, spec.PRECISION.get(kind, spec.DAY_PRECISION)
            g = mt.groupdict()
            if kind in spec.KIND_GROUPS["numeric"]:
                date = _safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
            elif kind in ("d_month_y", "month_d_y"):
                mon = months[g["mon"]]
                year = int(g["y"]) if g.get("y") else None
                if year is None and published is not None:
                    year = published.year
                    cand = _safe_date(year, mon, int(g["d"]))
                    if cand and cand > published:  # "December 13" read in January is last year
                        year -= 1
                date = _safe_date(year, mon, int(g["d"])) if year else None
            elif kind == "month_y":
                date = _safe_date(int(g["y"]), months[g["mon"]], spec.MID_MONTH)
            elif kind == "weekday" and published is not None:
                back = (published.weekday() - weekdays[g["wd"]]) % 7
                date = published - dt.timedelta(days=back)
            elif kind == "rel_day":
                n = rel_d[g["rel"].lower()] if g["rel"].lower() in rel_d else rel_d.get(g["rel"], 0)
                date = published - dt.timedelta(days=n) if published else None
            elif kind == "rel_week":
                key = g["rel"].lower()
                n = rel_w.get(key, 0)
                if published is not None:
                    monday = published - dt.timedelta(days=published.weekday() + 7 * n)
                    if spec.WEEKEND in key:
                        date = published - dt.timedelta(days=(published.weekday() - spec.WEEKEND_DAY) % 7 + 7 * n)
                    else:
                        date = monday + dt.timedelta(days=spec.MIDWEEK)
            elif kind == "rel_month":
                n = rel_m.get(g["rel"].lower(), 0)
                if published is not None:
                    y, m = published.year, published.month - n
                    while m < 1:
                        y, m = y - 1, m + 12
                    date = dt.date(y, m, spec.MID_MONTH)
            taken.append((s, e))
            out.append(DateMention(s, e, date, prec))
    return sorted(out, key=lambda m: m.start)


def event_date(found: list[DateMention]) -> tuple[dt.date | None, int | None]:
    resolved = [m for m in found if m.date is not None]
    if not resolved:
        return None, None
    best = min(resolved, key=lambda m: (m.precision, m.start))
    return best.date, best.precision
