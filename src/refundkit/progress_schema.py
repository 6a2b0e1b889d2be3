"""The progress record's tables and the one migration path, for SQLite and PostgreSQL alike.

`ATTEMPTS` is the table as the store reads and writes it today. `MIGRATIONS[n]`
takes a database from schema version n to n+1; a new database walks the whole
list, so a fresh record and a migrated old one end in the same shape (a test
compares them). Each step is written once with SQLAlchemy Core and compiled
for the dialect at hand.

The version lives in the table `refundkit_schema`. Files written by kits before
it kept the version in SQLite's `PRAGMA user_version` (versions 1 and 2); those
are read as such and moved on.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

metadata = sa.MetaData()

ATTEMPTS = sa.Table(
    "attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("learner", sa.Text, nullable=False),
    sa.Column("exercise", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),        # JSON: a string or a list of strings
    sa.Column("correct", sa.Integer, nullable=False),    # 0 or 1
    sa.Column("sop_version", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),            # ISO time with offset
    sa.Column("key", sa.Text),                           # JSON: the key the answer was checked against
    sa.Column("demo", sa.Integer, nullable=False, server_default="0"),  # 1: a sample learner, never a real one
    sqlite_autoincrement=True,
)
SCHEMA = sa.Table("refundkit_schema", metadata, sa.Column("version", sa.Integer, nullable=False))


def _v1(conn: Connection) -> None:
    """The record of checks."""
    m = sa.MetaData()
    sa.Table("attempts", m,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("learner", sa.Text, nullable=False),
             sa.Column("exercise", sa.Text, nullable=False),
             sa.Column("question", sa.Text, nullable=False),
             sa.Column("answer", sa.Text, nullable=False),
             sa.Column("correct", sa.Integer, sa.CheckConstraint("correct IN (0, 1)"), nullable=False),
             sa.Column("sop_version", sa.Text, nullable=False),
             sa.Column("at", sa.Text, nullable=False),
             sqlite_autoincrement=True).create(conn)


def _v2(conn: Connection) -> None:
    """The key the learner was checked against (shown after the SOP moved); indexes for the trainer's views."""
    conn.execute(sa.text("ALTER TABLE attempts ADD COLUMN key TEXT"))
    conn.execute(sa.text("CREATE INDEX attempts_learner ON attempts (learner, exercise)"))
    conn.execute(sa.text("CREATE INDEX attempts_question ON attempts (question)"))


def _v3(conn: Connection) -> None:
    """Sample learners marked as such, so a demo never passes for (or mixes into) a real room."""
    conn.execute(sa.text("ALTER TABLE attempts ADD COLUMN demo INTEGER NOT NULL DEFAULT 0"))


# Index n: the step from version n to n+1. Append only.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)
