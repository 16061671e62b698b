"""The Label Studio labelling config, generated from ``schemas/taxonomy.py`` (never hand-listed).

One Taxonomy control (event type → sub-event type, plus "No event"), span labels on the sentence,
and read-only context (title, source, date, previous and next sentence). The hash of the XML is
stored in the project so a config changed since the push is detected.

The adjudication variant (``label_config(adjudication=True)``, for ``push --adjudicate``) is the
same config plus one read-only line above the taxonomy: the labels the reviewers chose
(``$candidates``). Same control names, so its results parse exactly like a review's.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from xml.sax.saxutils import quoteattr

from conflictset.schemas.spans import SPAN_LABELS
from conflictset.schemas.taxonomy import EVENT_TYPES, NO_EVENT, subs_of

#: names of the controls and objects in the config; the task/result mapping uses them
TAXONOMY_NAME = "event"
SPAN_NAME = "span"
TEXT_NAME = "text"
#: task data keys the config reads (all strings; missing context is "")
DATA_KEYS: tuple[str, ...] = ("text", "title", "source", "date", "prev_text", "next_text")
#: the extra data key of an adjudication task: the competing labels, e.g. "Battles / Armed clash ×1; …"
CANDIDATES_KEY = "candidates"

_SPAN_COLOURS = {"ACTOR": "#e6550d", "LOCATION": "#3182bd", "FATALITIES": "#de2d26", "DATE": "#31a354"}
_HASH_MARK = re.compile(r"conflictset-config:([0-9a-f]{16})")


def _taxonomy_xml() -> str:
    lines = []
    for event_type in EVENT_TYPES:
        lines.append(f"      <Choice value={quoteattr(event_type)}>")
        lines.extend(f"        <Choice value={quoteattr(sub)}/>" for sub in subs_of(event_type))
        lines.append("      </Choice>")
    lines.append(f"      <Choice value={quoteattr(NO_EVENT)}/>")
    return "\n".join(lines)


_ADJUDICATION_XML = f"""  <View style="background: #fff3cd; padding: 6px; margin: 6px 0">
    <Header value="Reviewers disagree — choose the final label (their choices, with how many chose each):" size="6"/>
    <Text name="{CANDIDATES_KEY}" value="${CANDIDATES_KEY}"/>
  </View>
"""


@lru_cache(maxsize=2)
def label_config(adjudication: bool = False) -> str:
    labels = "\n".join(
        f'      <Label value="{name}" background="{_SPAN_COLOURS[name]}"/>' for name in SPAN_LABELS
    )
    return f"""<View>
  <Header value="$title"/>
  <Text name="meta_source" value="$source"/>
  <Text name="meta_date" value="$date"/>
  <View style="color: #888">
    <Text name="prev" value="$prev_text"/>
  </View>
  <View style="border: 1px solid #ccc; padding: 8px; margin: 6px 0">
    <Labels name="{SPAN_NAME}" toName="{TEXT_NAME}">
{labels}
    </Labels>
    <Text name="{TEXT_NAME}" value="$text" granularity="symbol"/>
  </View>
  <View style="color: #888">
    <Text name="next" value="$next_text"/>
  </View>
{_ADJUDICATION_XML if adjudication else ""}  <Header value="Event type (ACLED)" size="5"/>
  <Taxonomy name="{TAXONOMY_NAME}" toName="{TEXT_NAME}" leafsOnly="true" maxUsages="1" required="true" \
showFullPath="true">
{_taxonomy_xml()}
  </Taxonomy>
</View>
"""


def config_hash(xml: str | None = None) -> str:
    """A short, whitespace-insensitive fingerprint of a labelling config."""
    text = label_config() if xml is None else xml
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def hash_marker(xml: str | None = None) -> str:
    return f"conflictset-config:{config_hash(xml)}"


def stored_hash(description: str | None) -> str | None:
    match = _HASH_MARK.search(description or "")
    return match.group(1) if match else None
