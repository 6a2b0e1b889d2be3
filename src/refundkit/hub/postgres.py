"""A PostgreSQL server from the OS packages, in a folder of ours, on a loopback port.

    pg = LocalPostgres(folder).start()      # initdb on first use; pg_ctl start
    url = pg.create_database("refundkit")   # postgresql://refundkit@127.0.0.1:PORT/refundkit
    pg.stop()

`make hub` uses it when the trainer gives no database URL, and the tests start
one per session. Debian's `postgresql` package puts the programs under
/usr/lib/postgresql/N/bin ($REFUNDKIT_PG_BIN overrides). PostgreSQL refuses to
run as root, so as root the server runs as `nobody` (runuser); it listens on
127.0.0.1 only, and trusts connections from this machine (a room's laptop;
docs/scale.md covers a managed server with passwords).
"""
from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..ports import free_port

USER = "refundkit"


class PostgresError(RuntimeError):
    """The local server could not be set up; the message says what to install or look at."""


def pg_bin() -> Path | None:
    """Where initdb and pg_ctl are: $REFUNDKIT_PG_BIN, the newest Debian install, or the PATH."""
    if os.environ.get("REFUNDKIT_PG_BIN"):
        return Path(os.environ["REFUNDKIT_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--"] + cmd if os.geteuid() == 0 else cmd


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "nobody")


class LocalPostgres:
    """One cluster in `folder` (kept between starts: the room's records live there)."""

    def __init__(self, folder: str | Path, port: int | None = None, bindir: Path | None = None):
        self.bin = bindir or pg_bin()
        if self.bin is None:
            raise PostgresError("PostgreSQL is not installed: apt-get install postgresql "
                                "(or give a database URL: make hub HUB_DB=postgresql://...)")
        self.dir = Path(folder).resolve()
        self.data, self.sock = self.dir / "data", self.dir / "sock"
        self.chosen = port is None  # a port we picked may be picked again (see start)
        self.port = port or free_port()

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        done = subprocess.run(_as_owner([str(self.bin / cmd[0]), *cmd[1:]]), capture_output=True, text=True)
        if done.returncode:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PostgresError(f"{cmd[0]} failed in {self.dir}: {tail[0]} (log: {self.dir / 'log'})")
        return done

    def _initdb(self, into: Path) -> None:
        self._run("initdb", "-D", str(into), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C",
                  "--no-sync", "--no-instructions")

    def start(self, template: Path | None = None, fsync: bool = True) -> "LocalPostgres":
        """Create the cluster if needed (copying `template`, an initdb'd folder, when given) and start it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        _own(self.dir)
        if not (self.data / "PG_VERSION").exists():
            if template is not None:
                subprocess.run(["cp", "-a", str(template), str(self.data)], check=True)
            else:
                self._initdb(self.data)
        self.sock.mkdir(exist_ok=True)
        _own(self.sock)
        # A free port is free when we look, and the server binds it a moment later: on a busy machine
        # another program may take it first (any outgoing connection takes one from the same range). A
        # port we picked is then picked again; one the trainer gave is not.
        for attempt in range(3):
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} -c max_connections=200"
                    + ("" if fsync else " -c fsync=off"))
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60", "-o", opts,
                          "start")
                return self
            except PostgresError:
                if not (self.chosen and attempt < 2 and self._port_taken()):
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _port_taken(self) -> bool:
        """The last start failed because the port was in use (the server's log says so)."""
        try:
            log = (self.dir / "log").read_text(errors="replace")
        except OSError:
            return False
        last = log.rsplit("starting PostgreSQL", 1)[-1]
        return f"port {self.port}" in last and "already in use" in last

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """The database `name` (created when missing); returns its URL."""
        import psycopg

        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise PostgresError(f"database name {name!r}: lower-case letters, digits and _ only")
        with psycopg.connect(self.url(), autocommit=True) as con:
            if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, fast: bool = False) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m",
                                      "immediate" if fast else "fast", "stop"]), capture_output=True)


def template_cluster(bindir: Path) -> Path:
    """An initdb'd folder kept in the temp folder, copied for each test session (initdb takes seconds)."""
    tpl = Path(tempfile.gettempdir()) / f"refundkit-pg-template-{bindir.parent.name}-{os.geteuid()}"
    with open(str(tpl) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers: one initdb
        if not (tpl / "PG_VERSION").exists():
            shutil.rmtree(tpl, ignore_errors=True)
            tmp = Path(tempfile.mkdtemp(prefix="refundkit-pg-init-"))
            tmp.chmod(0o755)
            _own(tmp)
            LocalPostgres(tmp, bindir=bindir)._initdb(tmp / "data")
            os.replace(tmp / "data", tpl)
            shutil.rmtree(tmp, ignore_errors=True)
    return tpl
