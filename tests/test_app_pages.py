"""The trainee app's one page driven in Python (no browser): parts, language, the learner's name, serving."""
from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest

from refundkit.app import pages
from refundkit.app.serve import APP_DIR, PART_PAGES, SHARE_DIR, START, Room, app_argv, voila_args, voila_env

from widget_tree import models  # tests/widget_tree.py

TEMPLATE = SHARE_DIR / "voila" / "templates" / "refundkit"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite"
    monkeypatch.setenv("REFUNDKIT_DB", str(path))
    for var in pages.LEARNER_ENV:
        monkeypatch.delenv(var, raising=False)
    return path


def test_language_comes_from_the_address():
    assert pages.page_lang(pages.query("lang=en&id=ex01")) == "en"
    assert pages.page_lang(pages.query("")) == "zh"           # Chinese by default
    assert pages.page_lang(pages.query("lang=fr")) == "zh"    # an unknown language is not an error


def test_start_part_offers_every_part_and_follows_the_switch(sop, db):
    app = pages.App(sop)
    assert app.part == "start" and "rk-at-start" in app._dom_classes
    assert sop.t("app_title", "zh") in app.title.value
    for part, (key, _about) in pages.PARTS.items():
        assert app.nav[part].description == sop.t(key, "zh")
    app.lang.value = "en"
    assert sop.t("app_title", "en") in app.title.value and sop.t("app_title", "zh") not in app.title.value
    assert app.nav["wizard"].description == sop.t("app_wizard", "en") and "rk-lang-en" in app._dom_classes


def test_moving_between_parts_swaps_widgets_and_keeps_what_was_done(sop, scenarios, db):
    app = pages.App(sop)
    app.nav["wizard"].click()
    assert app.part == "wizard" and "rk-at-wizard" in app._dom_classes and "rk-at-start" not in app._dom_classes
    picker, holder = app.current.children
    picker.value = scenarios[2].id
    wizard = holder.children[0]
    app.nav["calculators"].click()
    assert app.part == "calculators" and sop.t("app_calculators", "zh") in app.title.value
    shown = [w for w in app.body.children if w.layout.display != "none"]
    assert shown == [app.current] and len(app.body.children) == 3  # built parts stay, hidden
    app.nav["wizard"].click()
    assert app.current.children[1].children[0] is wizard  # the same wizard, where it was left
    app.lang.value = "en"
    assert picker.options[0][0] == scenarios[0].title("en")  # scenarios by their titles, not ids


def _sent(monkeypatch) -> list[tuple[object, dict]]:
    """Every widget update the page sends to the browser from now on: (widget, state)."""
    import ipywidgets as W

    sent, send = [], W.Widget._send

    def record(self, msg, buffers=None):
        if msg.get("method") == "update":
            sent.append((self, msg["state"]))
        return send(self, msg, buffers)

    monkeypatch.setattr(W.Widget, "_send", record)
    return sent


def test_a_switch_relabels_the_part_shown_and_a_hidden_part_when_it_is_shown(sop, db, monkeypatch):
    app = pages.App(sop)
    for part, ex_id in [("calculators", ""), ("explorer", ""), ("wizard", ""),
                        *(("exercise", ex.id) for ex in pages.exercise_list())]:
        app.show(part, id=ex_id)
    app.show("start")
    sent = _sent(monkeypatch)
    app.lang.value = "en"
    # What the learner sees is English at once; the page's classes (which the address follows) move in one message.
    assert app.nav["wizard"].description == sop.t("app_wizard", "en")
    assert app.current.children[0].value.count(sop.t("greeting", "en")) == 1
    assert [tuple(state["_dom_classes"]) for w, state in sent if w is app] == [app._dom_classes]
    # The hidden parts wait: the switch sent no more than the bar and the start part hold.
    shown = {**models(app.bar), **models(app.current)}
    assert {id(w) for w, _ in sent} <= shown.keys() | {id(app), id(app.lang)}
    # Shown, a part is in the page's language, with what was done there kept.
    calc = app._kept["calculators"]
    calc["goods"].value = "88"
    app.lang.value = "zh"
    app.lang.value = "en"
    sent.clear()
    app.show("calculators")
    assert calc["goods"].value == "88" and any(sop.t("refund_amount", "en") in w.value for w in models(app.current).values()
                                                   if isinstance(getattr(w, "value", None), str))
    assert [tuple(state["_dom_classes"]) for w, state in sent if w is app] == [app._dom_classes]


def _address(app) -> dict[str, str]:
    """What the page's script writes into the address from the page's classes (refundkit-page.js)."""
    out = {"part": app.part}
    for c in app._dom_classes:
        if c.startswith("rk-state-"):
            key, _, value = c.removeprefix("rk-state-").partition("-")
            out[key] = value
    return out


def test_a_reload_takes_up_the_wizard_walk_where_it_was(sop, db):
    """The wizard's walk (wrong and right answers, ticks, steps) goes into the address; a reloaded page (a new
    kernel, the same address) replays it: the same scenario, step, results and feedback. An address that was
    cut short or made up walks as far as it fits, and never fails the page."""
    app = pages.App(sop)
    app.follow({"part": "wizard"})
    app._pick_scenario("SC02")
    wz = app._wizard_shown()
    assert "walk" not in _address(app)  # nothing done yet: nothing to keep
    wz.answer(next(v for _, v in wz.options_for(wz.kind) if v != wz.expected()))  # wrong first
    wz.answer(wz.expected())
    wz.next_button.click()
    while wz.kind != "cautions":
        if wz.kind:
            wz.answer(wz.expected())
        wz.next_button.click()
    wz.checklist.tick(wz.checklist.applicable[0])
    where = _address(app)
    assert where["scenario"] == "SC02" and where["walk"]

    again = pages.App(sop)
    again.follow(where)
    back = again._wizard_shown()
    assert (back.scenario.id, back.index, back.results, back.walk) == ("SC02", wz.index, wz.results, wz.walk)
    assert back.checklist.boxes[wz.checklist.applicable[0]].value and back.step_html.value == wz.step_html.value
    assert _address(again) == where  # and the reloaded page keeps the address it was given

    cut = pages.read_walk(where["walk"])[:2] + [["check", "no_such_answer"], ["next"]]
    for walk in (pages.state_text(cut), "not-base64!", pages.state_text({"check": 1}), "A" * (pages.STATE_MAX + 4)):
        other = pages.App(sop)
        other.follow({"part": "wizard", "scenario": "SC02", "walk": walk})
        w = other._wizard_shown()
        assert w.scenario.id == "SC02" and w.walk == (cut[:2] if walk == pages.state_text(cut) else [])


def test_a_second_page_takes_up_the_work_under_way_and_another_name_starts_fresh(sop, db):
    """The browser keeps the work the address carries (refundkit.app.remember, written by the page's
    script) and the server opens a second page with it: the wizard at the step reached, the calculators
    as typed, even when that page opens elsewhere (the start part, an exercise). Another learner's name
    on the same page puts them back as they first look, and the address (so the browser's memory) follows."""
    from urllib.parse import quote, urlencode

    from refundkit.app.remember import WORK_KEYS, WORK_MAX, remembered

    app = pages.App(sop)
    app.name.value = "王芳"
    app.show("wizard")
    app._pick_scenario("SC02")
    wz = app._wizard_shown()
    for _ in range(3):
        if wz.kind:
            wz.answer(wz.expected())
        wz.next_button.click()
    app.show("calculators")
    app._kept["calculators"]["goods"].value = "66.60"
    work = {k: v for k, v in _address(app).items() if k in WORK_KEYS}
    assert set(work) == {"scenario", "walk", "calculators"}
    cookie = quote(urlencode(work))  # as the page's script writes it

    # A second tab at the entrance, or at an exercise: the server adds the work (and only its keys).
    assert remembered({}, "en", cookie) == {"lang": "en", **work}
    assert remembered({"part": "exercise", "id": "ex01"}, None, cookie + quote("&lang=fr&part=x")) == \
        {"part": "exercise", "id": "ex01", **work}
    assert remembered({"walk": "mine", "scenario": "SC01"}, None, cookie) == {"walk": "mine", "scenario": "SC01"}
    assert remembered({}, None, "x" * (WORK_MAX + 1)) == {} and remembered({}, None, "%%%") == {}
    second = pages.App(sop)
    second.follow(remembered({"part": "exercise", "id": "ex01"}, None, cookie))
    assert second.part == "exercise"  # where the address leads ...
    back = second._wizard_shown()  # ... with the wizard where the other tab left it, shown when asked for
    assert (back.scenario.id, back.index, back.results) == ("SC02", wz.index, wz.results)
    assert second._kept["calculators"]["goods"].value == "66.60"
    second.show("wizard")
    assert second._wizard_shown() is back and "rk-at-wizard" in second._dom_classes

    app.name.value = "李雷"  # another learner at this computer
    assert app._kept["calculators"]["goods"].value == app._firsts["calculators"]["goods"] != "66.60"
    assert app._wizard_shown().walk == [] and app._wizard_shown().index == 0
    assert app._scenarios[0].value == app._scenarios[0].options[0][1]  # the first scenario, as a new page opens
    assert not any(k in _address(app) for k in WORK_KEYS)


def test_a_reload_takes_up_what_was_typed_in_the_calculators_and_chosen_in_the_explorer(sop, db):
    """Amounts and times as they were typed, the refund method, the explorer's facts: into the address as they
    change (not before: a part as it opens adds nothing), back from it in a reloaded page, in either language.
    Values an address makes up (an option the list lacks, a number where text belongs) are left out."""
    app = pages.App(sop)
    app.follow({"part": "calculators"})
    assert set(_address(app)) == {"part"}
    calc = app._kept["calculators"]
    calc["goods"].value, calc["coupon"].value = "１２３．５", "10"
    calc["method"].value = [v for _, v in calc["method"].options][-1]
    calc["requested"].value = "2026-11-18 09:00"
    app.show("explorer")
    facts = app._kept["explorer"]
    name = next(iter(facts))
    chosen = [v for _, v in facts[name].options][-1]
    assert chosen != facts[name].value
    facts[name].value = chosen
    app.lang.value = "en"  # the lists are relabelled: what was chosen stays chosen, and in the address
    where = {**_address(app), "lang": "en"}
    assert {"calculators", "explorer"} <= set(where)

    again = pages.App(sop)
    again.follow(where)
    assert again.part == "explorer" and again._kept["explorer"][name].value == chosen
    kept = again._kept["calculators"]
    assert [kept[k].value for k in ("goods", "coupon", "method", "requested")] == \
           ["１２３．５", "10", calc["method"].value, "2026-11-18 09:00"]
    assert _address(again) == _address(app)

    made_up = pages.state_text({name: "no_such_value", "goods": 5, "not_a_field": "x"})
    other = pages.App(sop)
    other.follow({"part": "explorer", "explorer": made_up, "calculators": "not-base64!"})
    fresh = pages.App(sop)
    fresh.show("calculators")
    fresh.show("explorer")
    for part in ("explorer", "calculators"):
        assert {k: w.value for k, w in other._kept[part].items()} == {k: w.value for k, w in fresh._kept[part].items()}
    assert set(_address(other)) == {"part"}


def test_the_address_opens_a_part_in_its_language(sop, scenarios, db):
    app = pages.App(sop)
    app.follow({"part": "wizard", "scenario": scenarios[3].id, "lang": "en"})
    assert app.part == "wizard" and app.lang.value == "en"
    assert app.current.children[1].children[0].scenario.id == scenarios[3].id
    app.follow({"part": "exercise", "id": "ex02"})
    assert app.part == "exercise" and "rk-at-id-ex02" in app._dom_classes and app.lang.value == "zh"
    app.follow({"part": "nonsense"})
    assert app.part == "start"


def test_start_lists_the_exercises_answerable_without_code(sop, db):
    from refundkit.exercises import default_bank

    bank = default_bank()
    listed = {ex.id for ex in pages.exercise_list()}
    no_code = {ex.id for ex in bank.exercises if all(q.query is None for q in bank.questions_of(ex.id))}
    assert listed == no_code and no_code
    assert {ex.id for ex in bank.exercises} - no_code, "the data exercise (pandas) stays in JupyterLab"
    app = pages.App(sop)
    buttons = [w for w in _walk(app.current) if "rk-go-exercise" in getattr(w, "_dom_classes", ())]
    assert [b.description for b in buttons] == [ex.title("zh") for ex in pages.exercise_list()]


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


def _right(q, sop):
    from refundkit.exercises import answer_key

    k = answer_key(q, sop).answer
    return list(k) if isinstance(k, tuple) else k


def test_the_name_given_once_reaches_every_exercise_and_is_recorded_normalised(sop, db):
    from refundkit.exercises import default_bank
    from refundkit.progress import ProgressStore

    bank = default_bank()
    app = pages.App(sop)
    app.name.value = " 王\u3000芳 "
    assert app.name.value == "王芳" and app.learner == "王芳"  # the spelling the record keeps
    for ex in pages.exercise_list()[:2]:
        app.follow({"part": "exercise", "id": ex.id})
        q = bank.questions_of(ex.id)[0]
        w = app.exercises[ex.id].widgets[q.id]
        w.set_answer(_right(q, sop))
        w.check()
    rows = list(ProgressStore(db).rows())
    assert {r["learner"] for r in rows} == {"王芳"} and len(rows) == 2


def test_a_returning_learner_sees_their_answers_and_done_count(sop, db):
    from refundkit.exercises import default_bank
    from refundkit.exercises.key import choice_label

    bank = default_bank()
    ex = pages.exercise_list()[0]
    qs = bank.questions_of(ex.id)
    first = pages.App(sop)
    first.name.value = "李雷"
    first.follow({"part": "exercise", "id": ex.id})
    q0, q1 = qs[0], next(q for q in qs if q.form == "choice" and q is not qs[0])
    first.exercises[ex.id].widgets[q0.id].set_answer(_right(q0, sop))
    first.exercises[ex.id].widgets[q0.id].check()
    wrong = next(c for c in q1.choices if c != _right(q1, sop))
    first.exercises[ex.id].widgets[q1.id].set_answer(wrong)
    first.exercises[ex.id].widgets[q1.id].check()

    again = pages.App(sop)  # a reload: a new kernel, the name filled in by the browser
    again.name.value = "李 雷"
    done = [w for w in _walk(again.current) if "rk-done" in getattr(w, "value", "")]
    assert any(f"{sop.t('app_done', 'zh')} 1/{len(qs)}" in w.value for w in done)
    again.follow({"part": "exercise", "id": ex.id})
    exw = again.exercises[ex.id]
    assert exw.widgets[q0.id].answer == _right(q0, sop) and "rk-right" in exw.widgets[q0.id].feedback._dom_classes
    assert exw.widgets[q1.id].answer == wrong and "rk-wrong" in exw.widgets[q1.id].feedback._dom_classes
    assert f"{sop.t('answered', 'zh')}: 2/{len(qs)}" in exw.score_html.value
    assert exw.session.score() == (1, len(qs))
    assert choice_label(q1, wrong, sop, "zh")  # the wrong answer is shown as the learner left it


def test_another_name_on_the_same_page_shows_that_learners_record_not_the_last_ones(sop, db):
    """A shared computer: the next trainee types their name over the last one's. The exercise then shows
    the new name's record (nothing answered yet), not the last trainee's answers and feedback; the last
    name back shows its answers again. Answers chosen before a name is first given are kept."""
    from refundkit.exercises import default_bank

    ex = pages.exercise_list()[0]
    q = next(q for q in default_bank().questions_of(ex.id) if q.form == "choice")
    app = pages.App(sop)
    app.follow({"part": "exercise", "id": ex.id})
    w = app.exercises[ex.id].widgets[q.id]
    w.set_answer(_right(q, sop))  # chosen before the name is typed
    app.name.value = "李雷"
    assert w.answer == _right(q, sop)
    w.check()
    assert "rk-right" in w.feedback._dom_classes

    app.name.value = "韩梅梅"
    assert w.answer is None and w.feedback.value == "" and "rk-right" not in w.feedback._dom_classes
    assert f"{sop.t('answered', 'zh')}: 0/" in app.exercises[ex.id].score_html.value
    app.name.value = ""
    assert w.answer is None
    app.name.value = "李雷"
    assert w.answer == _right(q, sop) and "rk-right" in w.feedback._dom_classes


def test_a_login_name_is_used_as_it_is(sop, db, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "zhang.wei")
    app = pages.App(sop)
    assert app.name.value == "zhang.wei" and app.name.disabled and app.learner == "zhang.wei"


def test_unknown_exercise_says_so(sop, db):
    app = pages.App(sop)
    app.follow({"part": "exercise", "id": "nope"})
    assert app.current.value == f"<p>{sop.t('app_no_exercise', 'zh')}</p>"


def test_every_app_notebook_is_the_one_page():
    """Each address is the same page (under `make app` the old ones redirect to start.ipynb;
    elsewhere, e.g. JupyterHub's /voila/render/, each still opens its own part)."""
    for nb in APP_DIR.glob("*.ipynb"):
        cells = ["".join(c["source"]) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]]
        assert "pages.App()" in cells[0]
        call = re.search(r"app\.open_request\((?:part=\"(\w+)\")?\)", cells[1])
        assert call and (call.group(1) or "start") == nb.stem, nb.name
    assert {p.stem for p in APP_DIR.glob("*.ipynb")} == {"start", *PART_PAGES}
    assert (APP_DIR / START).is_file()


def test_server_options_for_a_room():
    room = Room(room=7, max_kernels=9, token="t")
    args = voila_args(8899, room)
    assert args[0] == str(APP_DIR) and "--port=8899" in args and "--template=refundkit" in args
    assert "--Voila.ip=127.0.0.1" in args  # this computer only, unless --lan
    assert "--Voila.ip=0.0.0.0" in voila_args(8899, Room(lan=True))
    pools = json.loads(next(a for a in args if "kernel_pools_config" in a).split("=", 1)[1])
    assert pools[START]["pool_size"] == 7 and pools["default"]["pool_size"] == 0
    assert any("iopub_timeout" in a for a in args) and any("cull_idle_timeout" in a for a in args)
    assert app_argv(8899, ["--no-browser"])[-2:] == ["--port=8899", "--no-browser"]
    env = voila_env({"JUPYTER_PATH": "/elsewhere"})
    assert env["JUPYTER_PATH"].split(":")[0] == str(SHARE_DIR) and env["JUPYTER_PATH"].endswith("/elsewhere")
    assert json.loads((TEMPLATE / "conf.json").read_text())["base_template"] == "lab"


def test_template_drops_every_cdn_link_of_voilas_lab_template():
    """If a Voila upgrade adds or changes a CDN link, this names it (the browser test sees the request)."""
    from jupyter_core.paths import jupyter_path

    lab = next((Path(p) / "lab" / "index.html.j2" for p in jupyter_path("voila", "templates")
                if (Path(p) / "lab" / "index.html.j2").is_file()), None)
    if lab is None:
        pytest.skip("Voila's lab template is not installed")
    cdn_links = re.findall(r'<link [^>]*href="https?://[^"]+"[^>]*/>', lab.read_text())
    ours = (TEMPLATE / "index.html.j2").read_text()
    assert cdn_links and all(link in ours for link in cdn_links), cdn_links


# -- the trainer's view (refundkit.workshop, shown by refundkit.app.trainer) --------------

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 14, 0, tzinfo=TZ)


def test_trainer_room_marks_stuck_learners_and_lists_retraining(sop, tmp_path):
    from refundkit.app.trainer import room_html
    from refundkit.exercises import answer_key, default_bank
    from refundkit.progress import Attempt, ProgressStore
    from refundkit.workshop import Dashboard

    bank = default_bank()
    store = ProgressStore(tmp_path / "r.sqlite3")
    q = next(q for q in bank.questions if q.form == "choice")
    key = answer_key(q, sop)
    wrong = [c for c in q.choices if c != key.answer]
    for i in range(3):
        store.record(Attempt("赵敏", q.exercise, q.id, wrong[0], False, sop.version, T0 + timedelta(minutes=i), key.plain()))
    store.record(Attempt("杨帆", q.exercise, q.id, wrong[0], True, "0.9.0", T0 - timedelta(days=20), wrong[0]))
    store.record(Attempt("$\\frac{$", q.exercise, q.id, key.plain(), True, sop.version, T0, key.plain()))
    dash = Dashboard(store, sop, bank, now=lambda: T0 + timedelta(minutes=12))
    people = dash.learners().set_index("learner")
    assert people.loc["赵敏", "stuck"] and people.loc["赵敏", "wrong_in_a_row"] == 3
    assert people.loc["赵敏", "idle_minutes"] == 10 and people.loc["赵敏", "on_question"] == q.id
    assert not people.loc["$\\frac{$", "stuck"]
    retrain = dash.retraining()
    assert list(retrain["learner"]) == ["杨帆"] and retrain.iloc[0]["passed_under"] == "0.9.0"
    stats = dash.questions().set_index("question").loc[q.id]
    assert stats["tried"] == 3 and stats["missed"] == 1 and stats["top_wrong_count"] == 3
    html = room_html("zh", False, sop, store)
    assert "rk-tr-learner-stuck" in html and sop.t("tr_stuck", "zh") in html and "杨帆" in html
    assert q.id not in html.replace(f'data-question="{q.id}"', "")  # questions by their words, not ids
    assert "<img class='rk-tr-chart-exercises'" in html  # a learner named like math does not break a chart


def test_room_full_page_says_so_in_both_languages(sop):
    from refundkit.app.serve import room_full_html

    html = room_full_html("en")
    assert sop.t("room_full_title", "en") in html and sop.t("room_full", "en") in html
    assert sop.t("room_full", "zh") in html  # the other language below it
    assert "http-equiv='refresh'" in html  # it tries again by itself


def test_the_app_server_removes_its_folder_when_it_stops(tmp_path, monkeypatch):
    """`make app` keeps its warm kernels' socket and the room's turn file in a temporary folder of its own:
    gone when the server stops, however it stops (here the server fails as it starts). Its warm kernels
    come with what a page imports under Voila (PAGE_PRELOAD), not a second for each page."""
    from refundkit import warm_kernel
    from refundkit.app import serve

    seen, asked = [], []
    real = warm_kernel.zygote

    def zygote(folder=None, preload=()):
        asked.append(preload)
        return real(folder, preload)

    class Failing:
        @classmethod
        def launch_instance(cls, argv):
            seen.append(sorted(p.name for p in tmp_path.iterdir()))
            raise OSError("port taken")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(serve, "make_server_class", lambda: Failing)
    monkeypatch.setattr(warm_kernel, "zygote", zygote)
    with patch.dict(os.environ, {"REFUNDKIT_WARM_KERNELS": "0"}):  # the server's settings stay in this test
        with pytest.raises(OSError):
            serve.serve(8866, Room(), [])
    assert len(seen) == 1 and seen[0][0].startswith("refundkit-app-")  # it was there while serving
    assert list(tmp_path.iterdir()) == []
    assert asked == [warm_kernel.PAGE_PRELOAD]


def test_trainer_token_is_random_per_start_unless_set(monkeypatch):
    from refundkit.app.serve import TOKEN_ENV, make_token

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    a, b = make_token(None), make_token(None)
    assert a != b and len(a) >= 20
    assert make_token("given") == "given"
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert make_token(None) == "from-env" and make_token("flag") == "flag"


def test_the_room_prepares_parts_one_kernel_at_a_time(tmp_path, monkeypatch, sop, db):
    """Kernels of a room take turns (a lock file the server names); a kernel with the turn keeps it
    until it gives it back; outside a room (no file named) every kernel has its turn at once."""
    import asyncio
    import subprocess
    import sys

    from refundkit.app.turn import ROOM_TURN_ENV, Turn

    monkeypatch.delenv(ROOM_TURN_ENV, raising=False)
    assert Turn().take() and Turn().take()
    monkeypatch.setenv(ROOM_TURN_ENV, str(tmp_path / "turn"))
    mine, other = Turn(), Turn()
    assert mine.take() and mine.take()  # held, not taken twice
    assert not other.take()
    other_kernel = [sys.executable, "-c", "from refundkit.app.turn import Turn; raise SystemExit(0 if Turn().take() else 1)"]
    assert subprocess.run(other_kernel).returncode == 1  # another process waits its turn too
    mine.give_back()
    assert other.take()
    other.give_back()

    # A page prepares its parts only on its turn: while another kernel holds it, nothing is built
    # (a part built ahead, as a preheated kernel does, is only put into the page); once the turn is
    # given back, every part is built, and the turn is free again at the end.
    async def drawn_page() -> pages.App:
        app = pages.App(sop)
        app._add("wizard", attach=False)
        assert app.parts["wizard"] not in app.body.children
        blocker = Turn()
        assert blocker.take()
        app.prebuild(delay=0, gap=0.01)
        await asyncio.sleep(0.3)
        assert set(app.parts) == {"start", "wizard"} and app.parts["wizard"] in app.body.children
        blocker.give_back()
        for _ in range(500):
            await asyncio.sleep(0.02)
            if len(app.parts) == 1 + 3 + len(pages.exercise_list()):
                break
        return app

    # In a thread of its own: a browser test earlier in this process (Playwright's sync API) leaves
    # an event loop marked as running in this one, where asyncio.run would refuse to start.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        app = pool.submit(asyncio.run, drawn_page()).result()
    assert set(app.parts) == {"start", "wizard", "calculators", "explorer",
                              *(f"exercise:{ex.id}" for ex in pages.exercise_list())}
    assert list(app.body.children) == list(app.parts.values())  # every part in the page, hidden but one
    after = Turn()
    assert after.take()
    after.give_back()


def test_a_preheated_kernel_builds_every_part_ahead_and_still_opens_the_address(sop, db, monkeypatch):
    """Before the trainee comes, a preheated kernel builds the wizard, calculators, explorer and every
    exercise (not in the page yet: nothing is left to build while the trainee clicks) and opens the
    record; then it opens the part the address names, start by default."""
    import voila.utils

    monkeypatch.setenv(voila.utils.ENV_VARIABLE.VOILA_PREHEAT, "True")
    monkeypatch.setattr(voila.utils, "wait_for_request", lambda *a, **k: None)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    app = pages.App(sop)
    app.open_request()
    exercises = {f"exercise:{ex.id}" for ex in pages.exercise_list()}
    assert app.part == "start" and set(app.parts) == {"start", *pages.PARTS, *exercises}
    assert list(app.body.children) == [app.parts["start"]]
    assert db.exists()  # the record is open before anyone checks
    app.show("wizard")  # shown: put into the page
    assert app.parts["wizard"] in app.body.children and app.current is app.parts["wizard"]
    monkeypatch.setenv("QUERY_STRING", "part=exercise&id=ex02&lang=en")
    other = pages.App(sop)
    other.open_request()
    assert (other.part, other.part_id, other.lang.value) == ("exercise", "ex02", "en")
