"""Counts in prose, right for 0, 1 and many ("1 annotator", "2 annotators", "no events")."""

from __future__ import annotations

IRREGULAR = {"entry": "entries", "category": "categories"}


def plural(noun: str, n: int) -> str:
    return noun if n == 1 else IRREGULAR.get(noun, noun + "s")


def verb(n: int, singular: str, plural_form: str) -> str:
    """The verb form that agrees with ``n`` things: ``verb(1, "has", "have")``."""
    return singular if n == 1 else plural_form


def count(n: int, noun: str, *, zero: str | None = None) -> str:
    """``"1 annotator"``, ``"3 annotators"``; ``zero`` replaces ``"0 …s"`` (e.g. ``"no"``)."""
    return f"{zero if n == 0 and zero else n} {plural(noun, n)}"


def languages(codes: list[str]) -> str:
    """``"en"``, ``"2 languages (en, nl)"``, or ``"an unknown language"``."""
    if not codes:
        return "an unknown language"
    return codes[0] if len(codes) == 1 else f"{len(codes)} languages ({', '.join(codes)})"


def join(items: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
