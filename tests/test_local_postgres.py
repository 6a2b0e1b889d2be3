"""The kit's own PostgreSQL server (refundkit.hub.postgres: `make hub` without a database URL, and the
tests' server): a free port is free when it is picked, and the server binds it a moment later; on a busy
machine another program can take it in between."""
from __future__ import annotations

import shutil
import socket
import tempfile

import pytest

from postgres_server import pg_bindir

from refundkit.hub import postgres
from refundkit.hub.postgres import LocalPostgres, PostgresError, template_cluster
from refundkit.ports import free_port


def test_a_port_taken_as_the_server_starts_is_picked_again_and_a_given_one_is_not(monkeypatch):
    psycopg = pytest.importorskip("psycopg")
    bindir = pg_bindir()
    # Not under pytest's tmp: as root the server runs as nobody, who must enter its folder.
    picked_dir, given_dir = tempfile.mkdtemp(prefix="refundkit-pg-"), tempfile.mkdtemp(prefix="refundkit-pg-")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()  # the other program: it holds the port the kit picked first
        port = taken.getsockname()[1]
        picks = iter([port])
        monkeypatch.setattr(postgres, "free_port", lambda: next(picks, None) or free_port())
        pg = LocalPostgres(picked_dir, bindir=bindir)
        assert pg.port == port
        try:
            pg.start(template=template_cluster(bindir), fsync=False)
            assert pg.port != port
            with psycopg.connect(pg.url(), connect_timeout=10) as con:
                assert con.execute("SELECT 1").fetchone() == (1,)
        finally:
            pg.stop(fast=True)
        # The port a trainer gives (make hub's settings) is theirs: not changed, one line saying why not.
        given = LocalPostgres(given_dir, port=port, bindir=bindir)
        with pytest.raises(PostgresError) as failed:
            given.start(template=template_cluster(bindir), fsync=False)
        assert given.port == port and "\n" not in str(failed.value) and "log:" in str(failed.value)
    for d in (picked_dir, given_dir):
        shutil.rmtree(d, ignore_errors=True)
