"""Load the per-language lexicons (``lexicons/<lang>.toml``) into match tables.

A lexicon is data, not code: trigger terms per ACLED sub-event type (keyed by the exact name
from :mod:`schemas.taxonomy`), cue groups that rules combine, generic actor nouns by inter name,
death/number words for fatalities and date words. Named armed groups live in ``actors.toml``
(shared by all languages). Everything is normalised here exactly like the text it is matched
against (see :mod:`dataset.prelabel.normalise`), so a lexicon author writes plain words.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conflictset.dataset.prelabel.normalise import normalise_cased, normalise_term
from conflictset.schemas.taxonomy import INTER_NAMES, SUB_EVENT_TYPE_NAMES

LEXICON_DIR = Path(__file__).with_name("lexicons")
LANGUAGES = ("en", "nl", "fr", "es", "de", "ar")
#: sentences in a language without a lexicon are matched with this one
FALLBACK_LANGUAGE = "en"

STRONG, WEAK = 1.0, 0.5

# Arabic attaches conjunctions, prepositions and the article to the word: و (and), ف (so),
# ب (by/in), ل (for), ك (like), ال (the) and their combinations. We generate the prefixed
# variants of every Arabic term instead of stemming the text (keeps matching one vectorised pass).
ARABIC_CLITICS = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب")


class LexiconError(ValueError):
    """A lexicon file names something the taxonomy does not know."""


@dataclass(frozen=True)
class Lexicon:
    language: str
    triggers: dict[str, dict[str, list[str]]]
    cues: dict[str, list[str]]
    actors: dict[str, list[str]]
    fatalities: dict
    dates: dict
    raw: dict = field(repr=False, default_factory=dict)


def _arabic_variants(norm: str) -> list[str]:
    first, sep, rest = norm.partition(" ")
    has_article = first.startswith("ال")
    base = first[2:] if has_article else first
    forms = [first] + [p + first for p in ARABIC_CLITICS]
    if has_article:  # لل replaces ال after the preposition ل
        forms.append("لل" + base)
    else:
        forms += [p + "ال" + first for p in ("", "و", "ف", "ب", "ك")] + ["لل" + first]
    return [f + sep + rest for f in forms]


def _variants(term: str, language: str) -> list[str]:
    norm = normalise_term(term)
    if not norm:
        return []
    if language != "ar":
        return [norm]
    return list(dict.fromkeys(_arabic_variants(norm)))


@functools.cache
def load(language: str) -> Lexicon:
    path = LEXICON_DIR / f"{language}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    triggers = data.get("triggers", {})
    unknown = sorted(set(triggers) - set(SUB_EVENT_TYPE_NAMES))
    if unknown:
        raise LexiconError(
            f"{path.name}: unknown sub-event type(s) {unknown}; lexicon keys must be exact names from "
            f"conflictset.schemas.taxonomy.SUB_EVENT_TYPE_NAMES")
    actors = data.get("actors", {})
    bad = sorted(set(actors) - set(INTER_NAMES))
    if bad:
        raise LexiconError(f"{path.name}: unknown actor inter name(s) {bad}; expected {INTER_NAMES}")
    return Lexicon(language, triggers, data.get("cues", {}), actors, data.get("fatalities", {}),
                   data.get("dates", {}), data)


@functools.cache
def named_actors() -> tuple[dict, ...]:
    data = tomllib.loads((LEXICON_DIR / "actors.toml").read_text(encoding="utf-8"))
    for entry in data["actor"]:
        if entry["inter"] not in INTER_NAMES:
            raise LexiconError(f"actors.toml: {entry['name']!r} has inter {entry['inter']!r}; "
                               f"expected one of {INTER_NAMES}")
    return tuple(data["actor"])


def lexicon_for(language: str | None) -> Lexicon:
    return load(language if language in LANGUAGES else FALLBACK_LANGUAGE)


def _term_groups(lex: Lexicon) -> Iterator[tuple[str, list[str], bool]]:
    """(key, terms, cased) of every lexicon entry that gives patterns, in table order."""
    for sub, groups in lex.triggers.items():
        yield f"T:{sub}", groups.get("strong", []), False
        yield f"W:{sub}", groups.get("weak", []), False
        yield f"T:{sub}", groups.get("acronyms", []), True
    for cue, terms in lex.cues.items():
        if cue.endswith("_acronyms"):
            yield f"C:{cue.removesuffix('_acronyms')}", terms, True
        else:
            yield f"C:{cue}", terms, False
    yield "D", lex.fatalities.get("death", []), False
    # named groups also count as their side in the conflict (state / non-state)
    for entry in named_actors():
        side = "C:state_forces" if entry["inter"] == "State forces" else "C:nonstate_forces"
        if entry["inter"] == "External/Other forces":
            side = "C:state_forces"
        yield side, entry.get("terms", []), False
        yield side, entry.get("acronyms", []), True


def _patterns(terms: list[str], cased: bool, language: str) -> Iterator[tuple[str, str]]:
    """(padded pattern, lexicon spelling) of each term: acronyms as written, words normalised."""
    for term in terms:
        for v in ([term] if cased else _variants(term, language)):
            yield f" {v} ", term


#: the ``[dates]`` tables of relative words (word → days, weeks or months back)
RELATIVE_DATE_TABLES = ("relative_days", "relative_weeks", "relative_months")
#: keys of the date words, by the date pre-check group (:data:`.date_spec.KIND_GROUPS`) they open
DATE_KEYS = {"month": "date:month", "weekday": "date:weekday", "relative": "date:relative"}


@functools.lru_cache(maxsize=1)
def _date_word_rows() -> tuple[tuple[str, bool, str, str], ...]:
    """(pattern, cased, key, word) of the date words of every lexicon, in every language's table
    (the pre-checks of :mod:`.spans` test all languages' words): month names as written, weekdays
    as written and as word prefixes ("dinsdagochtend"), relative words lower-cased."""
    rows = []
    for lang in LANGUAGES:
        d = load(lang).dates
        rows += [(f" {normalise_cased(w)} ", True, DATE_KEYS["month"], w) for w in d.get("months", {})]
        rows += [(f" {normalise_cased(w)}", True, DATE_KEYS["weekday"], w) for w in d.get("weekdays", {})]
        rows += [(f" {normalise_term(w)} ", False, DATE_KEYS["relative"], w)
                 for table in RELATIVE_DATE_TABLES for w in d.get(table, {})]
    return tuple(r for r in rows if r[0].strip())


@functools.cache
def term_table(language: str) -> pl.DataFrame:
    """One row per (pattern, key): ``pattern`` padded (" term "), ``cased`` for acronyms.

    Keys: ``T:<sub>`` strong trigger, ``W:<sub>`` weak trigger, ``C:<cue>`` cue group,
    ``D`` death word, :data:`DATE_KEYS` date words. ``term`` keeps the lexicon spelling for
    evidence.
    """
    lex = lexicon_for(language)
    rows = [(pattern, cased, key, term) for key, terms, cased in _term_groups(lex)
            for pattern, term in _patterns(terms, cased, lex.language)] + list(_date_word_rows())
    return pl.DataFrame(rows, schema={"pattern": pl.String, "cased": pl.Boolean, "key": pl.String,
                                      "term": pl.String}, orient="row").unique(maintain_order=True)


@functools.lru_cache(maxsize=1)
def key_bits() -> dict[str, tuple[str, int]]:
    """Every lexicon key → (mask column, bit). Keys of a sentence are stored as three UInt64
    bit masks (``_mT`` strong triggers, ``_mW`` weak triggers, ``_mC`` cues and word classes),
    so a rule's test is one bitwise AND instead of a list search. The keys are read from the
    lexicons without building the term tables of every language (a key counts once it has a
    pattern)."""
    out: dict[str, tuple[str, int]] = {}
    for i, sub in enumerate(SUB_EVENT_TYPE_NAMES):
        out[f"T:{sub}"] = ("_mT", 1 << i)
        out[f"W:{sub}"] = ("_mW", 1 << i)
    others = set()
    for lang in LANGUAGES:
        lex = load(lang)
        others |= {key for key, terms, cased in _term_groups(lex)
                   if not key.startswith(("T:", "W:")) and next(_patterns(terms, cased, lex.language), None)}
    others |= {"C:" + c for lang in LANGUAGES for c in load(lang).cues}
    others |= {key for _, _, key, _ in _date_word_rows()}
    if len(others) > 64:
        raise LexiconError(f"{len(others)} cue groups; at most 64 fit the cue bit mask")
    for i, key in enumerate(sorted(others)):
        out[key] = ("_mC", 1 << i)
    return out
