"""The Label Studio labelling config, generated from ``schemas/taxonomy.py`` (never hand-listed).

One Taxonomy control (event type → sub-event type, plus "No event"), span labels on the sentence,
and read-only context (title, source, date, previous and next sentence). The hash of the XML is
stored in the project so a config changed since the push is detected.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from xml.sax.saxutils import quoteattr

from schemas.annotations import SPAN_LABELS
from schemas.taxonomy import EVENT_TYPES, NO_EVENT, subs_of

#: names of the controls and objects in the config; the task/result mapping uses them
TAXONOMY_NAME = "event"
SPAN_NAME = "span"
TEXT_NAME = "text"
#: task data keys the config reads (all strings; missing context is "")
DATA_KEYS: tuple[str, ...] = ("text", "title", "source", "date", "prev_text", "next_text")

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


@lru_cache(maxsize=1)
def label_config() -> str:
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
  <Header value="Event type (ACLED)" size="5"/>
  <Taxonomy name="{TAXONOMY_NAME}" toName="{TEXT_NAME}" leafsOnly="true" maxUsages="1" required="true" showFullPath="true">
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
