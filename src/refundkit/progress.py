"""The progress record: every answer a learner checks, in SQLite or PostgreSQL.

Where: `$REFUNDKIT_DB` when set (a file path, or a `postgresql://user:pw@host/db`
URL for a room behind JupyterHub), else `progress.sqlite3` in the user's data
folder (`$XDG_DATA_HOME/refundkit`, `~/.local/share/refundkit`; on macOS
`~/Library/Application Support/refundkit`; on Windows `%APPDATA%\\refundkit`).
The learner's name is the only personal data in it.

One schema and one migration path for both databases (`refundkit.progress_schema`,
SQLAlchemy Core). On PostgreSQL connections are short-lived (no pool): a server
holds one per check being written, not one per idle kernel, so hundreds of
trainees fit its connection limit. Nothing stays locked while a learner thinks. Each check is one short transaction, durable on return, so a killed
process loses at most the answer it was writing.

SQLite: WAL lets the trainer's page read beside writers; a busy timeout queues
writers instead of failing; `synchronous=FULL` survives a power cut;
`secure_delete=ON` overwrites what `progress forget` removes.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

from .names import NameProblem, learner_name, normalise_name
from .progress_schema import ATTEMPTS, MIGRATIONS, SCHEMA, SCHEMA_VERSION

APP = "refundkit"
DB_NAME = "progress.sqlite3"
BUSY_TIMEOUT_MS = 60_000
# Tables a record of ours may hold; anything else in a SQLite file means it belongs to someone else.
OUR_TABLES = {"attempts", "refundkit_schema", "sqlite_sequence"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

__all__ = ["Attempt", "NameProblem", "Health", "ProgressError", "ProgressStore", "default_db_path",
           "default_target", "normalise_name", "MIGRATIONS", "SCHEMA_VERSION"]


class ProgressError(Exception):
    """The progress database cannot be used; the message names it (file or URL, never a password)."""


def data_dir() -> Path:
    """The user's data folder for the kit, by platform convention."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP


def default_target() -> str | Path:
    """`$REFUNDKIT_DB` (a path or a URL), else the SQLite file in the user's data folder."""
    env = os.environ.get("REFUNDKIT_DB", "").strip()
    if not env:
        return data_dir() / DB_NAME
    return env if _URL.match(env) else Path(env).expanduser()


def default_db_path() -> Path | str:
    """Kept for callers that print where the record is: a Path, or the URL (password hidden)."""
    t = default_target()
    return t if isinstance(t, Path) else _url(t).render_as_string(hide_password=True)


def _url(text: str) -> sa.URL:
    """A database URL the kit accepts: postgresql (through psycopg 3) or sqlite."""
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        raise ProgressError(f"REFUNDKIT_DB: expected a file path or a postgresql:// URL, got {text[:60]!r}") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url
    raise ProgressError(f"{url.render_as_string(hide_password=True)}: expected a file path or a "
                        f"postgresql:// URL (this kit stores progress in SQLite or PostgreSQL)")


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


@dataclass(frozen=True)
class Attempt:
    learner: str
    exercise: str
    question: str
    answer: Any           # plain: str or list of str
    correct: bool
    sop_version: str
    at: datetime
    key: Any = None       # plain key the answer was checked against
    demo: bool = False    # a sample learner (refundkit progress demo), never a real one


@dataclass(frozen=True)
class Health:
    """What the trainer's page shows about the record: usable or not, and why."""
    ok: bool
    where: str
    rows: int | None = None
    error: str | None = None            # the store's own problem, in one line
    problems: tuple[dict, ...] = ()     # checks that could not be recorded lately (learner, at, error)


class ProgressStore:
    """Open (and create or migrate, on first write) the progress record at `target`.

    `target`: a file path, a `postgresql://` URL, or None for `default_target()`.
    `.path` is the SQLite file (None on PostgreSQL); `.where` names the record in messages.
    """

    def __init__(self, target: str | Path | None = None):
        target = default_target() if target is None or target == "" else target
        if isinstance(target, str) and _URL.match(target):
            url = _url(target)
            if url.get_backend_name() == "sqlite":
                target = Path(url.database or "")
            else:
                self.url, self.path = url, None
        if not isinstance(target, str) or not _URL.match(str(target)):
            self.path = Path(target).expanduser()
            self.url = sa.URL.create("sqlite", database=str(self.path))
        self.where = str(self.path) if self.path is not None else self.url.render_as_string(hide_password=True)
        self.dialect = self.url.get_backend_name()
        self._engine: Engine | None = None
        self._ready = False

    def __repr__(self) -> str:
        return f"ProgressStore({self.where!r})"

    def close(self) -> None:
        """Close the connections this store keeps (it reconnects when used again). Close before
        forking: SQLite's connections must not cross into a child process."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._ready = False

    # -- connections ---------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def _make_engine(self) -> Engine:
        if self.path is None:
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise ProgressError(f"{self.where}: a PostgreSQL record needs psycopg; "
                                    "install the hub extra: pip install 'refundkit[hub]'") from None
            return sa.create_engine(self.url, poolclass=NullPool,
                                    connect_args={"connect_timeout": 10, "application_name": "refundkit"})
        # One connection kept per process: closing the last one checkpoints the WAL (an fsync per check).
        # An idle connection holds no lock, so other kernels and the trainer's page are never kept waiting.
        eng = sa.create_engine(self.url, poolclass=QueuePool, pool_size=1, max_overflow=4,
                               connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi, _record):
            dbapi.isolation_level = None  # we say BEGIN ourselves (below), as SQLAlchemy's docs advise
            cur = dbapi.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # FULL, not the WAL-usual NORMAL: a check that returned is on disk even if the machine loses power.
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA secure_delete = ON")
            # Opening a WAL record whose -shm file is being set up by another process can answer
            # "database is locked" at once, without the busy timeout (many kernels opening the record
            # in the same instant): wait for it as the busy timeout would.
            end = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            while True:
                try:
                    mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > end:
                        raise
                    time.sleep(0.02)
            cur.close()
            if str(mode).lower() != "wal":
                raise ProgressError(f"{self.where}: could not switch to WAL mode (got {mode}); "
                                    "is it on a network drive?")

        @event.listens_for(eng.pool, "connect")
        def _remember_file(_dbapi, record):
            record.info["ino"] = _inode(self.path)

        @event.listens_for(eng.pool, "checkout")
        def _same_file(_dbapi, record, _proxy):
            # `progress reset` deletes the file: a kept connection would write into the deleted
            # one and lose the checks. Reconnect (and create the schema again) instead.
            if record.info.get("ino") != _inode(self.path):
                self._ready = False
                raise sa.exc.DisconnectionError("the progress file was replaced")

        @event.listens_for(eng, "begin")
        def _begin(conn):
            # IMMEDIATE for the migrator: one at a time, the others wait on the lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

        return eng

    def _check_file(self) -> None:
        p = self.path
        if p is None:
            return
        if p.is_dir():
            raise ProgressError(f"{p}: is a folder, not a progress database file")
        parent = next((a for a in p.parents if a.exists()), None)
        if parent is not None and not parent.is_dir():
            raise ProgressError(f"{p}: cannot open the progress database ({parent} is a file, not a folder)")
        if p.exists() and not os.access(p, os.R_OK | os.W_OK):
            raise ProgressError(f"{p}: cannot read and write this file (check its permissions)")
        # The file's first bytes are not read here: closing any descriptor of the file drops every
        # POSIX lock this process holds on it, so another process's last connection would think
        # itself alone and delete the WAL and -shm files still in use here (checks written after
        # that went to a deleted WAL, unseen by the trainer's page). SQLite itself refuses a
        # file that is not a database ("file is not a database", see _error).

    def _error(self, exc: Exception) -> ProgressError:
        """One line naming the record, from whatever the driver said."""
        if isinstance(exc, ProgressError):
            return exc
        msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = msg[0] if msg else type(exc).__name__
        if isinstance(exc, sa.exc.OperationalError) and self.path is None:
            return ProgressError(f"{self.where}: cannot reach the progress database ({reason})")
        if isinstance(exc, OSError):
            return ProgressError(f"{self.where}: cannot open the progress database ({exc.strerror or reason})")
        if "file is not a database" in reason:
            return ProgressError(f"{self.where}: not a usable progress database (not a SQLite file)")
        return ProgressError(f"{self.where}: not a usable progress database ({reason})")

    def _connect(self) -> Connection:
        self._check_file()
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProgressError(f"{self.path}: cannot open the progress database ({exc.strerror})") from None
        try:
            return self.engine.connect()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._error(exc) from None

    def _version(self, conn: Connection) -> int:
        """The schema version, refusing a database that holds someone else's tables."""
        tables = set(sa.inspect(conn).get_table_names())
        if "refundkit_schema" in tables:
            v = conn.execute(sa.select(SCHEMA.c.version)).scalar()
            return int(v or 0)
        legacy = conn.exec_driver_sql("PRAGMA user_version").scalar() if self.dialect == "sqlite" else 0
        if legacy:
            return int(legacy)  # a file from before refundkit_schema
        foreign = (tables - OUR_TABLES) if self.dialect == "sqlite" else (tables & {"attempts"})
        if foreign or (self.dialect == "sqlite" and "attempts" in tables):
            raise ProgressError(f"{self.where}: not a refundkit progress database "
                                f"(it holds other tables: {', '.join(sorted(tables)[:5])})")
        return 0

    def _check_shape(self, conn: Connection) -> None:
        have = {c["name"] for c in sa.inspect(conn).get_columns("attempts")}
        missing = [c.name for c in ATTEMPTS.columns if c.name not in have]
        if missing:
            raise ProgressError(f"{self.where}: not a usable progress database "
                                f"(table attempts lacks {', '.join(missing)})")

    def _ensure(self, conn: Connection) -> None:
        if self._ready:
            return
        version = self._version(conn)
        conn.rollback()
        if version < SCHEMA_VERSION:
            with conn.execution_options(immediate=True).begin():
                if self.dialect == "postgresql":
                    # One migrator at a time across every server of the room; DDL is transactional here.
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(20261120)"))
                version = self._version(conn)
                for n in range(version, SCHEMA_VERSION):
                    MIGRATIONS[n](conn)
                if version < SCHEMA_VERSION:
                    SCHEMA.create(conn, checkfirst=True)
                    conn.execute(SCHEMA.delete())
                    conn.execute(SCHEMA.insert().values(version=SCHEMA_VERSION))
                    if self.dialect == "sqlite":
                        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execution_options(immediate=False)
        elif version > SCHEMA_VERSION:
            raise ProgressError(f"{self.where}: schema version {version} is newer than this kit knows "
                                f"({SCHEMA_VERSION}); update refundkit")
        self._check_shape(conn)
        conn.rollback()
        self._ready = True

    def connection(self) -> Connection:
        """A SQLAlchemy connection to the ready (created, migrated, checked) record. Close it."""
        conn = self._connect()
        try:
            self._ensure(conn)
        except ProgressError:
            conn.close()
            raise
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            conn.close()
            raise self._error(exc) from None
        return conn

    def _run(self, work, write: bool = True):
        """Run `work(conn)` in one transaction; driver errors become one-line ProgressErrors."""
        conn = self.connection()
        try:
            with conn.begin():
                return work(conn)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._error(exc) from None
        finally:
            conn.close()

    def exists(self) -> bool:
        """True when there is something to read (a PostgreSQL record always counts as there).
        Raises ProgressError for a path that can never be a record (a folder, a file that is not SQLite)."""
        self._check_file()
        return self.path is None or self.path.exists()

    # -- writing ---------------------------------------------------------------------
    @staticmethod
    def _row(a: Attempt) -> dict[str, Any]:
        if a.at.tzinfo is None:
            raise ValueError("Attempt.at must be timezone-aware")
        return {"learner": learner_name(a.learner), "exercise": a.exercise, "question": a.question,
                "answer": json.dumps(a.answer, ensure_ascii=False), "correct": int(bool(a.correct)),
                "sop_version": a.sop_version, "at": a.at.isoformat(),
                "key": None if a.key is None else json.dumps(a.key, ensure_ascii=False), "demo": int(a.demo)}

    def schema_version(self) -> int:
        conn = self.connection()
        try:
            return self._version(conn)
        finally:
            conn.close()

    def record(self, a: Attempt) -> int:
        """Store one check; returns its row id. One short transaction, durable on return."""
        row = self._row(a)
        return self._run(lambda c: int(c.execute(ATTEMPTS.insert().values(**row)).inserted_primary_key[0]))

    def record_many(self, attempts: list[Attempt]) -> None:
        """Store many checks in one transaction (the sample workshop; checks kept while the record was away)."""
        rows = [self._row(a) for a in attempts]
        if rows:
            self._run(lambda c: c.execute(ATTEMPTS.insert(), rows))

    # -- reading ---------------------------------------------------------------------
    def rows(self) -> Iterator[dict[str, Any]]:
        """Every check in the order it was recorded, answers decoded."""
        if not self.exists():
            return iter(())
        cols = [c for c in ATTEMPTS.columns if c.name != "demo"]
        data = self._run(lambda c: [dict(r._mapping) for r in c.execute(sa.select(*cols).order_by(ATTEMPTS.c.id))])
        for r in data:
            r["answer"] = json.loads(r["answer"])
            r["key"] = None if r["key"] is None else json.loads(r["key"])
            r["correct"] = bool(r["correct"])
        return iter(data)

    def frame(self):
        """The checks as a pandas DataFrame (empty, with the columns, when there are none)."""
        import pandas as pd

        cols = ["id", "learner", "exercise", "question", "answer", "correct", "sop_version", "at", "key"]
        return pd.DataFrame(list(self.rows()), columns=cols)

    def count(self, demo: bool | None = None) -> int:
        """Checks recorded; `demo=False`: only real learners', `demo=True`: only sample ones."""
        if not self.exists():
            return 0
        q = sa.select(sa.func.count()).select_from(ATTEMPTS)
        if demo is not None:
            q = q.where(ATTEMPTS.c.demo == int(demo))
        return int(self._run(lambda c: c.execute(q).scalar()))

    def learners(self) -> list[str]:
        if not self.exists():
            return []
        return self._run(lambda c: list(c.execute(sa.select(ATTEMPTS.c.learner).distinct()
                                                  .order_by(ATTEMPTS.c.learner)).scalars()))

    # -- erasing ---------------------------------------------------------------------
    def delete_learner(self, learner: str) -> int:
        """Remove one learner's records and erase their name from the database's bytes; returns the rows removed.

        SQLite: secure_delete zeroes the freed space, then a TRUNCATE checkpoint empties
        the WAL file that still held the old pages. PostgreSQL: VACUUM FULL rewrites the
        table without the dead rows (the server's own WAL and backups keep them until
        they rotate; docs/scale.md says so).
        """
        name = normalise_name(learner)
        n = self._run(lambda c: c.execute(ATTEMPTS.delete().where(ATTEMPTS.c.learner == name)).rowcount)
        if n:
            self.compact()
        return n

    def delete_all(self) -> int:
        """Every record gone (a new room); the schema stays."""
        n = self._run(lambda c: c.execute(ATTEMPTS.delete()).rowcount)
        self.compact()
        return n

    def compact(self) -> None:
        """Leave no copy of deleted rows in the database's files."""
        conn = self.connection()
        try:
            if self.dialect == "sqlite":
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0]
                if busy:
                    raise ProgressError(f"{self.where}: deleted, but another program is reading the record; "
                                        "old copies stay in the -wal file until it closes: run again then")
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM FULL attempts")
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(exc) from None
        finally:
            conn.close()

    # -- health, for the trainer's page --------------------------------------------------
    def problems_file(self) -> Path:
        """Where checks that could not be recorded are noted (beside a SQLite file; else the data folder)."""
        if os.environ.get("REFUNDKIT_PROBLEMS"):
            return Path(os.environ["REFUNDKIT_PROBLEMS"])
        if self.path is not None:
            return self.path.with_name(self.path.name + ".problems.jsonl")
        return data_dir() / "progress-problems.jsonl"

    def note_problem(self, learner: str, error: str, at: datetime | None = None) -> None:
        """Best effort: a line the trainer's page shows. Never raises."""
        line = json.dumps({"learner": learner, "error": error,
                           "at": (at or datetime.now(timezone.utc)).isoformat()}, ensure_ascii=False)
        try:
            f = self.problems_file()
            f.parent.mkdir(parents=True, exist_ok=True)
            with open(f, "a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError:
            pass

    def health(self, recent: int = 20) -> Health:
        """Can the record be read and written now? Plus the last checks that could not be recorded."""
        problems: list[dict] = []
        try:
            with open(self.problems_file(), encoding="utf-8") as f:
                for line in f.readlines()[-recent:]:
                    try:
                        problems.append(json.loads(line))
                    except ValueError:
                        continue
        except OSError:
            pass
        try:
            if not self.exists():
                return Health(True, self.where, 0, None, tuple(problems))
            rows = self.count()

            def probe(c: Connection) -> None:  # a write, rolled back: is the record writable?
                c.execute(ATTEMPTS.delete().where(ATTEMPTS.c.id == -1))
            self._run(probe)
        except ProgressError as exc:
            return Health(False, self.where, None, str(exc), tuple(problems))
        return Health(True, self.where, rows, None, tuple(problems))
