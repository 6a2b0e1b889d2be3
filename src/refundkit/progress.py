"""The progress record: every answer a learner checks, in a SQLite file.

Where: `$REFUNDKIT_DB` when set, else `progress.sqlite3` in the user's data
folder (`$XDG_DATA_HOME/refundkit`, `~/.local/share/refundkit`; on macOS
`~/Library/Application Support/refundkit`; on Windows `%APPDATA%\\refundkit`).
The learner's name is the only personal data in it; deleting the file resets
the room.

Why SQLite in WAL mode: a workshop has one kernel per learner, all writing at
once. WAL lets readers (the trainer's dashboard) run beside writers; a busy
timeout queues writers instead of failing; each record is one short
transaction, so a killed process loses at most the answer it was writing and
leaves the file readable. The schema version lives in `PRAGMA user_version`;
`MIGRATIONS[n]` brings a file from version n to n+1, on first use.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from .names import normalise_name

APP = "refundkit"
DB_NAME = "progress.sqlite3"
BUSY_TIMEOUT_MS = 60_000

# Index n: SQL that takes the schema from version n to n+1. Append only.
MIGRATIONS: list[str] = [
    # 0 -> 1: the record of checks.
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        learner TEXT NOT NULL,
        exercise TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,          -- JSON: a string or a list of strings
        correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
        sop_version TEXT NOT NULL,
        at TEXT NOT NULL               -- ISO time with offset
    );
    """,
    # 1 -> 2: the key the learner was checked against (so a dashboard can show it
    # after the SOP moved), and indexes for the trainer's views.
    """
    ALTER TABLE attempts ADD COLUMN key TEXT;
    CREATE INDEX attempts_learner ON attempts (learner, exercise);
    CREATE INDEX attempts_question ON attempts (question);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class ProgressError(Exception):
    """The progress database cannot be used; the message names the file."""


def data_dir() -> Path:
    """The user's data folder for the kit, by platform convention."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP


def default_db_path() -> Path:
    env = os.environ.get("REFUNDKIT_DB")
    return Path(env).expanduser() if env else data_dir() / DB_NAME


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


class ProgressStore:
    """Open (and create or migrate) the progress database at `path`.

    Connections are short-lived: one per call, so many processes can share the
    file and nothing stays locked while a learner thinks.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_db_path()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ProgressError(f"{self.path}: cannot open the progress database ({exc})") from None
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # FULL, not the WAL-usual NORMAL: a check that returned is on disk even if the machine loses power.
            con.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            con.close()
            raise ProgressError(f"{self.path}: not a usable progress database ({exc})") from None
        return con

    def _ensure(self, con: sqlite3.Connection) -> None:
        if self._ready:
            return
        try:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                con.execute("BEGIN IMMEDIATE")  # one migrator at a time; others wait on the lock
                try:
                    version = con.execute("PRAGMA user_version").fetchone()[0]
                    for n in range(version, SCHEMA_VERSION):
                        for stmt in MIGRATIONS[n].split(";"):
                            if stmt.strip():
                                con.execute(stmt)
                        con.execute(f"PRAGMA user_version = {n + 1}")
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            elif version > SCHEMA_VERSION:
                raise ProgressError(f"{self.path}: schema version {version} is newer than this kit knows "
                                    f"({SCHEMA_VERSION}); update refundkit")
        except sqlite3.DatabaseError as exc:
            raise ProgressError(f"{self.path}: not a usable progress database ({exc})") from None
        if mode.lower() != "wal":
            raise ProgressError(f"{self.path}: could not switch to WAL mode (got {mode}); is it on a network drive?")
        self._ready = True

    def connection(self) -> sqlite3.Connection:
        con = self._connect()
        try:
            self._ensure(con)
        except BaseException:
            con.close()
            raise
        return con

    def schema_version(self) -> int:
        with closing(self.connection()) as con:
            return con.execute("PRAGMA user_version").fetchone()[0]

    def record(self, a: Attempt) -> int:
        """Store one check; returns its row id. One short transaction, durable on return."""
        if a.at.tzinfo is None:
            raise ValueError("Attempt.at must be timezone-aware")
        with closing(self.connection()) as con:
            cur = con.execute(
                "INSERT INTO attempts (learner, exercise, question, answer, correct, sop_version, at, key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (normalise_name(a.learner), a.exercise, a.question, json.dumps(a.answer, ensure_ascii=False),
                 int(bool(a.correct)), a.sop_version, a.at.isoformat(),
                 None if a.key is None else json.dumps(a.key, ensure_ascii=False)),
            )
            return int(cur.lastrowid)

    def record_many(self, attempts: list[Attempt]) -> None:
        """Store many checks in one transaction (the sample workshop)."""
        with closing(self.connection()) as con:
            con.execute("BEGIN IMMEDIATE")
            con.executemany(
                "INSERT INTO attempts (learner, exercise, question, answer, correct, sop_version, at, key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(normalise_name(a.learner), a.exercise, a.question, json.dumps(a.answer, ensure_ascii=False),
                  int(bool(a.correct)), a.sop_version, a.at.isoformat(),
                  None if a.key is None else json.dumps(a.key, ensure_ascii=False)) for a in attempts],
            )
            con.execute("COMMIT")

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every check in the order it was recorded, answers decoded."""
        if not self.path.exists():
            return iter(())
        with closing(self.connection()) as con:
            con.row_factory = sqlite3.Row
            data = [dict(r) for r in con.execute("SELECT * FROM attempts ORDER BY id")]
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

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with closing(self.connection()) as con:
            return con.execute("SELECT count(*) FROM attempts").fetchone()[0]

    def delete_learner(self, learner: str) -> int:
        """Remove one learner's records (their name is personal data); returns the rows removed."""
        with closing(self.connection()) as con:
            return con.execute("DELETE FROM attempts WHERE learner = ?", (normalise_name(learner),)).rowcount
