"""Shared fixtures: paths to the user's fixtures and evaluation data beside the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seed_txt() -> Path:
    path = SHARED / "fixtures" / "nl_raqqa_2016.txt"
    if not path.exists():
        pytest.skip(f"seed fixture {path} is absent")
    return path


@pytest.fixture(scope="session")
def seed_gold(seed_txt) -> list[dict]:
    path = seed_txt.with_name("nl_raqqa_2016.gold.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def eval_tsv() -> Path:
    path = SHARED / "eval" / "case2021_dev.tsv"
    if not path.exists():
        pytest.skip("evaluation file ../shared/eval/case2021_dev.tsv is absent")
    return path
