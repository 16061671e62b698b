"""conflictset: build annotated ACLED-style event datasets from news articles.

The import root. Layers point one way: ``conflictset.cli`` / ``conflictset.demo`` →
``conflictset.export`` → ``conflictset.dataset`` → ``conflictset.schemas`` (checked by
import-linter). This module holds nothing but the version, so any layer may read it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("conflictset")  # one version, declared in pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
