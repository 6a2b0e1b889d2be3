"""Shared fixtures: the shipped SOP, the scenario bank and the training clock."""
from __future__ import annotations

from pathlib import Path

import pytest

from refundkit.sop import DEFAULT_SOP_PATH, load_sop

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sop():
    return load_sop(DEFAULT_SOP_PATH)


@pytest.fixture(scope="session")
def scenarios(sop):
    from refundkit.scenarios import load_scenarios

    return load_scenarios(sop)


@pytest.fixture(scope="session")
def sop_text() -> str:
    return DEFAULT_SOP_PATH.read_text(encoding="utf-8")
