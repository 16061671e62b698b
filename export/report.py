"""``report.html``: a self-contained page of plots — no scripts, no fonts, no network.

The charts are hand-written inline SVG (horizontal bars), so the page opens anywhere, offline,
and the same figures always give the same bytes. A Content-Security-Policy forbids every fetch,
so a browser would refuse (and log) any network access the page tried.
"""

from __future__ import annotations

from html import escape

import polars as pl

from conflictset import __version__
from conflictset.export.metadata import DatasetMetadata
from conflictset.export.wording import join
from conflictset.schemas.release import UNRESOLVED
from conflictset.schemas.taxonomy import NO_EVENT

WIDTH, LABEL_W, ROW_H, VALUE_W = 760, 300, 22, 70
COLOURS = {"bar": "#3b6ea8", "accent": "#c0504d", "grid": "#d9d9d9", "text": "#222222"}


def bar_chart(title: str, rows: list[tuple[str, float | None, str]], *, max_value: float | None = None,
              chart_id: str) -> str:
    """Horizontal bars: ``rows`` are (label, value, shown text); a None value draws no bar."""
    values = [v for _, v, _ in rows if v is not None]
    top = max_value if max_value is not None else max(values, default=1.0) or 1.0
    plot_w = WIDTH - LABEL_W - VALUE_W
    height = ROW_H * max(len(rows), 1) + 30
    parts = [f'<figure id="{chart_id}"><figcaption>{escape(title)}</figcaption>',
             f'<svg role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}">']
    parts.append(f'<line x1="{LABEL_W}" y1="0" x2="{LABEL_W}" y2="{height - 20}" stroke="{COLOURS["grid"]}"/>')
    if not rows:
        parts.append(f'<text x="{LABEL_W + 8}" y="16" fill="{COLOURS["text"]}">no data yet</text>')
    for i, (label, value, shown) in enumerate(rows):
        y = i * ROW_H + 4
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end" font-size="12" '
                     f'fill="{COLOURS["text"]}">{escape(label)}</text>')
        if value is not None and top > 0:
            w = max(0.0, min(value / top, 1.0)) * plot_w
            parts.append(f'<rect class="bar" x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{ROW_H - 6}" '
                         f'fill="{COLOURS["bar"]}"><title>{escape(label)}: {escape(shown)}</title></rect>')
            x_text = LABEL_W + w + 4
        else:
            x_text = LABEL_W + 4
        parts.append(f'<text x="{x_text:.1f}" y="{y + 13}" font-size="12" fill="{COLOURS["text"]}">'
                     f'{escape(shown)}</text>')
    parts.append("</svg></figure>")
    return "\n".join(parts)


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def render(*, version: str, license: str, tables, agreement, acceptance, counts: dict, meta: DatasetMetadata,
           released: str, **_) -> str:  # the text policy and file list are the card's business
    unresolved = pl.col("label_source") == UNRESOLVED
    labels = (tables.sentences.with_columns(pl.when(unresolved).then(pl.lit("Unresolved tie"))
                                            .otherwise(pl.col("event_type").fill_null(NO_EVENT)).alias("event_type"))
              .group_by("event_type").len().sort(["len", "event_type"], descending=[True, False]))
    sources = tables.sentences.group_by("label_source").len().sort("label_source")
    alpha = agreement.per_category.filter(pl.col("level") == "event_type").sort("category")
    accept = acceptance.per_category.filter(pl.col("level") == "event_type").sort("prelabel_version", "category")
    lv = agreement.levels

    charts = [
        bar_chart("Label distribution: sentences per final event type",
                  [(r, float(n), str(n)) for r, n in labels.iter_rows()], chart_id="label-distribution"),
        bar_chart("Sentences per label source",
                  [(r, float(n), str(n)) for r, n in sources.iter_rows()], chart_id="label-source"),
        bar_chart("Agreement per category: Krippendorff's α, one-vs-rest (event type level)",
                  [(c, a, f"{_f(a)} (n={n})") for c, a, n in alpha.select("category", "alpha", "n_items").iter_rows()],
                  max_value=1.0, chart_id="agreement-per-category"),
        bar_chart("Pre-label acceptance per category (event type level)",
                  [(f"{c} [{v}]", a, f"{_f(a)} of {n}") for v, c, a, n in
                   accept.select("prelabel_version", "category", "acceptance", "n_reviewed").iter_rows()],
                  max_value=1.0, chart_id="acceptance-per-category"),
    ]
    summary = [
        ("sentences", counts["sentences"]), ("events", counts["events"]), ("annotations", counts["annotations"]),
        ("unresolved ties", counts["ties"]),
        ("sentences with ≥2 annotators", agreement.items_pairable),
        ("α event_type", _f(lv["event_type"].alpha)), ("α sub_event_type", _f(lv["sub_event_type"].alpha)),
        ("hierarchy-aware α", _f(agreement.hierarchy.alpha)),
        ("reviewed sentences", acceptance.n_reviewed),
    ]
    rows = "\n".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in summary)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{escape(meta.title)} {escape(version)}: report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: {COLOURS["text"]}; max-width: 800px; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
th, td {{ text-align: left; padding: 2px 12px 2px 0; }}
figure {{ margin: 1.5rem 0; }}
figcaption {{ font-weight: 600; margin-bottom: 0.4rem; }}
</style>
</head>
<body>
<h1>{escape(meta.title)}</h1>
<p>Version {escape(version)}, released {escape(released)}, by {escape(join([a.display for a in meta.authors]))}.
Labels under {escape(license)}. Produced with conflictset {escape(__version__)} (software). Figures computed from
the release tables; see README.md for definitions and CITATION.cff for how to cite.</p>
<table>
{rows}
</table>
{chr(10).join(charts)}
</body>
</html>
"""
