"""``CHANGELOG.md``: every version of the dataset says what changed since the one before.

The new section comes from ``conflictset diff`` against the previous release (sentences added,
removed and relabelled per category, events added, removed and merged, agreement and acceptance
deltas); the sections of earlier versions are carried over from the previous release's
changelog, newest first.
"""

from __future__ import annotations

from conflictset.export.diff import ReleaseDiff, figure_text
from conflictset.export.wording import count

MAX_MOVES = 20


def _changes(old: str, new: str, change: ReleaseDiff) -> list[str]:
    out = [f"Compared with {old} (`conflictset diff`):", "",
           f"- Sentences: {change.added.height} added, {change.removed.height} removed, "
           f"{change.relabelled.height} relabelled."]
    moves = (change.relabelled.group_by("old_label", "new_label").len()
             .sort(["len", "old_label", "new_label"], descending=[True, False, False]))
    for old_label, new_label, n in moves.head(MAX_MOVES).iter_rows():
        out.append(f"  - {count(n, 'sentence')} relabelled {old_label} → {new_label}")
    if moves.height > MAX_MOVES:
        out.append(f"  - … and {moves.height - MAX_MOVES} more kinds of relabelling (`conflictset diff --json`)")
    out.append(f"- Events: {change.events_added.height} added, {change.events_removed.height} removed, "
               f"{change.events_merged.height} merged.")
    if not (change.added.height or change.removed.height or change.relabelled.height or change.events_added.height
            or change.events_removed.height or change.events_merged.height):
        out.append("- No sentence, label or event changed (the metadata, the text policy or the software may have).")
    changed = change.changed_categories()
    if changed.height:
        out += ["", f"| category | {old} | {new} | added | removed | relabelled in | relabelled out |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {r['category']} | {r['n_old']} | {r['n_new']} | {r['added']} | {r['removed']} | "
                f"{r['relabelled_in']} | {r['relabelled_out']} |" for r in changed.iter_rows(named=True)]
    figures = [(k, d) for k, d in change.figures.items() if "[" not in k and d["old"] != d["new"]]
    if figures:
        out += ["", "Agreement and pre-label acceptance:", ""]
        out += [f"- {k}: {figure_text(d['old'])} → {figure_text(d['new'])} (Δ {figure_text(d['delta'], signed=True)})"
                for k, d in figures]
    return out


def section(version: str, released: str, counts: dict, *, previous: str | None = None,
            change: ReleaseDiff | None = None) -> str:
    """The changelog section of ``version``; ``change`` is the diff from ``previous`` (None: first release)."""
    lines = [f"## [{version}] - {released}", ""]
    if previous is None or change is None:
        lines.append(f"First release: {count(counts['sentences'], 'sentence')}, {count(counts['events'], 'event')}, "
                     f"{count(counts['annotations'], 'annotation')}.")
    else:
        lines += _changes(previous, version, change)
    return "\n".join(lines) + "\n"


def render(title: str, new_section: str, previous_changelog: str | None = None) -> str:
    """The whole ``CHANGELOG.md``: the new section, then the earlier ones."""
    earlier = ""
    if previous_changelog and "\n## " in "\n" + previous_changelog:
        earlier = "\n" + previous_changelog[("\n" + previous_changelog).index("\n## "):]
    return (f"# Changelog: {title}\n\nWhat changed in each version of this dataset, newest first.\n\n"
            + new_section + earlier)
