"""Labelling functions: one named rule per ACLED sub-event type, each with an explicit abstain.

A rule is a polars expression over the lexicon keys matched in a sentence (see
:mod:`dataset.prelabel.matcher`) that returns a vote strength: ``ABSTAIN`` (0.0) or a positive
strength — 1.0 for a strong trigger (a term that names the event kind), 0.5 for a weak one.
Rules combine triggers with cue groups, e.g. a capture by state forces is a regain of territory,
"clashes" in a protest context are not Battles, a protest with tear gas is a protest with
intervention. Cues that lower or veto every vote (speculation, negation, reported aims, question
headlines, non-conflict happenings) are applied in :mod:`dataset.prelabel.decide`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from conflictset.dataset.prelabel.matcher import has
from conflictset.schemas.taxonomy import SUB_EVENT_TYPE_NAMES

ABSTAIN = 0.0


def T(sub: str) -> pl.Expr:
    """A strong trigger of ``sub`` occurs."""
    return has(f"T:{sub}")


def W(sub: str) -> pl.Expr:
    """A weak trigger of ``sub`` occurs."""
    return has(f"W:{sub}")


def C(cue: str) -> pl.Expr:
    """A word of cue group ``cue`` occurs."""
    return has(f"C:{cue}")


def vote(*cases: tuple[pl.Expr, float]) -> pl.Expr:
    """First matching (condition, strength) wins; otherwise abstain."""
    expr = None
    for cond, strength in cases:
        expr = pl.when(cond).then(pl.lit(strength)) if expr is None else expr.when(cond).then(pl.lit(strength))
    return expr.otherwise(pl.lit(ABSTAIN))


@dataclass(frozen=True)
class LabellingFunction:
    name: str
    sub_event_type: str
    expr: pl.Expr
    doc: str


STATE, NONSTATE = C("state_forces"), C("nonstate_forces")
ARMED = STATE | NONSTATE
PROTEST = C("protest") | T("Peaceful protest")
CROWD_VIOLENCE = C("crowd_violence") | T("Violent demonstration")
ONLY_NONSTATE = NONSTATE & ~STATE
ONLY_STATE = STATE & ~NONSTATE
NO_FIGHT = C("no_fight")
EXPLOSIVE = pl.any_horizontal(T(s) for s in (
    "Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
    "Remote explosive/landmine/IED", "Grenade"))
WEAPONS = C("weapons")
GROUND_EXPLOSIVE = pl.any_horizontal(T(s) for s in (
    "Chemical weapon", "Suicide bomb", "Shelling/artillery/missile attack", "Remote explosive/landmine/IED", "Grenade"))
TERRITORY_TAKEN = T("Non-state actor overtakes territory") | T("Government regains territory")


def _rules() -> list[LabellingFunction]:
    R = LabellingFunction
    return [
        R("lf_government_regains", "Government regains territory", vote(
            (NO_FIGHT, ABSTAIN),
            (T("Government regains territory") & ~ONLY_NONSTATE, 1.0),
            (T("Non-state actor overtakes territory") & ONLY_STATE, 1.0),
            (C("capture") & ONLY_STATE & C("territory") & ~WEAPONS, 0.9),
            (W("Non-state actor overtakes territory") & ONLY_STATE & C("territory") & ~WEAPONS, 0.5),
            (W("Government regains territory") & STATE, 0.5),
        ), "regain words unless only non-state actors are named; capture words by state forces"),
        R("lf_nonstate_overtakes", "Non-state actor overtakes territory", vote(
            (NO_FIGHT, ABSTAIN),
            (T("Non-state actor overtakes territory") & ~ONLY_STATE, 1.0),
            (T("Government regains territory") & ONLY_NONSTATE, 1.0),
            (C("capture") & NONSTATE & C("territory") & ~WEAPONS, 0.9),
            (W("Non-state actor overtakes territory") & NONSTATE & C("territory") & ~WEAPONS, 0.5),
        ), "capture words unless only state forces are named; regain words by non-state actors only"),
        R("lf_armed_clash", "Armed clash", vote(
            (PROTEST | T("Mob violence"), ABSTAIN),
            # the named weapon decides a clash fought with grenades, shells, mines or suicide
            # bombers (an explosion event); with air support only it stays a battle
            (T("Armed clash") & GROUND_EXPLOSIVE, 0.9),
            (T("Armed clash"), 1.0),
            # an attack or killing with armed actors on both sides and no civilians named
            ((W("Armed clash") | W("Attack")) & STATE & NONSTATE & ~C("civilians"), 0.75),
            (W("Armed clash") & ARMED, 0.5),
        ), "fighting words outside a protest context; weak words need an armed actor"),
        R("lf_excessive_force", "Excessive force against protesters", vote(
            (~PROTEST, ABSTAIN),
            (T("Excessive force against protesters") & ~C("crowd_violence"), 1.0),
            # force used on a gathering the report calls peaceful
            (C("peaceful") & (C("intervention") | C("lethal")) & ~C("crowd_violence"), 1.0),
            (C("lethal") & STATE & ~C("crowd_violence") & ~EXPLOSIVE, 0.75),
        ), "a protest met with lethal force by state forces, the crowd not violent"),
        R("lf_protest_intervention", "Protest with intervention", vote(
            (~PROTEST, ABSTAIN),
            (CROWD_VIOLENCE, ABSTAIN),
            (T("Protest with intervention") | C("intervention"), 1.0),
            # protesters detained: an intervention (ties with peaceful protest, which comes later)
            (W("Protest with intervention") | T("Arrests"), 1.0),
            (W("Protest with intervention"), 0.5),
        ), "a non-violent protest dispersed, blocked or arrested"),
        R("lf_peaceful_protest", "Peaceful protest", vote(
            (T("Peaceful protest"), 1.0),
            (W("Peaceful protest") & ~ARMED, 0.5),
        ), "protest words; intervention and violence rules outrank it"),
        R("lf_violent_demonstration", "Violent demonstration", vote(
            (T("Violent demonstration") & ~C("protest") & T("Armed clash") & ARMED, ABSTAIN),
            (T("Violent demonstration"), 1.0),
            (PROTEST & C("crowd_violence"), 1.0),
            (PROTEST & W("Violent demonstration"), 0.5),
        ), "riot words, or a protest with crowd violence"),
        R("lf_mob_violence", "Mob violence", vote(
            (C("protest"), ABSTAIN),
            (T("Mob violence"), 1.0),
            (W("Mob violence") & C("lethal"), 0.5),
        ), "mob, lynching, vigilante and communal violence outside a demonstration"),
        R("lf_chemical_weapon", "Chemical weapon", vote(
            (T("Chemical weapon"), 1.0),
            (W("Chemical weapon") & (C("lethal") | ARMED | C("aircraft")) & ~PROTEST, 0.5),
        ), "chemical agents used as weapons"),
        R("lf_air_strike", "Air/drone strike", vote(
            (T("Air/drone strike"), 1.0),
            (W("Air/drone strike") & C("aircraft") & ~T("Disrupted weapons use"), 0.5),
        ), "air strikes, drones, warplanes, helicopter gunships, barrel bombs"),
        R("lf_suicide_bomb", "Suicide bomb", vote(
            (T("Suicide bomb"), 1.0),
        ), "a suicide bomber or vest; the attacker dies in the act"),
        R("lf_shelling", "Shelling/artillery/missile attack", vote(
            (T("Shelling/artillery/missile attack"), 1.0),
            (W("Shelling/artillery/missile attack") & ARMED & C("lethal"), 0.5),
        ), "artillery, mortars, rockets and missiles fired from the ground or sea"),
        R("lf_remote_explosive", "Remote explosive/landmine/IED", vote(
            # petrol bombs thrown by a crowd are a riot, not an explosive device
            (PROTEST & C("crowd_violence"), ABSTAIN),
            (T("Remote explosive/landmine/IED"), 1.0),
            (W("Remote explosive/landmine/IED"), 0.5),
        ), "planted or remotely triggered bombs, landmines, IEDs, car bombs"),
        R("lf_grenade", "Grenade", vote(
            (C("stun_grenade"), ABSTAIN),
            (T("Grenade"), 1.0),
        ), "hand or launched grenades (stun/smoke grenades are crowd control)"),
        R("lf_sexual_violence", "Sexual violence", vote(
            (T("Sexual violence"), 1.0),
        ), "rape and other sexual violence"),
        R("lf_attack", "Attack", vote(
            (T("Attack") & (C("civilians") | ~ARMED), 1.0),
            (T("Attack"), 0.75),
            # an attack or killing whose named victims are civilians outranks a bare "attacked"
            ((W("Attack") | W("Armed clash")) & C("civilians") & ~T("Armed clash"), 0.75),
            (W("Attack") & C("civilians"), 0.5),
        ), "killing, wounding or assaulting unarmed people"),
        R("lf_abduction", "Abduction/forced disappearance", vote(
            (T("Abduction/forced disappearance"), 1.0),
            (W("Abduction/forced disappearance") & ARMED, 0.5),
        ), "kidnapping, hostage taking, forced disappearance"),
        R("lf_agreement", "Agreement", vote(
            (T("Agreement"), 1.0),
            (W("Agreement") & ARMED, 0.5),
        ), "ceasefires, peace deals, prisoner exchanges"),
        R("lf_arrests", "Arrests", vote(
            (PROTEST | C("no_arrest"), ABSTAIN),
            (T("Arrests"), 1.0),
            (W("Arrests") & STATE, 0.5),
        ), "detentions by authorities outside a protest (those are interventions)"),
        R("lf_change_to_group", "Change to group/activity", vote(
            (T("Change to group/activity"), 1.0),
            (W("Change to group/activity") & ARMED, 0.5),
        ), "groups formed, merged, split, deployed, recruiting, surrendering"),
        R("lf_disrupted_weapons", "Disrupted weapons use", vote(
            # a defused or intercepted device did not explode: outranks the explosion rules
            (C("disruption") & (EXPLOSIVE | WEAPONS), 1.2),
            # weapons or explosives seized or found, nothing went off: the seizure is the event
            (C("seize") & WEAPONS & ~C("detonation") & ~TERRITORY_TAKEN, 1.2),
            (T("Disrupted weapons use"), 1.0),
            (C("seize") & WEAPONS, 0.9),
            (W("Disrupted weapons use") & WEAPONS, 0.5),
        ), "bombs defused, attacks foiled, weapons caches seized, missiles intercepted"),
        R("lf_headquarters", "Headquarters or base established", vote(
            (T("Headquarters or base established"), 1.0),
            (W("Headquarters or base established") & ARMED, 0.5),
        ), "a new base, camp or headquarters set up"),
        R("lf_looting", "Looting/property destruction", vote(
            (T("Looting/property destruction"), 1.0),
            (W("Looting/property destruction") & ARMED, 0.5),
        ), "looting, arson, demolition without an attack on people"),
        R("lf_nonviolent_transfer", "Non-violent transfer of territory", vote(
            # "taken without a fight" outranks the territory battles
            (NO_FIGHT & (T("Non-state actor overtakes territory") | T("Government regains territory")), 1.3),
            (T("Non-violent transfer of territory"), 1.0),
            (W("Non-violent transfer of territory") & ARMED, 0.5),
        ), "withdrawals, handovers and takeovers without fighting"),
        R("lf_other", "Other", vote(
            (T("Other"), 1.0),
        ), "leaflets, curfews, sieges and other significant developments"),
    ]


RULES: tuple[LabellingFunction, ...] = tuple(_rules())
RULE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES)

assert {r.sub_event_type for r in RULES} == set(SUB_EVENT_TYPE_NAMES), "every sub-event type needs a rule"
