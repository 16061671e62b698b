"""Lexicon files: keys come from the taxonomy, every sub-event type has a rule and triggers."""

import tomllib

import pytest

from conflictset.dataset.prelabel.lexicon import (
    LANGUAGES,
    LEXICON_DIR,
    LexiconError,
    key_bits,
    load,
    named_actors,
    term_table,
)
from conflictset.dataset.prelabel.rules import RULES
from conflictset.schemas.taxonomy import INTER_NAMES, SUB_EVENT_TYPE_NAMES


@pytest.mark.parametrize("language", LANGUAGES)
def test_trigger_keys_are_sub_event_types(language):
    data = tomllib.loads((LEXICON_DIR / f"{language}.toml").read_text(encoding="utf-8"))
    assert data["language"] == language
    assert set(data["triggers"]) <= set(SUB_EVENT_TYPE_NAMES)
    assert set(data["actors"]) <= set(INTER_NAMES)


@pytest.mark.parametrize("language", ("en", "nl"))
def test_core_languages_cover_every_sub_event_type(language):
    lex = load(language)
    for sub in SUB_EVENT_TYPE_NAMES:
        assert lex.triggers.get(sub, {}).get("strong"), f"{language}: no strong trigger for {sub}"


def test_every_sub_event_type_has_exactly_one_rule():
    subs = [r.sub_event_type for r in RULES]
    assert sorted(subs) == sorted(SUB_EVENT_TYPE_NAMES)
    assert len({r.name for r in RULES}) == len(RULES)
    assert all(r.name.startswith("lf_") and r.doc for r in RULES)


def test_named_actors_use_inter_names():
    assert named_actors()
    assert all(a["inter"] in INTER_NAMES for a in named_actors())
    assert any(a["name"] == "Islamic State" and "IS" in a["acronyms"] for a in named_actors())


def test_unknown_sub_event_type_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "xx.toml"
    bad.write_text('language = "xx"\n[triggers."Air strike"]\nstrong = ["bomb"]\n', encoding="utf-8")
    monkeypatch.setattr("conflictset.dataset.prelabel.lexicon.LEXICON_DIR", tmp_path)
    load.cache_clear()
    try:
        with pytest.raises(LexiconError, match="unknown sub-event type"):
            load("xx")
    finally:
        load.cache_clear()


def test_acronyms_are_case_sensitive_rows():
    table = term_table("nl")
    cased = set(table.filter("cased")["term"])
    assert {"IS", "SDF", "YPG"} <= cased
    assert table.filter(~table["cased"] & (table["pattern"] == " is ")).is_empty()


def test_cue_groups_fit_the_bit_mask():
    bits = key_bits()
    assert all(mask in ("_mT", "_mW", "_mC") for mask, _ in bits.values())
    assert bits["T:Armed clash"][0] == "_mT"


def test_arabic_terms_get_clitic_variants():
    patterns = set(term_table("ar")["pattern"])
    assert " اشتباكات " in patterns and " والاشتباكات " in patterns and " بالاشتباكات " in patterns
