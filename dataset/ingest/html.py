"""Main-text extraction from HTML with trafilatura (the well-kept choice for news pages)."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura

from conflictset.dataset.ingest.decode import normalise


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str          # paragraphs separated by a blank line; "" when the page has no main text
    published_at: str | None
    url: str | None
    language: str | None


def extract(html: str) -> Extracted:
    """Title, main text and metadata of one page.

    trafilatura gives one paragraph per line; we separate them with a blank line so the
    cleaner sees paragraph (block) boundaries. Dates come from page metadata only
    (``extensive_search`` off: a copyright year in the footer is not a publication date).
    """
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False,
        include_images=False, date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        return Extracted(None, "", None, None, None)
    lines = [line.strip() for line in normalise(doc.text or "").split("\n")]
    text = "\n\n".join(line for line in lines if line)
    title = " ".join((doc.title or "").split()) or None
    return Extracted(title, text, doc.date or None, doc.url or None, doc.language or None)
