"""Shared fixtures: the shipped SOP, the scenario bank and the training clock.

Also how `make test` spreads the suite over the cores (pytest-xdist, `--dist loadfile`):
a test file, or a notebook with all its cells, runs on one worker; tests/hub/ and tests/browser/
each run whole on one worker (their session fixtures, servers and browser, start once per run),
except the browser's Lab test, a unit of its own (OWN_UNIT).
"""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Generated cases: 100 per property in a run of the suite (each run draws new ones, and replays any
    that failed before from .hypothesis/), 2,000 with `pytest --hypothesis-profile=thorough`. Not in
    the xdist controller, which runs no test (importing hypothesis is ~0.4 s of CPU), unless a profile
    is named (hypothesis' plugin loads it there)."""
    controller = bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")
    if controller and not config.getoption("--hypothesis-profile", None):
        return
    from hypothesis import HealthCheck, settings

    generated = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    settings.register_profile("suite", max_examples=100, **generated)
    settings.register_profile("thorough", max_examples=2000, **generated)
    settings.load_profile("suite")


@pytest.fixture(scope="session")
def sop():
    from refundkit.sop import DEFAULT_SOP_PATH, load_sop

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
    from refundkit.sop import DEFAULT_SOP_PATH

    return DEFAULT_SOP_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright per test process: the browser and the hub tests may run in the same worker, and a
    second Playwright in one process fails ("Sync API inside the asyncio loop")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


# Files that are a unit of their own inside a folder: the Lab test needs its own server and no other
# (tests/browser/conftest.py starts what a worker's first file needs), so it can run on the other core,
# beside the rest of tests/browser (a second Chromium costs ~2 s of CPU; the Lab test ~17 s of wall).
OWN_UNIT = ("tests/browser/test_lab.py",)


def work_unit(nodeid: str) -> str:
    """What one worker runs together: a folder under tests/, else the file (a notebook with its cells)."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) > 2 and parts[0] == "tests" and path not in OWN_UNIT:
        return "/".join(parts[:2])
    return path


# The longest units start first, so that no long one is left for the end of a run on one core; the
# rest keep their order, notebooks last to fill the gaps. xdist gives a worker its next unit once it
# has two tests or fewer left: the first worker takes tests/browser (10 tests) alone, the second
# takes the hub (2), then the review loop and the Lab, and both take the short units as they finish.
LONG_FIRST = ("tests/browser", "tests/hub", "tests/test_review_loop.py", "tests/browser/test_lab.py",
              "tests/test_triage_agreement.py", "tests/test_wheel.py",
              "tests/test_lessons_window.py", "tests/test_engine.py", "tests/test_progress.py")


def pytest_collection_modifyitems(config, items):
    rank = {unit: i for i, unit in enumerate(LONG_FIRST)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(work_unit(item.nodeid), len(rank)), order[id(item)]))


try:
    from xdist.scheduler import LoadFileScheduling
except ImportError:  # plain pytest: nothing to schedule
    LoadFileScheduling = None

if LoadFileScheduling is not None:
    class FolderOrFileScheduling(LoadFileScheduling):
        """--dist loadfile, units as `work_unit` says, in collection order (see LONG_FIRST)."""

        def __init__(self, config, log=None):
            super().__init__(config, log)
            config.option.loadscopereorder = False

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadfile":
            return FolderOrFileScheduling(config, log)
        return None


# A real PostgreSQL server on loopback for the store and hub tests (tests/postgres_server.py).
from postgres_server import pg_server, pg_url  # noqa: E402,F401
