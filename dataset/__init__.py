"""The build side: ingest, clean, segment and pre-label articles (``conflictset.dataset``)."""
