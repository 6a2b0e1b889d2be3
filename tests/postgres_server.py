"""A real PostgreSQL server for tests, in a temporary folder, on a free loopback port.

Debian's `postgresql` package (binaries under /usr/lib/postgresql/N/bin, or
$REFUNDKIT_PG_BIN). PostgreSQL refuses to run as root, so as root the server
runs as `nobody` (runuser). initdb is the slow part (~3 s), so its result is
kept as a template in the temp folder and copied for each test session.
Fixtures: `pg_server` (one per session and xdist worker), `pg_url` (a fresh
database on it per test).
"""
from __future__ import annotations

import atexit
import fcntl
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

USER = "refundkit"


def pg_bin() -> Path | None:
    if os.environ.get("REFUNDKIT_PG_BIN"):
        return Path(os.environ["REFUNDKIT_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--"] + cmd if os.geteuid() == 0 else cmd


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "nobody")


class PgServer:
    def __init__(self, bindir: Path):
        self.bin = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="refundkit-pg-"))
        self.dir.chmod(0o755)
        _own(self.dir)
        self.data, self.sock, self.port = self.dir / "data", self.dir / "sock", free_port()

    def _template(self) -> Path:
        version = self.bin.parent.name
        tpl = Path(tempfile.gettempdir()) / f"refundkit-pg-template-{version}-{os.geteuid()}"
        with open(str(tpl) + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one initdb
            if not (tpl / "PG_VERSION").exists():
                shutil.rmtree(tpl, ignore_errors=True)
                tmp = Path(tempfile.mkdtemp(prefix="refundkit-pg-init-"))
                tmp.chmod(0o755)
                _own(tmp)
                subprocess.run(_as_owner([str(self.bin / "initdb"), "-D", str(tmp / "data"), "-U", USER,
                                          "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                                          "--no-instructions"]), check=True, capture_output=True)
                os.replace(tmp / "data", tpl)
                shutil.rmtree(tmp, ignore_errors=True)
        return tpl

    def start(self) -> "PgServer":
        subprocess.run(["cp", "-a", str(self._template()), str(self.data)], check=True)
        self.sock.mkdir()
        _own(self.sock)
        # fsync off: a test kills processes, not the machine's power.
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} -c fsync=off -c max_connections=200"
        subprocess.run(_as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                                  "-w", "-t", "60", "-o", opts, "start"]), check=True, capture_output=True)
        atexit.register(self.stop)
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(_as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop"]),
                           capture_output=True)
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    bindir = pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (.ci/run installs the postgresql package)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); the PostgreSQL tests need it")
    server = PgServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.create_database()
