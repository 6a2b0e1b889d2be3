"""Shared fixtures: the shipped SOP, the scenario bank and the training clock.

Also how `make test` spreads the suite over the cores (pytest-xdist, `--dist loadfile`):
a test file, or a notebook with all its cells, runs on one worker; a folder under tests/
(tests/browser/ ...) runs whole on one worker, so its session fixtures - the servers and
the browser - start once per run.
"""
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
def make_case():
    """A case that is not shipped, agreed and checked, with `**changes` on top."""
    from refundkit.cases import parse_case

    def make(sop, **changes):
        base = dict(order_state="not_shipped", request_type="refund_only", negotiation="refund_agreed",
                    address_checked=True, customer_info_verified=True, merchant_balance="1000",
                    requested_at="2026-11-19T10:00:00+08:00", amounts={"goods": "100"})
        return parse_case({**base, **changes}, sop)
    return make


@pytest.fixture(scope="session")
def sop_text() -> str:
    return DEFAULT_SOP_PATH.read_text(encoding="utf-8")


def work_unit(nodeid: str) -> str:
    """What one worker runs together: a folder under tests/, else the file (a notebook with its cells)."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) > 2 and parts[0] == "tests":
        return "/".join(parts[:2])
    return path


try:
    from xdist.scheduler import LoadFileScheduling
except ImportError:  # plain pytest: nothing to schedule
    LoadFileScheduling = None

if LoadFileScheduling is not None:
    class FolderOrFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadfile":
            return FolderOrFileScheduling(config, log)
        return None


# A real PostgreSQL server on loopback for the store and hub tests (tests/postgres_server.py).
from postgres_server import pg_server, pg_url  # noqa: E402,F401
