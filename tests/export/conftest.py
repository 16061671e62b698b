"""Fixtures for the release tests: a realistic build directory covering every adjudication path."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from release_fixtures import make_sentences, scenario_annotations, write_build_dir


@pytest.fixture
def release_sentences() -> pl.DataFrame:
    return make_sentences()


@pytest.fixture
def release_annotations() -> pl.DataFrame:
    return scenario_annotations()


@pytest.fixture
def release_build(tmp_path, release_sentences, release_annotations) -> Path:
    return write_build_dir(tmp_path / "build", release_sentences, release_annotations)
