"""Fixtures for the pre-labeller tests."""

import pytest
from prelabel_helpers import label_one


@pytest.fixture
def label():
    return label_one
