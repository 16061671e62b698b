"""Text normalisation for whole-word matching with Aho–Corasick.

Sentences and lexicon terms go through the same steps: Unicode NFC, lower case, every character
that is not a letter, digit or combining mark becomes one space, and the result is padded with a
space on both sides. A term ``" car bomb "`` then matches only whole words ("car-bomb" too), which
agrees with a Unicode word-boundary regex while running at Aho–Corasick speed. The replacement is
one character for one character, so a match offset in the padded text minus one is the offset in
the original sentence (for the rare characters whose lower case has another length, the span
step re-checks the slice).

Acronyms are matched in a second, case-sensitive pass over the same text without lower-casing,
so "IS" (Islamic State) never matches the verb "is".
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# spaces already are what they would become: leaving them out of the class skips most matches
# (3× faster replace_all)
_NON_WORD = r"[^\p{L}\p{N}\p{M} ]"
# the words of an ASCII term once lower-cased (its only letters and digits; no marks, no İ)
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def padded_cased(text: pl.Expr) -> pl.Expr:
    """Non-letters → space, padded, case kept: the text acronyms and place names are matched on.

    The text is expected in NFC already (the ingest stage normalises every article; the evaluate
    command normalises gold files), which saves a pass on the hot path.
    """
    return pl.concat_str(pl.lit(" "), text.str.replace_all(_NON_WORD, " "), pl.lit(" "))


def padded_lower(text: pl.Expr) -> pl.Expr:
    """Lower-cased :func:`padded_cased`: the text that lexicon terms are matched on."""
    return lower_of_padded(padded_cased(text))


def lower_of_padded(padded: pl.Expr) -> pl.Expr:
    """Lower-case an already padded text, one character for one character.

    "İ" (U+0130) is the one letter whose lower case is two code points ("i̇"); it becomes "i"
    so offsets in the lower-cased text stay offsets in the sentence.
    """
    # Aho–Corasick (replace_many) finds the one letter faster than a literal replace_all
    return padded.str.replace_many(["İ"], ["I"]).str.to_lowercase()


def normalise_term(term: str) -> str:
    """A lexicon term in the form it has in :func:`padded_lower` text (without the padding)."""
    if term.isascii():  # most terms: one regex instead of a test per character
        return " ".join(_ASCII_WORD.findall(term.lower()))
    return _normalise_any(term)


def _normalise_any(term: str) -> str:
    text = unicodedata.normalize("NFC", term).replace("İ", "I").lower()
    text = "".join(ch if (ch.isalnum() or unicodedata.category(ch).startswith("M")) else " " for ch in text)
    return " ".join(text.split())


def normalise_cased(term: str) -> str:
    text = unicodedata.normalize("NFC", term)
    text = "".join(ch if (ch.isalnum() or unicodedata.category(ch).startswith("M")) else " " for ch in text)
    return " ".join(text.split())
