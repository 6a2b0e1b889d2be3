"""The trainer's view: tables from the progress record, charts with Chinese, export and demo commands."""
from __future__ import annotations

import gc
import io
import os
import subprocess
import tempfile
import warnings
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from refundkit.cli import main
from refundkit.exercises import Session, default_bank
from refundkit.exercises.key import answer_key
from refundkit.progress import Attempt, ProgressStore
from refundkit.workshop import Dashboard, demo_workshop, older_version

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 14, 0, tzinfo=TZ)


def _right(q, sop):
    k = answer_key(q, sop).answer
    return list(k) if isinstance(k, tuple) else str(k)


@pytest.fixture
def room(tmp_path, sop):
    """Three learners: one perfect on ex01, one wrong first twice, one under an older SOP."""
    store = ProgressStore(tmp_path / "room.sqlite3")
    bank = default_bank()
    clock = iter(T0 + timedelta(minutes=i) for i in range(1000))
    perfect = Session("ex01", "王芳", sop=sop, store=store, clock=lambda: next(clock))
    for q in perfect.questions:
        perfect.check(q.id, _right(q, sop))
    shaky = Session("ex01", "李雷", sop=sop, store=store, clock=lambda: next(clock))
    shaky.check("ex01.q02", "refund_now")
    shaky.check("ex01.q02", "request_return")
    shaky.check("ex01.q03", "refund_now")
    third = Session("ex01", "张伟", sop=sop, store=store, clock=lambda: next(clock))
    third.check("ex01.q02", "cancel_and_refund")
    store.record(Attempt("陈静", "ex01", "ex01.q01", "cancel_and_refund", True, "0.9.0", T0 - timedelta(days=30)))
    return Dashboard(store, sop, bank)


def test_grid_shows_score_and_done(room):
    g = room.grid()
    n1 = len(default_bank().questions_of("ex01"))
    assert g.loc["王芳", "ex01"] == f"{n1}/{n1} ✔"
    assert g.loc["李雷", "ex01"] == f"0/{n1}"  # two questions tried, both wrong first; not done
    assert g.loc["王芳", "ex02"] == "—"
    assert g.index.name == room.sop.t("learner", "zh")


def test_most_missed_names_the_wrong_answer_and_rule(room, sop):
    mm = room.most_missed()
    t = lambda k: sop.t(k, "zh")  # noqa: E731
    first = mm.iloc[0]
    assert first[t("question")] == "ex01.q02"
    assert first[t("missed_first")] == 2 and first[t("learners_tried")] == 3
    assert first[t("miss_rate")] == "67%"
    assert first[t("top_wrong")] in (sop.action_by_id["refund_now"].zh, sop.action_by_id["cancel_and_refund"].zh)
    assert first[t("rule_behind")].startswith("R08 (P03)")
    assert set(mm[t("question")]) == {"ex01.q02", "ex01.q03"}


def test_learners_under_an_older_sop_are_flagged(room, sop):
    old = room.outdated()
    assert list(old[sop.t("learner", "zh")]) == ["陈静"]
    assert old.iloc[0][sop.t("sop_version", "zh")] == "0.9.0"
    assert old.iloc[0][sop.t("current_version", "zh")] == sop.version


def test_english_titles(room, sop):
    room.lang = "en"
    assert sop.t("top_wrong", "en") in room.most_missed().columns


def test_charts_draw_chinese_without_missing_glyphs(room):
    from refundkit.plotting import use_cjk_font

    if use_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    for fig in (room.chart_missed(), room.chart_scores()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
        missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
        assert not missing, missing
        texts = [fig.axes[0].get_title(), fig.axes[0].get_xlabel()]
        assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)  # really Chinese


def test_trainer_charts_show_english_labels_whole(room):
    """The trainer page's charts in English: each exercise title and SOP rule whole, on as many lines as
    it needs (not cut with "…"), and inside the picture."""
    room.lang = "en"
    for fig, want in ((room.chart_exercises(), list(room.exercise_errors()["title"])),
                      (room.chart_rules(), list(room.rule_errors()["label"]))):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
        ticks = fig.axes[0].get_yticklabels()
        shown = [t.get_text().replace("\n", " ").replace(r"\$", "$") for t in ticks][::-1]
        assert shown == want and want
        assert not any("…" in t for t in shown)
        assert all(t.get_window_extent(renderer).x0 >= 0 for t in ticks)  # not run off the picture's edge


def test_demo_is_deterministic_and_flags_earlier_learners(tmp_path, sop):
    a, b = ProgressStore(tmp_path / "a.sqlite3"), ProgressStore(tmp_path / "b.sqlite3")
    assert demo_workshop(a, sop) == demo_workshop(b, sop) > 400
    da, db = Dashboard(a, sop), Dashboard(b, sop)
    pd.testing.assert_frame_equal(da.grid(), db.grid())
    pd.testing.assert_frame_equal(da.most_missed(), db.most_missed())
    assert set(da.outdated()[sop.t("sop_version", "zh")]) == {older_version(sop.version)}
    assert da.attempts["learner"].nunique() == 12


def test_the_sample_room_leaves_no_file_behind(tmp_path, monkeypatch, sop):
    """The sample room (the trainer's dashboard before a real one) lives in a temporary database that
    goes with it: a trainer opening the dashboard every day leaves nothing in the temporary folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # Left by a kernel stopped at once (no exit handler ran), and one of a process still running.
    gone = subprocess.Popen(["true"])
    gone.wait()
    left, live = tmp_path / f"refundkit-demo-{gone.pid}-x", tmp_path / f"refundkit-demo-{os.getppid()}-y"
    for folder in (left, live):
        folder.mkdir()
        (folder / "demo.sqlite3").write_bytes(b"")
    dash = Dashboard.sample(sop=sop)
    made = set(tmp_path.iterdir()) - {live}
    assert len(made) == 1 and (made.pop() / "demo.sqlite3").is_file()  # the left one removed
    assert dash.attempts["learner"].nunique() == 12
    del dash
    gc.collect()
    assert list(tmp_path.iterdir()) == [live]


def test_live_panel_refresh_reads_new_checks(room, sop, tmp_path):
    panel = room.live_panel(room.store)
    before = len(panel.live.attempts)
    room.store.record(Attempt("孙强", "ex02", "ex02.q01", "215.10", True, sop.version, T0))
    panel.button.click()
    assert len(panel.live.attempts) == before + 1 and "孙强" in panel.view.value
    assert "rk-refresh" in panel.button._dom_classes and panel.button.description == sop.t("refresh", "zh")


def test_older_version_numbers():
    assert older_version("1.2.3") == "1.2.2" and older_version("1.2.0") == "1.1.0" and older_version("1.0.0") == "0.9.0"


# -- the commands ----------------------------------------------------------------

def test_demo_then_export_csv_and_xlsx(tmp_path, capsys, monkeypatch):
    db = tmp_path / "room.sqlite3"
    monkeypatch.setenv("REFUNDKIT_DB", str(db))
    assert main(["progress", "demo"]) == 0
    assert str(db) in capsys.readouterr().out
    assert main(["progress", "export", "--format", "csv", "-o", str(tmp_path / "out")]) == 0
    grid = pd.read_csv(tmp_path / "out" / "grid.csv", encoding="utf-8-sig")
    assert len(grid) == 12 and list(grid.columns)[1:] == [e.id for e in default_bank().exercises]
    attempts = pd.read_csv(tmp_path / "out" / "attempts.csv", encoding="utf-8-sig")
    assert len(attempts) == ProgressStore(db).count()
    assert main(["progress", "export", "-o", str(tmp_path / "t.xlsx"), "--lang", "en"]) == 0
    sheets = pd.read_excel(tmp_path / "t.xlsx", sheet_name=None, engine="calamine")
    assert set(sheets) == {"grid", "progress", "most_missed", "outdated", "attempts"}
    assert "Most chosen wrong answer" in sheets["most_missed"].columns
    assert len(sheets["outdated"]) == 6


def test_export_errors_are_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "none.sqlite3"))
    assert main(["progress", "export"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.sqlite3: no progress database here yet" in err
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("hello " * 500)
    assert main(["progress", "export", "--db", str(junk)]) == 2
    assert "not a usable progress database" in capsys.readouterr().err
    assert main(["progress", "demo", "--db", str(tmp_path / "x.sqlite3")]) == 0
    capsys.readouterr()
    assert main(["progress", "export", "--db", str(tmp_path / "x.sqlite3"), "-o", str(tmp_path / "x.csv")]) == 2
    assert "needs a file name ending in .xlsx" in capsys.readouterr().err


def test_path_and_reset(tmp_path, capsys, monkeypatch):
    db = tmp_path / "r.sqlite3"
    monkeypatch.setenv("REFUNDKIT_DB", str(db))
    assert main(["progress", "path"]) == 0
    assert capsys.readouterr().out.strip() == f"{db} (not created yet)"
    main(["progress", "demo", "--learners", "3"])
    n = ProgressStore(db).count()
    main(["progress", "demo", "--learners", "3"])
    assert ProgressStore(db).count() == 2 * n
    main(["progress", "demo", "--learners", "3", "--reset"])
    assert ProgressStore(db).count() == n


def test_reset_needs_yes_and_forget_removes_one_learner(tmp_path, capsys):
    db = tmp_path / "r.sqlite3"
    main(["progress", "demo", "--db", str(db), "--learners", "2"])
    capsys.readouterr()
    assert main(["progress", "forget", "王芳", "--db", str(db)]) == 0
    assert set(ProgressStore(db).frame()["learner"]) == {"李雷"}
    assert main(["progress", "forget", "王芳", "--db", str(db)]) == 2
    assert "no records of '王芳'" in capsys.readouterr().err
    assert main(["progress", "reset", "--db", str(db)]) == 2
    assert "--yes" in capsys.readouterr().err and db.exists()
    assert main(["progress", "reset", "--db", str(db), "--yes"]) == 0
    assert not db.exists() and not (tmp_path / "r.sqlite3-wal").exists()
