"""The progress store on SQLite and on a real PostgreSQL: schema on first use, the one migration path,
20 writers at once, a killed writer, unusable records refused in one line, forgetting a name for good."""
from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from refundkit.exercises.session import NameNeeded, Session
from refundkit.progress import (SCHEMA_VERSION, Attempt, ProgressError, ProgressStore, default_db_path,
                                default_target)
from refundkit.progress_schema import ATTEMPTS

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)

# The schema as kits before SQLAlchemy wrote it (version 1, in PRAGMA user_version): old files look like this.
LEGACY_V1 = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, learner TEXT NOT NULL, exercise TEXT NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL, correct INTEGER NOT NULL CHECK (correct IN (0, 1)), sop_version TEXT NOT NULL,
    at TEXT NOT NULL);
PRAGMA user_version = 1;
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """The same test against a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "room.sqlite3")
    return request.getfixturevalue("pg_url")


def test_default_target_follows_env_and_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "room.sqlite3"))
    assert default_db_path() == tmp_path / "room.sqlite3"
    monkeypatch.setenv("REFUNDKIT_DB", "postgresql://kit:secret@127.0.0.1:5432/room")
    store = ProgressStore()
    assert store.path is None and store.dialect == "postgresql"
    assert "secret" not in store.where and "secret" not in str(default_db_path())
    monkeypatch.setenv("REFUNDKIT_DB", "mysql://x@h/db")
    with pytest.raises(ProgressError, match="expected a file path or a postgresql:// URL"):
        ProgressStore()
    monkeypatch.delenv("REFUNDKIT_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert default_target() == tmp_path / "xdg" / "refundkit" / "progress.sqlite3"


def test_sqlite_file_created_on_first_write_wal_and_secure_delete(tmp_path):
    db = tmp_path / "sub" / "p.sqlite3"
    store = ProgressStore(db)
    assert not db.exists() and store.count() == 0  # reading an absent file creates nothing
    store.record(Attempt("王芳", "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT, "cancel_and_refund"))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM refundkit_schema").fetchone()[0] == SCHEMA_VERSION
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    (row,) = list(store.rows())
    assert row["learner"] == "王芳" and row["answer"] == "refund_now" and row["correct"] is False
    assert row["key"] == "cancel_and_refund" and row["at"] == "2026-11-20T10:00:00+08:00"


def test_record_round_trip_and_names_normalised(target):
    store = ProgressStore(target)
    store.record(Attempt("Ｌｉ  Ｌｅｉ", "ex02", "ex02.q01", ["a", "b"], True, "1.0.0", AT, ["a", "b"]))
    store.record(Attempt(" 王\u3000芳 ", "ex01", "ex01.q01", "x", False, "1.0.0", AT))
    with pytest.raises(ValueError):
        store.record(Attempt("名" * 41, "ex01", "ex01.q01", "x", False, "1.0.0", AT))
    rows = list(store.rows())
    assert [r["learner"] for r in rows] == ["Li Lei", "王芳"]
    assert rows[0]["answer"] == ["a", "b"] and rows[0]["correct"] is True and rows[1]["key"] is None
    assert store.learners() == ["Li Lei", "王芳"] and store.count() == 2 and store.count(demo=True) == 0


def _shape(store: ProgressStore) -> dict:
    with store.engine.connect() as c:
        insp = sa.inspect(c)
        # (the primary key is never null; old files just did not say so)
        cols = {col["name"]: (str(col["type"]).split("(")[0], col["nullable"] and col["name"] != "id")
                for col in insp.get_columns("attempts")}
        idx = {i["name"]: tuple(i["column_names"]) for i in insp.get_indexes("attempts")}
    return {"columns": cols, "indexes": idx}


def test_old_sqlite_file_is_migrated_to_the_same_shape_as_a_new_one(tmp_path):
    db = tmp_path / "old.sqlite3"
    con = sqlite3.connect(db)
    con.executescript(LEGACY_V1)
    con.execute("INSERT INTO attempts (learner, exercise, question, answer, correct, sop_version, at) "
                "VALUES ('李雷', 'ex02', 'ex02.q01', '\"215.10\"', 1, '0.9.0', '2026-11-01T09:00:00+08:00')")
    con.commit()
    con.close()
    old = ProgressStore(db)
    assert old.schema_version() == SCHEMA_VERSION
    rows = list(old.rows())
    assert rows[0]["learner"] == "李雷" and rows[0]["key"] is None and rows[0]["sop_version"] == "0.9.0"
    old.record(Attempt("李雷", "ex02", "ex02.q02", "8.00", True, "1.0.0", AT, "8.00"))
    assert old.count() == 2 and old.count(demo=False) == 2
    new = ProgressStore(tmp_path / "new.sqlite3")
    new.record(Attempt("李雷", "ex02", "ex02.q02", "8.00", True, "1.0.0", AT, "8.00"))
    assert _shape(old) == _shape(new)


def test_postgresql_gets_the_same_schema_through_the_same_path(pg_url, tmp_path):
    pg, lite = ProgressStore(pg_url), ProgressStore(tmp_path / "p.sqlite3")
    for s in (pg, lite):
        s.record(Attempt("王芳", "ex01", "ex01.q01", "x", False, "1.0.0", AT))
    assert pg.schema_version() == lite.schema_version() == SCHEMA_VERSION
    a, b = _shape(pg), _shape(lite)
    assert a["indexes"] == b["indexes"] and set(a["columns"]) == set(b["columns"])
    assert {k: v[1] for k, v in a["columns"].items()} == {k: v[1] for k, v in b["columns"].items()}


def test_unusable_records_are_refused_in_one_line_naming_them(tmp_path, pg_server):
    newer = tmp_path / "new.sqlite3"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00\xff junk " * 300)
    folder = tmp_path / "folder.sqlite3"
    folder.mkdir()
    foreign = tmp_path / "other-app.sqlite3"
    sqlite3.connect(foreign).executescript("CREATE TABLE customers (id INTEGER, phone TEXT);")
    wrong = tmp_path / "wrong.sqlite3"
    sqlite3.connect(wrong).executescript("CREATE TABLE attempts (id INTEGER); CREATE TABLE refundkit_schema (version INTEGER);"
                                         f"INSERT INTO refundkit_schema VALUES ({SCHEMA_VERSION});")
    under_file = tmp_path / "junk.sqlite3" / "p.sqlite3"
    down = f"postgresql://kit:secret@127.0.0.1:{pg_server.port + 1 if pg_server.port < 65535 else 1}/x"
    cases = {newer: "schema version 8 is newer", junk: "not a usable progress database",
             folder: "is a folder", foreign: "not a refundkit progress database", wrong: "attempts lacks",
             under_file: "cannot open", down: "cannot reach the progress database"}
    for where, why in cases.items():
        store = ProgressStore(where if isinstance(where, str) else where)
        for call in (store.count, store.frame, lambda: store.record(Attempt("王芳", "e", "q", "a", 1, "1", AT))):
            with pytest.raises(ProgressError) as err:
                call()
            msg = str(err.value)
            assert why in msg and "\n" not in msg and "secret" not in msg, msg
            assert (str(where) if not isinstance(where, str) else "127.0.0.1") in msg
        assert not store.health().ok and why in store.health().error
    assert sqlite3.connect(foreign).execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 1  # untouched


# -- many writers at once; a killed writer --------------------------------------------------
# Writers are forked processes (as each learner has their own kernel): forking an already
# imported interpreter starts 20 of them in milliseconds, where 20 fresh imports take seconds.

def _fork(work) -> int:
    pid = os.fork()
    if pid == 0:  # the child: do the work, never return into pytest
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, timeout: float = 120) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"writer {pid} did not finish in {timeout} s")


def test_twenty_learners_checking_at_once_all_land(target, tmp_path):
    # Twenty writers at once is the room; four checks each (two questions, wrong then right) keep them
    # writing together. On PostgreSQL each check is a connection of its own: ~12 ms of CPU.
    per = 4
    go, ready = os.pipe()  # the writers wait on it, without spinning, until it closes
    first = ProgressStore(target)
    first.count()  # schema in place: the writers race on records, not on the migration
    first.close()  # no open SQLite connection may cross a fork (SQLite's rule)

    def writer(learner: str):
        def work():
            store = ProgressStore(target)
            os.close(ready)
            os.read(go, 1)  # end of file when the test closes its end
            for i in range(per):  # wrong first, then right, as a learner does
                store.record(Attempt(learner, "ex04", f"ex04.q{i // 2:02d}", ["x"], i % 2 == 1, "1.0.0",
                                     AT + timedelta(seconds=i)))
        return work

    pids = [_fork(writer(f"学员{i:02d}")) for i in range(20)]
    os.close(ready)  # all start checking together
    os.close(go)
    assert [_wait(pid) for pid in pids] == [0] * 20
    store = ProgressStore(target)
    assert store.count() == 20 * per
    counts = store.frame().groupby("learner").size()
    assert len(counts) == 20 and (counts == per).all()
    assert store.frame()["correct"].sum() == 20 * per // 2
    if store.path is not None:
        assert sqlite3.connect(store.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_killed_writer_loses_nothing_committed_and_leaves_the_record_usable(target, tmp_path):
    committed, writing = tmp_path / "committed", tmp_path / "writing"

    def work():
        store = ProgressStore(target)
        for _ in range(20):
            store.record(Attempt("张三", "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT))
        committed.touch()
        conn = store.connection()
        conn.begin()  # a transaction half written when the kill comes
        conn.execute(ATTEMPTS.insert(), [store._row(Attempt("张三", "ex01", "ex01.q02", "x", False, "1.0.0", AT))] * 500)
        writing.touch()
        time.sleep(60)

    pid = _fork(work)
    end = time.monotonic() + 60
    while not writing.exists() and time.monotonic() < end:
        time.sleep(0.01)
    assert committed.exists() and writing.exists()
    os.kill(pid, signal.SIGKILL)
    assert _wait(pid) == -signal.SIGKILL
    store = ProgressStore(target)
    assert store.count() == 20  # committed rows kept, the half-written transaction gone
    if store.path is not None:
        assert sqlite3.connect(store.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.record(Attempt("李四", "ex01", "ex01.q01", "cancel_and_refund", True, "1.0.0", AT))
    assert store.count() == 21  # and writable again


def test_every_process_sees_every_check_while_short_lived_readers_come_and_go(tmp_path):
    """A room: a kernel keeps its store and writes, the trainer's server keeps one and reads, other
    readers open and close. A reader closing must never delete the WAL the others still use (it
    did when the kit read the file's header with a plain open/close, which drops this process's
    SQLite locks): checks written after that went unseen by the trainer's page."""
    db = tmp_path / "room.sqlite3"
    flag = lambda name: tmp_path / name  # noqa: E731

    def wait_for(name: str) -> None:
        end = time.monotonic() + 60
        while not flag(name).exists():
            assert time.monotonic() < end, name
            time.sleep(0.01)

    def kernel():
        store = ProgressStore(db)
        for i in range(3):
            store.record(Attempt("陈静", "ex01", "ex01.q01", "x", False, "1.0.0", AT))
        flag("three").touch()
        wait_for("more")
        for i in range(2):
            store.record(Attempt("黄磊", "ex01", "ex01.q01", "x", i == 1, "1.0.0", AT))
        flag("five").touch()
        wait_for("end")

    def trainer():
        store = ProgressStore(db)
        while not flag("end").exists():
            flag("trainer_sees.tmp").write_text(str(store.count()))
            flag("trainer_sees.tmp").replace(flag("trainer_sees"))
            time.sleep(0.05)

    pids = [_fork(kernel)]
    wait_for("three")
    pids.append(_fork(trainer))
    try:
        for _ in range(5):  # readers that come and go (a test polling, a `progress` command)
            once = ProgressStore(db)
            assert once.count() == 3
            once.close()
            time.sleep(0.1)
        flag("more").touch()
        wait_for("five")
        once = ProgressStore(db)
        assert once.count() == 5, "a reader opened after the checks does not see them"
        once.close()
        end = time.monotonic() + 10
        while flag("trainer_sees").read_text() != "5":
            assert time.monotonic() < end, f"the trainer's page sees {flag('trainer_sees').read_text()} checks, not 5"
            time.sleep(0.05)
    finally:
        flag("end").touch()
        assert [_wait(pid) for pid in pids] == [0, 0]
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- forgetting a learner ------------------------------------------------------------------

def test_forget_erases_the_name_from_every_byte_of_the_sqlite_files(tmp_path):
    db = tmp_path / "p.sqlite3"
    store = ProgressStore(db)
    secret = "欧阳娜娜Zq"
    # enough rows to span many pages, and a name in the index too
    store.record_many([Attempt(secret if i % 3 == 0 else f"学员{i % 7}", "ex01", "ex01.q01", "refund_now", False,
                               "1.0.0", AT) for i in range(300)])
    reader = sqlite3.connect(db)  # another kernel with the file open, as in a room
    reader.execute("SELECT count(*) FROM attempts").fetchone()

    def files_hold(text: str) -> bool:
        return any(text.encode() in f.read_bytes() for f in tmp_path.iterdir() if f.name.startswith("p.sqlite3"))

    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert files_hold(secret)
    assert store.delete_learner(" " + secret) == 100
    assert not files_hold(secret)
    assert files_hold("学员1") and store.count() == 200
    reader.close()


def test_forget_on_postgresql_removes_the_rows_and_compacts(pg_url):
    store = ProgressStore(pg_url)
    store.record_many([Attempt(n, "ex01", "ex01.q01", "x", False, "1.0.0", AT) for n in ("王芳", "李雷", "王芳")])
    assert store.delete_learner("王\u3000芳") == 2
    assert store.learners() == ["李雷"]


# -- a check that cannot be recorded ----------------------------------------------------------

def test_session_needs_a_name_and_records_every_check(tmp_path, sop):
    store = ProgressStore(tmp_path / "p.sqlite3")
    s = Session("ex01", sop=sop, store=store, clock=lambda: AT)
    with pytest.raises(NameNeeded):
        s.check("ex01.q01", "cancel_and_refund")
    assert store.count() == 0
    s.learner = "王芳"
    assert not s.check("ex01.q01", "refund_now").correct
    assert s.check("ex01.q01", "cancel_and_refund").correct
    rows = list(store.rows())
    assert [(r["answer"], r["correct"], r["sop_version"]) for r in rows] == [
        ("refund_now", False, sop.version), ("cancel_and_refund", True, sop.version)]
    assert s.score() == (0, len(s.questions))  # missed at the first try: done, but not scored
    report = s.report("en")
    assert f"Score (right at first try): 0/{len(s.questions)}" in report
    assert "R07" in report and "Question 2" in report  # rule to revisit; question 2 still unanswered


def test_a_check_that_cannot_be_recorded_says_so_keeps_the_answer_and_shows_the_trainer(tmp_path, sop):
    db = tmp_path / "p.sqlite3"
    db.mkdir()  # the record is unusable: a folder where the file should be
    store = ProgressStore(db)
    s = Session("ex01", learner="王芳", sop=sop, store=store, clock=lambda: AT)
    fb = s.check("ex01.q01", "cancel_and_refund")
    assert fb.correct  # the learner still gets the check
    assert s.save_error and "is a folder" in s.save_error and len(s.unsaved) == 1
    health = store.health()
    assert not health.ok and "is a folder" in health.error
    assert health.problems and health.problems[-1]["learner"] == "王芳"
    db.rmdir()  # the trainer fixes it; the next check saves both
    s.check("ex01.q01", "refund_now")
    assert s.save_error is None and s.unsaved == []
    assert [r["answer"] for r in store.rows()] == ["cancel_and_refund", "refund_now"]
    assert store.health().ok


def test_behind_a_login_the_login_name_is_recorded_whatever_is_typed(tmp_path, sop, monkeypatch):
    from refundkit.exercises.widgets import Exercise

    store = ProgressStore(tmp_path / "p.sqlite3")
    monkeypatch.setenv("REFUNDKIT_LEARNER", "wangfang")
    ex = Exercise("ex01", sop=sop, store=store, clock=lambda: AT)
    assert ex.name.value == "wangfang" and ex.name.disabled
    ex.session.learner = "someone else"  # typed, or carried from another page
    ex.session.check("ex01.q01", "cancel_and_refund")
    assert store.learners() == ["wangfang"]


def test_the_widget_says_when_a_check_could_not_be_saved_and_when_a_name_is_too_long(tmp_path, sop):
    from refundkit.exercises.widgets import Exercise

    db = tmp_path / "p.sqlite3"
    db.mkdir()  # unusable record
    ex = Exercise("ex01", sop=sop, store=ProgressStore(db), clock=lambda: AT)
    ex.name.value = "王芳"
    w = ex.question("q01")
    w.control.value = "cancel_and_refund"
    w._check()
    for lang in ("zh", "en"):
        ex.lang_switch.value = lang
        assert sop.t("not_saved", lang) in w.feedback.value and "rk-msg-ok" in w.feedback.value
    db.rmdir()
    w._check()
    assert sop.t("not_saved", "en") not in w.feedback.value and ProgressStore(db).count() == 2
    ex.name.value = "名" * 60
    w._check()
    assert sop.t("name_too_long", "en") in w.feedback.value and ProgressStore(db).count() == 2
