"""Reported deaths in a sentence, counted the ACLED way.

A number counts as fatalities when the nearest cue word around it (in the windows of
:mod:`.fatality_spec`, which also holds the word lists) is a death word ("killed",
"omgekomen", "tués") and not a word that makes it something else: injured, arrested, troops,
protesters, ages, distances ("250 leden van de special forces … geland" is a troop count, "7
injured" is not deaths). ACLED counting: "at least 22" → 22; vague plurals ("several", "a few",
"many") → 3; "dozens" → 12; "hundreds" → 100 (all from the lexicon's ``[fatalities.words]``).
When several figures are attached to deaths, the first one is kept (later figures are often
cumulative tolls). A suicide bombing adds the bomber (+1) unless the sentence says the figure
includes the bomber.

Runs in Python only on the sentences whose vectorised match found a death word.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from conflictset.dataset.prelabel import fatality_spec as spec
from conflictset.dataset.prelabel.normalise import normalise_term

_TOKEN = re.compile(r"\d[\d.,]*\d|\d|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_GROUP_SEPARATOR = re.compile(rf"[{re.escape(spec.GROUP_SEPARATORS)}](?={spec.GROUP}\b)")


@dataclass(frozen=True)
class Count:
    value: int
    start: int
    end: int


@functools.cache
def _vocab(language: str):
    """:func:`.fatality_spec.fatality_words` as lookup tables."""
    lex = spec.fatality_words(language)
    words = dict(lex.numbers)
    death = _index(tuple(p.split()) for p in lex.death)
    not_death = _index(tuple(p.split()) for p in lex.not_death)
    first_words = frozenset(w.split()[0] for w in words)
    return words, death, not_death, lex.qualifiers, first_words


def _index(phrases) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by their first word, longest first (so lookup at a token is one dict hit)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        if p:
            out.setdefault(p[0], []).append(p)
    for v in out.values():
        v.sort(key=len, reverse=True)
    return out


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _number(tokens, i, words, first_words) -> tuple[int, int] | None:
    """(value, n_tokens) of a number starting at token i, else None."""
    tok = tokens[i][0]
    if tok[0].isdigit():
        digits = _GROUP_SEPARATOR.sub("", tok)
        if not digits.isdigit():
            return None
        value = int(digits)
        # years and clock times are not counts
        if len(digits) == spec.YEAR_DIGITS and spec.YEARS[0] <= value <= spec.YEARS[1]:
            return None
        return value, 1
    if tok not in first_words:
        return None
    for n in (3, 2, 1):
        phrase = " ".join(t[0] for t in tokens[i:i + n])
        if len(tokens[i:i + n]) == n and phrase in words:
            return words[phrase], n
    return None


def _starts_with(tokens, i, index) -> bool:
    for p in index.get(tokens[i][0], ()):
        if len(p) == 1 or tuple(t[0] for t in tokens[i:i + len(p)]) == p:
            return True
    return False


def _nearest_cue(tokens, j_range, death, not_death, skip=frozenset()) -> tuple[str | None, int]:
    """Kind of the nearest cue in ``j_range`` ("death"/"other"/None) and its distance in words
    (words in ``skip``, e.g. "at least", do not count)."""
    dist = 0
    for j in j_range:
        if j < 0 or j >= len(tokens):
            break
        if _starts_with(tokens, j, not_death):
            return "other", dist
        if _starts_with(tokens, j, death):
            return "death", dist
        if tokens[j][0] not in skip:
            dist += 1
    return None, spec.NO_CUE


def counts(text: str, language: str | None) -> list[Count]:
    """Every number phrase in ``text`` that reports deaths, with its character offsets."""
    words, death, not_death, qualifiers, first_words = _vocab(language or "en")
    tokens = _tokens(text)
    found: list[Count] = []
    i = 0
    while i < len(tokens):
        num = _number(tokens, i, words, first_words)
        if num is None:
            i += 1
            continue
        value, n = num
        after, d_after = _nearest_cue(tokens, range(i + n, i + n + spec.WINDOW_AFTER), death, not_death)
        before, d_before = _nearest_cue(tokens, range(i - 1, i - 1 - spec.BEFORE_SPAN, -1), death, not_death,
                                        qualifiers)
        # the closer cue decides ("killing 3 and wounding 10": 3 is deaths, 10 is not)
        kind = after if d_after <= d_before else before
        if kind == "death":
            found.append(Count(value, tokens[i][1], tokens[i + n - 1][2]))
        i += n
    return found


def fatalities(text: str, language: str | None, suicide_bomb: bool = False) -> tuple[int | None, list[Count]]:
    """ACLED fatality count of a sentence (None when no deaths are reported) and its spans."""
    found = counts(text, language)
    value = found[0].value if found else None
    if suicide_bomb:
        including = spec.fatality_words(language or "en").including
        norm = normalise_term(text)
        if not any(phrase in norm for phrase in including):
            value = (value or 0) + 1
    return value, found
