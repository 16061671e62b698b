"""The ACLED taxonomy, defined once.

Everything else — pandera schemas (``Field(isin=...)``), lexicons, the Label Studio
labelling config and the dataset card — reads from this module. Spellings and order follow
the ACLED codebook; the definitions are our own words.
"""

from __future__ import annotations

from dataclasses import dataclass

POLITICAL_VIOLENCE = "Political violence"
DEMONSTRATIONS = "Demonstrations"
PV_AND_DEMONSTRATIONS = "Political violence; Demonstrations"
STRATEGIC = "Strategic developments"

DISORDER_TYPES: tuple[str, ...] = (POLITICAL_VIOLENCE, DEMONSTRATIONS, PV_AND_DEMONSTRATIONS, STRATEGIC)


@dataclass(frozen=True)
class SubEventType:
    name: str
    event_type: str
    disorder_type: str
    definition: str


# Codebook order: within an event type, the earlier entry wins when tactics co-occur.
_TAXONOMY: dict[str, list[tuple[str, str, str]]] = {
    "Battles": [
        ("Government regains territory", POLITICAL_VIOLENCE,
         "State forces or their allies take back control of a place held by a non-state group."),
        ("Non-state actor overtakes territory", POLITICAL_VIOLENCE,
         "A non-state armed group seizes control of a place through fighting."),
        ("Armed clash", POLITICAL_VIOLENCE,
         "Organised armed groups fight each other without a change in who controls the place."),
    ],
    "Protests": [
        ("Excessive force against protesters", PV_AND_DEMONSTRATIONS,
         "Authorities use lethal or grossly disproportionate force against a peaceful crowd."),
        ("Protest with intervention", DEMONSTRATIONS,
         "A non-violent demonstration is dispersed, blocked or detained by authorities."),
        ("Peaceful protest", DEMONSTRATIONS,
         "People gather publicly to demonstrate without violence and without being stopped."),
    ],
    "Riots": [
        ("Violent demonstration", DEMONSTRATIONS,
         "Demonstrators turn to violence or vandalism, such as throwing stones or burning property."),
        ("Mob violence", POLITICAL_VIOLENCE,
         "An unorganised crowd attacks people or property outside a demonstration."),
    ],
    "Explosions/Remote violence": [
        ("Chemical weapon", POLITICAL_VIOLENCE,
         "Toxic chemical agents such as chlorine or sarin are used as weapons."),
        ("Air/drone strike", POLITICAL_VIOLENCE,
         "Aircraft or drones bomb or fire on targets from the air."),
        ("Suicide bomb", POLITICAL_VIOLENCE,
         "An attacker detonates explosives on their body or in a vehicle they drive, dying in the act."),
        ("Shelling/artillery/missile attack", POLITICAL_VIOLENCE,
         "Long-range ground or sea fire: artillery, mortars, rockets or missiles."),
        ("Remote explosive/landmine/IED", POLITICAL_VIOLENCE,
         "A planted or remotely triggered device explodes: roadside bomb, landmine, car bomb without a driver."),
        ("Grenade", POLITICAL_VIOLENCE,
         "A hand-thrown or launched grenade explodes."),
    ],
    "Violence against civilians": [
        ("Sexual violence", POLITICAL_VIOLENCE,
         "Armed or organised actors commit rape or other sexual violence against civilians."),
        ("Attack", POLITICAL_VIOLENCE,
         "Armed actors kill, wound or assault unarmed civilians."),
        ("Abduction/forced disappearance", POLITICAL_VIOLENCE,
         "Civilians are kidnapped, taken hostage or made to disappear by armed actors."),
    ],
    "Strategic developments": [
        ("Agreement", STRATEGIC,
         "Parties sign or announce a ceasefire, peace deal, prisoner exchange or similar accord."),
        ("Arrests", STRATEGIC,
         "Authorities detain people for political or conflict-related reasons, without violence."),
        ("Change to group/activity", STRATEGIC,
         "A group forms, merges, splits, rebrands, deploys troops or changes how it operates."),
        ("Disrupted weapons use", STRATEGIC,
         "A bomb is defused, a weapons cache seized or an attack foiled before it happens."),
        ("Headquarters or base established", STRATEGIC,
         "An armed group sets up a new base or headquarters without fighting."),
        ("Looting/property destruction", STRATEGIC,
         "Property is looted, burned or destroyed without an attack on people."),
        ("Non-violent transfer of territory", STRATEGIC,
         "Control of a place changes hands without fighting, e.g. after a withdrawal."),
        ("Other", STRATEGIC,
         "A significant conflict development that fits no other category, e.g. leaflets dropped or a curfew."),
    ],
}

EVENT_TYPES: tuple[str, ...] = tuple(_TAXONOMY)

SUB_EVENT_TYPES: tuple[SubEventType, ...] = tuple(
    SubEventType(name, event_type, disorder, definition)
    for event_type, subs in _TAXONOMY.items()
    for name, disorder, definition in subs
)
SUB_EVENT_TYPE_NAMES: tuple[str, ...] = tuple(s.name for s in SUB_EVENT_TYPES)

_BY_NAME: dict[str, SubEventType] = {s.name: s for s in SUB_EVENT_TYPES}

#: ACLED actor inter codes (current exports write the names).
INTER_CODES: dict[int, str] = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}
INTER_NAMES: tuple[str, ...] = tuple(INTER_CODES.values())

NO_EVENT = "No event"


class UnknownLabel(ValueError):
    """A label that is not in the ACLED taxonomy."""


def sub_event_type(name: str) -> SubEventType:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownLabel(
            f"unknown sub_event_type {name!r}; expected one of the 25 ACLED sub-event types "
            f"(e.g. {SUB_EVENT_TYPE_NAMES[:3]}); check spelling and case"
        ) from None


def parent_of(sub: str) -> str:
    """The event type a sub-event type belongs to."""
    return sub_event_type(sub).event_type


def disorder_type_of(sub: str) -> str:
    return sub_event_type(sub).disorder_type


def definition_of(sub: str) -> str:
    return sub_event_type(sub).definition


def subs_of(event_type: str) -> tuple[str, ...]:
    if event_type not in _TAXONOMY:
        raise UnknownLabel(f"unknown event_type {event_type!r}; expected one of {EVENT_TYPES}")
    return tuple(name for name, _, _ in _TAXONOMY[event_type])


def is_valid_pair(event_type: str | None, sub: str | None) -> bool:
    """True when both are null (no event) or ``sub`` belongs to ``event_type``."""
    if event_type is None and sub is None:
        return True
    if event_type is None or sub is None:
        return False
    entry = _BY_NAME.get(sub)
    return entry is not None and entry.event_type == event_type


def precedence(sub: str) -> int:
    """Codebook position (0 = first); lower wins when several sub-event types fire."""
    return SUB_EVENT_TYPE_NAMES.index(sub)


def inter_name(code: int) -> str:
    if code not in INTER_CODES:
        raise UnknownLabel(f"unknown inter code {code!r}; expected 1–8")
    return INTER_CODES[code]


def interaction(inter1: str | None, inter2: str | None) -> str | None:
    """ACLED interaction: both actor types, lower code first; one-sided events say 'X only'."""
    if inter1 is None:
        return None
    if inter2 is None:
        return f"{inter1} only"
    codes = {v: k for k, v in INTER_CODES.items()}
    low, high = sorted((inter1, inter2), key=codes.__getitem__)
    return f"{low}-{high}"


#: Pairs (event_type, sub_event_type) as a polars-friendly mapping.
PARENT_OF: dict[str, str] = {s.name: s.event_type for s in SUB_EVENT_TYPES}
DISORDER_OF: dict[str, str] = {s.name: s.disorder_type for s in SUB_EVENT_TYPES}
