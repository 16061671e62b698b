"""What counts as a reported death toll: the windows, number rules and word lists that the
reference (:mod:`.fatalities`, sentence by sentence) and the vectorised path
(:mod:`.fatalities_vec`, whole frames) both run.

A number counts as fatalities when the nearest cue word around it is a death word: the cue is
looked for in the :data:`WINDOW_AFTER` words after the number and in the :data:`BEFORE_SPAN`
words before it, where the distance before skips qualifiers such as "at least".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from conflictset.dataset.prelabel.lexicon import lexicon_for
from conflictset.dataset.prelabel.normalise import normalise_term

#: words after a number in which its cue is looked for
WINDOW_AFTER = 7
#: words before a number in which its cue is looked for ...
WINDOW_BEFORE = 4
#: ... plus room for qualifiers: the positions scanned before a number
BEFORE_SPAN = WINDOW_BEFORE + 3
#: the distance of a cue that was not found (farther than any window)
NO_CUE = 99
#: four-digit numbers in this range are years (or clock times), not counts
YEAR_DIGITS, YEARS = 4, (1900, 2100)
#: "1,300" and "1.300" are one number: a separator followed by a group of three digits
GROUP_SEPARATORS, GROUP = ",.", r"\d{3}"


@dataclass(frozen=True)
class FatalityWords:
    """The fatality words of one language's ``[fatalities]``, normalised like the text they are
    matched in (:func:`.normalise.normalise_term`)."""

    numbers: tuple[tuple[str, int], ...]  # number phrase and its ACLED count ("dozens" → 12), lexicon order
    death: tuple[str, ...]  # phrases that make a nearby number deaths ("killed", "omgekomen")
    not_death: tuple[str, ...]  # phrases that make it something else (injured, troops, ages)
    qualifiers: frozenset[str]  # the words of "at least"-like phrases, not counted in distances
    including: tuple[str, ...]  # phrases saying a suicide bomber is already in the count


@functools.cache
def fatality_words(language: str) -> FatalityWords:
    lex = lexicon_for(language).fatalities
    phrases = lambda key: tuple(normalise_term(t) for t in lex.get(key, []))  # noqa: E731
    return FatalityWords(
        numbers=tuple((normalise_term(k), int(v)) for k, v in lex.get("words", {}).items()),
        death=phrases("death"),
        not_death=phrases("not_death"),
        qualifiers=frozenset(w for t in lex.get("at_least", []) for w in normalise_term(t).split()),
        including=phrases("including"),
    )
