"""conflictset: build annotated ACLED-style event datasets from news articles."""

__version__ = "0.1.0"
