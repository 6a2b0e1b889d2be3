"""`refundkit progress ...` as a trainer uses it: on SQLite and PostgreSQL, with unusable records refused
in one line, a demo that never mixes into a real room, and forget that leaves no trace of the name."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from refundkit.cli import main
from refundkit.progress import Attempt, ProgressStore

AT = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COMMANDS = (["export", "-o", "x.xlsx"], ["export", "--format", "csv", "-o", "out"], ["demo"], ["forget", "王芳"],
            ["reset"], ["reset", "--yes"])


def _unusable(tmp_path) -> dict:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    folder = tmp_path / "folder.sqlite3"
    folder.mkdir()
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE orders (id INTEGER, buyer TEXT)")
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as c:
        c.execute("PRAGMA user_version = 99")
        c.execute("CREATE TABLE attempts (id INTEGER)")
    return {junk: "not a usable progress database", folder: "is a folder",
            foreign: "not a refundkit progress database", newer: "newer than this kit knows"}


def test_every_command_refuses_an_unusable_record_in_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("REFUNDKIT_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    for db, why in _unusable(tmp_path).items():
        for cmd in COMMANDS:
            assert main(["progress", *cmd[:1], "--db", str(db), *cmd[1:]]) == 2, (db, cmd)
            out, err = capsys.readouterr()
            assert err.count("\n") == 1 and why in err and str(db) in err and "Traceback" not in err, (cmd, err)
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "out").exists()
    assert sqlite3.connect(tmp_path / "foreign.sqlite3").execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 1


def test_a_postgresql_server_that_does_not_answer_is_one_line_without_the_password(capsys, pg_server):
    url = f"postgresql://trainer:hunter2@127.0.0.1:{pg_server.port}/no_such_db"
    for cmd in COMMANDS:
        assert main(["progress", *cmd[:1], "--db", url, *cmd[1:]]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "hunter2" not in err and "127.0.0.1" in err, err


def test_demo_writes_only_into_a_new_or_sample_only_record(tmp_path, capsys):
    db = tmp_path / "room.sqlite3"
    assert main(["progress", "demo", "--db", str(db), "--learners", "2"]) == 0  # new: fine
    n = ProgressStore(db).count()
    assert main(["progress", "demo", "--db", str(db), "--learners", "2", "--reset"]) == 0  # sample only: fine
    assert ProgressStore(db).count() == n and ProgressStore(db).count(demo=True) == n
    ProgressStore(db).record(Attempt("真实学员", "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT))
    capsys.readouterr()
    for extra in ([], ["--reset"]):
        assert main(["progress", "demo", "--db", str(db), *extra]) == 2
        err = capsys.readouterr().err
        assert "1 checks of real learners" in err and "--yes" in err and err.count("\n") == 1
    store = ProgressStore(db)
    assert store.count(demo=False) == 1 and "真实学员" in store.learners()  # nothing deleted, nothing mixed in
    assert main(["progress", "demo", "--db", str(db), "--learners", "2", "--yes"]) == 0
    assert store.count() == 2 * n + 1


def test_forget_from_the_command_line_leaves_no_trace_in_the_files(tmp_path, capsys):
    db = tmp_path / "room.sqlite3"
    assert main(["progress", "demo", "--db", str(db), "--learners", "3"]) == 0
    ProgressStore(db).record_many([Attempt("Ｚｈｏｕ　Ｘｕｎ", "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT)] * 50)

    def in_files(text):
        return any(text.encode() in f.read_bytes() for f in tmp_path.iterdir() if f.name.startswith("room.sqlite3"))

    assert in_files("Zhou Xun") and in_files("李雷")
    capsys.readouterr()
    assert main(["progress", "forget", "Zhou Xun", "--db", str(db)]) == 0
    assert "removed 50 checks of Zhou Xun, erased from the file" in capsys.readouterr().out
    assert main(["progress", "forget", "李雷", "--db", str(db)]) == 0
    assert not in_files("Zhou Xun") and not in_files("李雷") and in_files("王芳")
    assert main(["progress", "forget", "李雷", "--db", str(db)]) == 2
    assert "no records of '李雷'" in capsys.readouterr().err


def test_every_command_works_on_postgresql(pg_url, tmp_path, capsys):
    assert main(["progress", "demo", "--db", pg_url, "--learners", "3"]) == 0
    assert "refundkit@127.0.0.1" in capsys.readouterr().out
    store = ProgressStore(pg_url)
    n = store.count()
    assert n > 0 and store.learners() == ["张伟", "李雷", "王芳"]
    assert main(["progress", "export", "--db", pg_url, "--format", "csv", "-o", str(tmp_path / "out")]) == 0
    attempts = pd.read_csv(tmp_path / "out" / "attempts.csv", encoding="utf-8-sig")
    assert len(attempts) == n and set(attempts["learner"]) == {"张伟", "李雷", "王芳"}
    assert main(["progress", "forget", "李雷", "--db", pg_url]) == 0
    assert "server's own logs" in capsys.readouterr().out and "李雷" not in store.learners()
    assert main(["progress", "reset", "--db", pg_url]) == 2
    assert main(["progress", "reset", "--db", pg_url, "--yes"]) == 0
    assert store.count() == 0


def test_export_neutralises_every_risky_name_and_keeps_xlsx_text_as_text(tmp_path, capsys):
    import csv
    import io

    from openpyxl import load_workbook

    db = tmp_path / "room.sqlite3"
    names = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1", "=1+1"]
    store = ProgressStore(db)
    store.record_many([Attempt(n, "ex01", "ex01.q01", "refund_now", False, "1.0.0", AT) for n in names])
    assert not any(n.startswith(("\t", "\r")) for n in store.learners())  # normalised away before storing
    assert main(["progress", "export", "--db", str(db), "-o", str(tmp_path / "p.xlsx")]) == 0
    assert main(["progress", "export", "--db", str(db), "--format", "csv", "-o", str(tmp_path / "csv")]) == 0
    risky = ("=", "+", "-", "@", "\t", "\r")
    seen = set()
    for ws in load_workbook(tmp_path / "p.xlsx").worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(risky), (ws.title, c.value)
                    seen.add(c.value)
    assert {"'=1+1", "'+1+1", "'-2+3", "'@SUM(1)"} <= seen
    for f in (tmp_path / "csv").iterdir():
        for row in csv.reader(io.StringIO(f.read_text(encoding="utf-8-sig"))):
            assert not any(v.startswith(risky) for v in row), (f.name, row)
