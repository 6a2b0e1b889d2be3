"""The app as served to a room: trainees in their own browsers, the trainer's page behind its token.

The trainee whose own page is under test is the run's trainee tab (the `learner` fixture: one page
all day, in a browser context of its own, as a separate laptop). The trainees the trainer's page watches are the protocol-level trainees of
benchmarks/room_client.py: what their pages' scripts send the server (page, widget states, name,
answer, check), without drawing a page no test looks at. Every expected text comes from the SOP,
every answer from the engine.
"""
from __future__ import annotations

import asyncio
import http.client
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from urllib.parse import quote, urlparse

import pytest

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect

from conftest import SHOTS, leave, save_png, settle, shoot, watch  # noqa: E402
from room_clients import room_client  # noqa: E402

from refundkit.app.trainer import COOKIE  # noqa: E402
from refundkit.money import fmt  # noqa: E402


def _answer_without_a_browser(server, path: str, name: str, q, answers: list[str], sop) -> list[str]:
    """A trainee opens `path`, gives `name` and checks each answer of choice question `q` in turn, as
    their page's scripts would; returns the feedback's verdict ("rk-right" / "rk-wrong") per check."""
    from refundkit.exercises.key import choice_label

    async def run() -> list[str]:
        tr = room_client().Trainee(server.base, timeout=120)
        try:
            await tr.open(path)
            await tr.update(tr.find("rk-app"), _view_count=1)  # drawn
            await tr.update(tr.find("rk-app-name"), value=name)
            box = f"rk-q-{q.id.replace('.', '-')}"
            end = time.monotonic() + 120
            while True:  # the exercise the address names reaches the page once the kernel has built it
                try:
                    control = tr.find("rk-answer", within=box)
                    break
                except LookupError:
                    assert time.monotonic() < end, f"{path}: no {box}"
                    await asyncio.sleep(0.1)
            verdicts = []
            for value in answers:
                labels = tr.models[control]["state"]["_options_labels"]
                await tr.update(control, index=labels.index(choice_label(q, value, sop, "zh")))
                await tr.click(tr.find("rk-check", within=box))
                classes = tr.models[tr.find("rk-feedback", within=box)]["state"]["_dom_classes"]
                verdicts.append(next(c for c in ("rk-right", "rk-wrong") if c in classes))
            return verdicts
        finally:
            await tr.close()

    with ThreadPoolExecutor(1) as pool:  # an event loop of its own: Playwright's runs in this thread
        return pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="module")
def sop():
    from refundkit.sop import default_sop

    return default_sop()


@pytest.fixture(scope="module")
def trainer_tab(browser_context):
    """The trainer's one tab for this module's trainer pages: each test opens its page in it, as the
    trainer does (a new tab per test would cost the browser a tab's start each time)."""
    pg = browser_context.new_page()
    watch(pg)
    yield pg
    leave(pg)


@pytest.fixture
def trainer(trainer_tab, request):
    """The trainer's tab for one test: at the end a screenshot, then kit errors fail the test and the
    rest is reported; the tab then leaves the page (a trainer page left open refreshes every few
    seconds, and the server would compute the room for nobody)."""
    trainer_tab.bring_to_front()  # in front of the trainee's tab (see the `learner` fixture)
    yield trainer_tab
    try:
        shoot(trainer_tab, request.node.name)
    finally:
        trainer_tab.goto("about:blank")
    settle(trainer_tab, request.node.name)


def _choice_question(exercise_id: str, sop):
    from refundkit.exercises import answer_key, default_bank

    q = next(q for q in default_bank().questions_of(exercise_id) if q.form == "choice")
    right = answer_key(q, sop).answer
    return q, right, next(c for c in q.choices if c != right)


def _rows(server, learner: str) -> list[dict]:
    return [r for r in server.store().rows() if r["learner"] == learner]


def _wait_rows(server, learner: str, n: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while len(_rows(server, learner)) < n:
        assert time.monotonic() < end, f"{learner}: {n} checks not recorded within {timeout} s"
        time.sleep(0.2)


def _open(pg, server, path: str = "") -> None:
    pg.goto(f"{server.base}/{path}")
    pg.locator(".rk-app-bar").wait_for()
    pg.locator("#rendered_cells").wait_for(state="visible")


def _answer(pg, server, learner: str, q, value, sop) -> None:
    """Tick an answer of a choice question and check it; returns once the record has it."""
    from refundkit.exercises.key import choice_label

    before = len(_rows(server, learner))
    box = pg.locator(f".rk-q-{q.id.replace('.', '-')}")
    box.locator(".rk-answer").get_by_label(choice_label(q, value, sop, "zh"), exact=True).check()
    box.locator(".rk-check").click()
    _wait_rows(server, learner, before + 1)


def test_trainer_page_without_the_token_shows_no_learner(trainer, app_server, sop):
    from refundkit.progress import Attempt

    secret = "保密学员"
    app_server.store().record(Attempt(secret, "ex01", "ex01.q01", "x", False, sop.version,
                                      datetime.now().astimezone()))
    page = trainer
    page.context.clear_cookies(name=COOKIE)  # no trainer cookie from another test
    page.goto(f"{app_server.base}/trainer")
    expect(page.locator(".rk-tr-login")).to_be_visible()
    expect(page.get_by_text(sop.t("tr_token_needed", "zh"))).to_be_visible()
    expect(page.locator(".rk-tr-learner")).to_have_count(0)
    assert secret not in page.content()
    page.locator(".rk-tr-login input[name=token]").fill("not-the-token")
    page.locator(".rk-tr-login button").click()
    expect(page.locator(".rk-tr-wrong")).to_have_text(sop.t("tr_token_wrong", "zh"))
    assert secret not in page.content()
    save_png(page, SHOTS / "trainer_asks_for_token.png", full_page=True)


def test_trainees_cannot_reach_the_record_by_any_address(app_server, sop):
    """Every address a curious trainee might try: no learner's name, no database bytes."""
    from refundkit.progress import Attempt

    secret = "不可见学员"
    app_server.store().record(Attempt(secret, "ex01", "ex01.q01", "x", False, sop.version,
                                      datetime.now().astimezone()))
    db = str(app_server.db)
    tries = ["/trainer", "/trainer/room", "/trainer/room?sample=0", "/trainer?token=", "/trainer?token=x",
             f"/voila/files/{db}", f"/voila/files/{quote(db, safe='')}", "/voila/files/", "/voila/files/../progress.sqlite",
             "/voila/files/%2e%2e/%2e%2e/notebooks/00_start_here.ipynb", "/voila/files/progress.sqlite",
             "/api/kernels", "/api/contents", "/api/sessions", "/api/contents/progress.sqlite", "/voila/api/contents",
             "/voila/api/contents/..", "/voila/api/contents/%2e%2e/exercises", "/voila/tree/..", "/voila/tree/%2e%2e",
             "/voila/render/%2e%2e/exercises/trainer/workshop_dashboard.ipynb",
             "/voila/render/..%2Fexercises%2Ftrainer%2Fworkshop_dashboard.ipynb",
             "/voila/render/%2e%2e/notebooks/00_start_here.ipynb", "/notebooks/", "/tree", "/lab", "/files/" + db,
             "/voila/static/..%2F..%2F..%2F..%2F" + quote(db.lstrip("/"), safe=""),
             "/voila/templates/..%2F..%2F" + quote(db.lstrip("/"), safe=""), "/exercises/trainer/workshop_dashboard.ipynb"]
    host = urlparse(app_server.base)
    seen = []
    for path in tries:
        con = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        con.request("GET", path)  # sent as written: no client-side clean-up of ../
        r = con.getresponse()
        body = r.read()
        con.close()
        seen.append(f"{r.status} {path}")
        assert secret.encode() not in body, f"{path} shows a learner's name"
        assert b"SQLite format" not in body, f"{path} serves the progress database"
        assert b"workshop_dashboard" not in body or r.status >= 400, f"{path} reaches trainer material"
    print("\n".join(seen))


def test_trainer_sees_two_other_trainees_answer_and_who_is_stuck(trainer, app_server, sop):
    from refundkit.app.pages import exercise_list

    page = trainer

    ex = exercise_list()[0]
    q, right, wrong = _choice_question(ex.id, sop)
    page.goto(f"{app_server.base}/trainer?token={app_server.token}")
    expect(page.locator(".rk-tr-title")).to_have_text(sop.t("tr_title", "zh"))
    assert "token=" not in page.url  # the token leaves the address bar (a cookie for this path keeps it)

    plan = {"陈静": [wrong, wrong, wrong], "黄磊": [wrong, right]}
    for name, answers in plan.items():  # the link the trainer hands out
        verdicts = _answer_without_a_browser(app_server, f"/voila/render/exercise.ipynb?id={ex.id}", name, q, answers, sop)
        assert verdicts == ["rk-right" if a == right else "rk-wrong" for a in answers], name
    # Every check lands in the record, in order, with its exercise and the SOP version it was checked under.
    rows = _rows(app_server, "黄磊")
    assert [(r["question"], r["answer"], r["correct"]) for r in rows] == [(q.id, wrong, False), (q.id, right, True)]
    assert {r["exercise"] for r in rows} == {ex.id} and {r["sop_version"] for r in rows} == {sop.version}
    t0 = time.monotonic()
    stuck = page.locator(".rk-tr-learner[data-learner='陈静']")
    expect(stuck).to_be_visible(timeout=10_000)
    expect(page.locator(".rk-tr-learner[data-learner='黄磊']")).to_be_visible(timeout=10_000)
    print(f"both learners on the trainer page {time.monotonic() - t0:.1f} s after their last check")
    expect(stuck.locator(".rk-tr-stuck")).to_have_text(sop.t("tr_stuck", "zh"))
    expect(stuck).to_contain_text(q.prompt("zh")[:20])  # the question they are on, by its words
    expect(page.locator(".rk-tr-learner[data-learner='黄磊'] .rk-tr-stuck")).to_have_count(0)
    expect(page.locator(".rk-tr-questions")).to_contain_text(q.prompt("zh")[:20])
    expect(page.locator(".rk-tr-chart-rules")).to_be_visible()
    save_png(page, SHOTS / "trainer_page_zh.png", full_page=True)
    page.locator(".rk-tr-langs").get_by_text(sop.ui["lang_name"]("en"), exact=True).click()
    expect(page.locator(".rk-tr-title")).to_have_text(sop.t("tr_title", "en"))
    expect(page.locator(".rk-tr-learner[data-learner='陈静'] .rk-tr-stuck")).to_have_text(sop.t("tr_stuck", "en"))
    save_png(page, SHOTS / "trainer_page_en.png", full_page=True)


def test_a_pass_under_an_earlier_sop_whose_answer_moved_is_listed_for_retraining(trainer, app_server, sop):
    from refundkit.progress import Attempt

    page = trainer

    q, right, wrong = _choice_question("ex01", sop)
    then = datetime.now().astimezone() - timedelta(days=30)
    # Passed under 0.9.0, when (say) the rule made `wrong` the right answer: the record keeps that key.
    app_server.store().record(Attempt("杨帆", q.exercise, q.id, wrong, True, "0.9.0", then, wrong))
    app_server.store().record(Attempt("吴昊", q.exercise, q.id, right, True, "0.9.0", then, right))
    page.goto(f"{app_server.base}/trainer?token={app_server.token}")
    row = page.locator(".rk-tr-retrain-row[data-learner='杨帆']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("0.9.0")
    from refundkit.exercises.key import choice_label

    expect(row).to_contain_text(choice_label(q, wrong, sop, "zh"))
    expect(row).to_contain_text(choice_label(q, right, sop, "zh"))
    expect(page.locator(".rk-tr-retrain-row[data-learner='吴昊']")).to_have_count(0)  # the answer did not move
    page.locator(".rk-tr-show-sample").click()
    expect(page.locator(".rk-tr-sample-banner")).to_have_text(sop.t("tr_sample_class", "zh"))
    expect(page.locator(".rk-tr-learner[data-learner='杨帆']")).to_have_count(1)  # a sample learner of that name
    assert not any(r["learner"] == "王芳" for r in app_server.store().rows())  # the sample stays out
    save_png(page, SHOTS / "trainer_sample_class.png", full_page=True)


def test_the_name_typed_once_reaches_every_part_and_a_reload_shows_progress(learner, app_server, sop):
    """The trainee's one page (the `learner` tab: nobody has typed a name in this browser yet) takes
    her name once; it stays on every part and in the record; a reload of the page (a new kernel) and
    a second tab (another) both know her name and show her progress from the record, and the second
    tab has the wizard at the step she reached in the first."""
    from refundkit.app.pages import exercise_list
    from refundkit.exercises import default_bank
    from refundkit.scenarios import load_scenarios
    from refundkit.widgets import LanguageSwitch, ProcedureWizard

    first, second = [ex for ex in exercise_list()
                     if any(q.form == "choice" for q in default_bank().questions_of(ex.id))][:2]
    q1, right1, _ = _choice_question(first.id, sop)
    q2, right2, _ = _choice_question(second.id, sop)
    pg = learner.page
    learner.go("start")
    name = pg.locator(".rk-app-name input")
    expect(name).to_have_value("")  # a browser that was never given a name
    name.fill("周　婷 ")  # a full-width space and a trailing one: the same learner as 周婷
    name.press("Enter")
    expect(name).to_have_value("周婷")
    pg.locator(f".rk-go-{first.id}").click()
    _answer(pg, app_server, "周婷", q1, right1, sop)
    pg.locator(".rk-go-start").first.click()
    pg.locator(f".rk-go-{second.id}").click()
    _answer(pg, app_server, "周婷", q2, right2, sop)
    pg.locator(".rk-go-wizard").first.click()
    expect(pg.locator(".rk-wizard")).to_be_visible()
    expect(name).to_have_value("周婷")  # the bar, and the name, stay on every part
    # A walk begun (a scenario of its own, its first step answered): the second tab below finds it there.
    sc = load_scenarios(sop)[-1]
    twin = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)
    pg.locator(".rk-app-scenario select").select_option(label=sc.title("zh"))
    wz = pg.locator(".rk-wizard")
    expect(wz.locator(".rk-wizard-case")).to_contain_text(sc.title("zh"))
    if twin.kind in ("branch", "reason", "method"):
        wz.locator(".rk-wizard-choice").get_by_label(twin.label(twin.kind, twin.expected(), "zh"), exact=True).check()
        wz.locator(".rk-check").click()
        twin.answer(twin.expected())
    wz.locator(".rk-next").click()
    twin.next_button.click()
    step = f"{twin.index + 1}/{len(twin.stages)}: {sop.step_by_id[twin.step_id]('zh')}"
    expect(wz.locator(".rk-step h4")).to_contain_text(step)
    pg.wait_for_function("new URLSearchParams(location.search).has('walk')")  # the address, and the browser, keep it
    assert {r["exercise"] for r in _rows(app_server, "周婷")} == {first.id, second.id}
    save_png(pg, SHOTS / "trainee_name_in_bar_wizard.png", full_page=True)

    pg.goto(f"{app_server.base}/")  # a reload of the entrance: a new kernel
    pg.locator(".rk-app-bar").wait_for()
    expect(pg.locator(".rk-app-name input")).to_have_value("周婷")  # this browser remembered it
    n1 = len(default_bank().questions_of(first.id))
    expect(pg.locator(f".rk-done[data-exercise='{first.id}']")).to_have_text(f"{sop.t('app_done', 'zh')} 1/{n1}")
    save_png(pg, SHOTS / "trainee_start_returning.png", full_page=True)
    pg.locator(f".rk-go-{first.id}").click()
    box = pg.locator(f".rk-q-{q1.id.replace('.', '-')}")
    expect(box.locator(".rk-feedback .rk-msg-ok")).to_be_visible()  # the answer from the record, checked
    # the score the learner sees: the other exercises are built into the page, hidden, once it is drawn
    expect(pg.locator(".rk-score:visible")).to_contain_text(f"{sop.t('answered', 'zh')}: 1/{n1}")
    save_png(pg, SHOTS / "trainee_exercise_returning.png", full_page=True)

    other = pg.context.new_page()  # a second tab
    try:
        _open(other, app_server, f"voila/render/exercise.ipynb?id={second.id}")
        expect(other.locator(".rk-app-name input")).to_have_value("周婷")
        expect(other.locator(f".rk-q-{q2.id.replace('.', '-')} .rk-feedback .rk-msg-ok")).to_be_visible()
        other.locator(".rk-go-wizard").first.click()  # the walk under way in the first tab, at its step
        expect(other.locator(".rk-wizard .rk-wizard-case")).to_contain_text(sc.title("zh"))
        expect(other.locator(".rk-wizard .rk-step h4")).to_contain_text(step)
        # Another learner takes this tab (a shared computer): her walk is not theirs, and her older tab, still
        # open and still clicked, does not hand it on to the next page the browser opens.
        other.locator(".rk-app-name input").fill("李雷")
        other.locator(".rk-app-name input").press("Enter")
        expect(other.locator(".rk-wizard .rk-step h4")).to_contain_text(f"1/")
        other.wait_for_function("!new URLSearchParams(location.search).has('walk')")
        other.wait_for_function("localStorage.getItem('refundkit.learner') === '李雷'")
        pg.bring_to_front()
        pg.locator(".rk-go-wizard").first.click()  # her tab (reloaded above: the walk taken up there too)
        expect(wz.locator(".rk-step h4")).to_contain_text(step)
        before = pg.evaluate("location.search")
        if twin.kind in ("branch", "reason", "method"):  # her tab walks on: the next answer checked
            wz.locator(".rk-wizard-choice").get_by_label(twin.label(twin.kind, twin.expected(), "zh"), exact=True).check()
            wz.locator(".rk-check").click()
        elif twin.kind == "amount":
            wz.locator(".rk-wizard-amount input").fill(fmt(twin.expected()))
            wz.locator(".rk-check").click()
        else:
            wz.locator(".rk-next").click()
        pg.wait_for_function("was => location.search !== was", arg=before)  # her page wrote what it keeps
        pg.wait_for_timeout(300)
        kept = other.evaluate("() => document.cookie")
        assert "walk" not in kept, kept
    finally:
        leave(other)
