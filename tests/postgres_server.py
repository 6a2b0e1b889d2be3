"""Fixtures for a real PostgreSQL server (refundkit.hub.postgres) in a temporary folder, on loopback.

`pg_server`: one per test session (and xdist worker), copied from an initdb'd template kept in
the temp folder; `pg_url`: an empty database on it for each test. Without PostgreSQL installed the
tests that need it are skipped with one line, except in CI (`CI` set), where that is a failure.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from refundkit.hub.postgres import LocalPostgres, pg_bin, template_cluster


def pg_bindir():
    """PostgreSQL's programs; without them the test is skipped with one line (failed in CI)."""
    bindir = pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (.ci/run installs the postgresql package)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); the PostgreSQL tests need it")
    return bindir


@pytest.fixture(scope="session")
def pg_server():
    bindir = pg_bindir()
    folder = tempfile.mkdtemp(prefix="refundkit-pg-")
    # fsync off: the tests kill processes, not the machine's power.
    server = LocalPostgres(folder, bindir=bindir).start(template=template_cluster(bindir), fsync=False)
    yield server
    server.stop(fast=True)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    """An empty database on the session's server: the one initdb made (`postgres`), emptied for each test
    (a new database is a copy of the template database: about 0.3 s of the server's CPU each)."""
    import psycopg

    url = pg_server.url()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP SCHEMA public CASCADE")  # every table, sequence and row a test left
        con.execute("CREATE SCHEMA public")
    return url
