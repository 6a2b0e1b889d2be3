"""The progress store: schema on first use, migration by version, 20 writers at once, killed writers."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from refundkit.exercises.session import NameNeeded, Session
from refundkit.progress import MIGRATIONS, SCHEMA_VERSION, Attempt, ProgressError, ProgressStore, default_db_path

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


def test_default_path_follows_env_and_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "room.sqlite3"))
    assert default_db_path() == tmp_path / "room.sqlite3"
    monkeypatch.delenv("REFUNDKIT_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert default_db_path() == tmp_path / "xdg" / "refundkit" / "progress.sqlite3"


def test_schema_created_on_first_use_in_wal_mode(tmp_path):
    db = tmp_path / "sub" / "p.sqlite3"
    store = ProgressStore(db)
    assert not db.exists() and store.count() == 0  # reading an absent file creates nothing
    store.record(Attempt("王芳", "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT, "cancel_and_refund"))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (row,) = list(store.rows())
    assert row["learner"] == "王芳" and row["answer"] == "refund_now" and row["correct"] is False
    assert row["key"] == "cancel_and_refund" and row["at"] == "2026-11-20T10:00:00+08:00"


def test_version_1_file_is_migrated_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.sqlite3"
    con = sqlite3.connect(db)
    con.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    con.execute("INSERT INTO attempts (learner, exercise, question, answer, correct, sop_version, at) "
                "VALUES ('李雷', 'ex02', 'ex02.q01', '\"215.10\"', 1, '0.9.0', '2026-11-01T09:00:00+08:00')")
    con.commit()
    con.close()
    store = ProgressStore(db)
    assert store.schema_version() == SCHEMA_VERSION == 2
    rows = list(store.rows())
    assert rows[0]["learner"] == "李雷" and rows[0]["key"] is None and rows[0]["sop_version"] == "0.9.0"
    store.record(Attempt("李雷", "ex02", "ex02.q02", "8.00", True, "1.0.0", AT, "8.00"))
    assert store.count() == 2


def test_newer_schema_and_non_database_are_refused_with_the_path(tmp_path):
    db = tmp_path / "new.sqlite3"
    sqlite3.connect(db).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(ProgressError, match=r"new\.sqlite3: schema version 7 is newer"):
        ProgressStore(db).count()
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all " * 100)
    with pytest.raises(ProgressError, match=r"junk\.sqlite3: not a usable progress database"):
        ProgressStore(junk).count()


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
    assert "R07" in report and "q02" in report  # rule to revisit; q02 still unanswered


WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from refundkit.exercises.session import Session
    from refundkit.progress import ProgressStore
    learner, go = sys.argv[1], Path(sys.argv[2])
    s = Session("ex04", learner=learner, store=ProgressStore())
    keys = [(q.id, list(s.key(q.id).answer)) for q in s.questions]
    while not go.exists():
        time.sleep(0.005)
    for qid, key in keys:
        s.check(qid, [])      # wrong first
        s.check(qid, key)     # then right
    print("done", len(keys) * 2)
""")


def test_twenty_learners_checking_at_once_all_land(tmp_path):
    db = tmp_path / "room.sqlite3"
    go = tmp_path / "go"
    env = dict(os.environ, REFUNDKIT_DB=str(db))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"学员{i:02d}", str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(20)]
    time.sleep(0.5)
    go.touch()  # all start checking together
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    per = int(outs[0][0].split()[1])
    store = ProgressStore(db)
    assert store.count() == 20 * per
    df = store.frame()
    counts = df.groupby("learner").size()
    assert len(counts) == 20 and (counts == per).all()
    assert df["correct"].sum() == 20 * per // 2  # every second check was right
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


KILLED = textwrap.dedent("""
    import sys, sqlite3, time
    from datetime import datetime, timezone
    from refundkit.progress import Attempt, ProgressStore
    store = ProgressStore(sys.argv[1])
    at = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    for i in range(20):
        store.record(Attempt("张三", "ex01", "ex01.q01", "refund_now", False, "1.0.0", at))
    print("committed 20", flush=True)
    # Now hold a write transaction open, half written, and wait to be killed.
    con = store.connection()
    con.execute("BEGIN IMMEDIATE")
    for i in range(500):
        con.execute("INSERT INTO attempts (learner, exercise, question, answer, correct, sop_version, at) "
                    "VALUES ('张三', 'ex01', 'ex01.q02', '\\"x\\"', 0, '1.0.0', '2026-11-20T10:00:00+08:00')")
    print("writing", flush=True)
    time.sleep(60)
""")


def test_killed_process_leaves_the_database_readable(tmp_path):
    db = tmp_path / "p.sqlite3"
    p = subprocess.Popen([sys.executable, "-c", KILLED, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "committed 20"
        assert p.stdout.readline().strip() == "writing"
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    store = ProgressStore(db)
    assert store.count() == 20  # committed rows kept, the half-written transaction gone
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    store.record(Attempt("李四", "ex01", "ex01.q01", "cancel_and_refund", True, "1.0.0", AT))
    assert store.count() == 21  # and writable again


def test_delete_learner_removes_only_their_rows(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite3")
    for who in ("王芳", "李雷", "王芳"):
        store.record(Attempt(who, "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT))
    assert store.delete_learner("王芳") == 2
    assert [r["learner"] for r in store.rows()] == ["李雷"]
    assert json.loads(json.dumps(store.frame()["learner"].tolist(), ensure_ascii=False)) == ["李雷"]
