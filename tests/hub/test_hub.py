"""Logins for a room: two trainees log in by name, their servers open the app, they answer, and both
records land in PostgreSQL under their login names, while the trainer logs in, lands on the trainer's
view and sees them there; a client without a login gets no app and cannot write.

One trainee works in Chromium (what is drawn: the Chinese page, the name shown and locked, the
feedback wrong then right); the other and the trainer are driven as their pages' scripts would drive
the server (benchmarks/room_client.py: HTTP and the kernel's websocket), where what is checked is data.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from refundkit.exercises import answer_key, default_bank
from refundkit.exercises.key import choice_label
from refundkit.progress import ProgressStore

from .conftest import PASSWORD, REPO, SHOTS, Login

WAIT_MS = 120_000  # a server and a kernel start on a busy 2-core machine


def _room_client():
    """benchmarks/room_client.py, loaded once (benchmarks/ is not a package; tests/browser loads it too)."""
    if "room_client" not in sys.modules:
        spec = importlib.util.spec_from_file_location("room_client", REPO / "benchmarks" / "room_client.py")
        sys.modules["room_client"] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["room_client"]


def _in_a_loop(coro):
    """Run `coro` on an event loop of its own (Playwright's runs in this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _answer_without_a_browser(login: Login, ex, q, value: str, sop) -> dict:
    """The trainee's page, driven as its scripts drive the server: to the exercise, one answer checked.
    Returns what the page would show: the name boxes (value, locked) and the feedback's verdict."""
    tr = _room_client().Trainee(login.user_url, timeout=120, cookies=login.cookies_for(login.landed))
    try:
        await tr.open(login.landed.removeprefix(login.user_url))
        await tr.click(tr.find(f"rk-go-{ex.id}"))
        names = [(m["state"].get("value"), m["state"].get("disabled")) for m in tr.models.values()
                 if "rk-name" in m["state"].get("_dom_classes", ())]
        box = f"rk-q-{q.id.replace('.', '-')}"
        control = tr.find("rk-answer", within=box)
        labels = tr.models[control]["state"]["_options_labels"]
        await tr.update(control, index=labels.index(choice_label(q, value, sop, "zh")))
        await tr.click(tr.find("rk-check", within=box))
        classes = tr.models[tr.find("rk-feedback", within=box)]["state"]["_dom_classes"]
        return {"names": names, "verdict": next((c for c in ("rk-right", "rk-wrong") if c in classes), "")}
    finally:
        await tr.close()


async def _trainer_sees(trainer: Login, meanwhile) -> tuple[str, str]:
    """The trainer's page, driven as its scripts drive the server: its live table as first drawn, and
    again after `meanwhile` (a trainee answering) once the refresh button is clicked."""
    tr = _room_client().Trainee(trainer.user_url, timeout=120, cookies=trainer.cookies_for(trainer.landed))
    try:
        await tr.open(trainer.landed.removeprefix(trainer.user_url))
        first = tr.models[tr.find("rk-dashboard-live")]["state"]["value"]
        await meanwhile
        await tr.click(tr.find("rk-refresh"))
        return first, tr.models[tr.find("rk-dashboard-live")]["state"]["value"]
    finally:
        await tr.close()


def test_two_trainees_answer_their_records_land_under_their_login_names_and_the_trainer_sees_them(hub, browser, sop):
    bank = default_bank()
    ex = bank.exercises[0]
    q = next(q for q in bank.questions_of(ex.id) if q.form == "choice")
    right = answer_key(q, sop).answer
    wrong = next(c for c in q.choices if c != right)

    # The room logs in side by side (the servers start together): 林晓雨 in Chromium, wangfang and the trainer over HTTP.
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    page.goto(hub.base + "/hub/login")
    page.fill("#username_input", "林晓雨")
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    wang = Login(hub, "wangfang", PASSWORD)
    trainer = Login(hub, "trainer", hub.trainer_password)

    # 林晓雨's server opens the trainee app directly (no JupyterLab, no code), in Chinese.
    page.wait_for_url(re.compile(r"/user/[^/]+/voila/render/start\.ipynb"), timeout=WAIT_MS)
    expect(page.locator(".rk-app-title")).to_have_text(sop.t("app_title", "zh"), timeout=WAIT_MS)
    # To the exercise from the start page, in the same page and kernel (the app's parts are one page).
    page.locator(f".rk-go-{ex.id}").click()
    expect(page.locator(".rk-app-title")).to_contain_text(ex.title("zh"), timeout=WAIT_MS)
    # The recorded learner is the login name, shown and not editable.
    expect(page.locator(".rk-name input").first).to_have_value("林晓雨")
    expect(page.locator(".rk-name input").first).to_be_disabled()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "hub_trainee_name.png"))  # the Chinese login name in the locked box
    box = page.locator(f".rk-q-{q.id.replace('.', '-')}")
    for value, mark in ((wrong, ".rk-msg-error"), (right, ".rk-msg-ok")):
        box.locator(".rk-answer").get_by_label(choice_label(q, value, sop, "zh"), exact=True).check()
        box.locator(".rk-check").click()
        expect(box.locator(f".rk-feedback {mark}").first).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / "hub_trainee.png"))
    ctx.close()  # the tab closes: its kernel goes

    # The trainer lands on the trainer's view of the same PostgreSQL record: 林晓雨 is there under the
    # login name (no sample learner has it, so the sample class cannot pass for it). Meanwhile wangfang,
    # whose login lands on the app too, answers right, with the login name shown and locked; the
    # trainer's refresh button reads it.
    landed = trainer.server()
    assert re.search(r"/user/trainer/voila/render/workshop_dashboard\.ipynb", landed), landed
    assert wang.server().startswith(f"{wang.user_url}/voila/render/start.ipynb"), wang.landed
    answered = {}

    async def wangfang_answers():
        answered.update(await _answer_without_a_browser(wang, ex, q, right, sop))

    first, refreshed = _in_a_loop(_trainer_sees(trainer, wangfang_answers()))
    assert answered["names"] and all(n == ("wangfang", True) for n in answered["names"]), answered
    assert answered["verdict"] == "rk-right"
    assert "林晓雨" in first and "wangfang" not in first
    assert "林晓雨" in refreshed and "wangfang" in refreshed
    rows = list(ProgressStore(hub.db).rows())
    got = {name: [(r["question"], r["answer"], r["correct"]) for r in rows if r["learner"] == name]
           for name in ("wangfang", "林晓雨")}
    assert got == {"wangfang": [(q.id, right, True)], "林晓雨": [(q.id, wrong, False), (q.id, right, True)]}
    assert {r["learner"] for r in rows} == {"wangfang", "林晓雨"}

    # The trainer is the hub's admin: the admin page opens and the users' list has the trainees who logged in.
    status, url, _ = trainer.request("/hub/admin")
    assert status == 200 and url.endswith("/hub/admin"), (status, url)
    status, _, body = trainer.request("/hub/api/users", api=True)
    assert status == 200 and {"wangfang", "林晓雨"} <= {u["name"] for u in json.loads(body)}
    # A trainee is not: no admin page, no list of the others.
    assert wang.request("/hub/api/users", api=True)[0] == 403
    assert wang.request("/hub/admin")[0] == 403


def _status(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, str, str]:
    """Status, final address and body, following redirects (as a browser would) for GET only."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None if method != "GET" else super().redirect_request(*a, **k)

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, method=method, data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.geturl(), r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode(errors="replace")


def test_a_client_without_a_login_gets_no_app_and_cannot_write(hub, sop):
    store = ProgressStore(hub.db)
    before = store.count()
    ex = default_bank().exercises[0]
    # The app's address, without a login: the login page, never the app.
    code, final, body = _status(f"{hub.base}/user/wangfang/voila/render/exercise.ipynb?id={ex.id}")
    assert "/hub/login" in final and "username_input" in body
    assert ex.title("zh") not in body and "rk-q-" not in body and "rk-name" not in body
    # Starting a kernel (the only way to run the checks) or a server, listing users: refused.
    for method, path in (("POST", "/user/wangfang/api/kernels"), ("POST", "/user/wangfang/api/sessions"),
                         ("POST", "/hub/api/users/intruder/server"), ("GET", "/hub/api/users")):
        code, _, _ = _status(hub.base + path, method, b"{}" if method == "POST" else None)
        assert code in (302, 401, 403), (path, code)
    # A wrong password gets the login form again with the error, no login cookie and no server.
    intruder = Login(hub, "intruder", "not-the-password")
    assert intruder.status == 403 and "/hub/login" in intruder.url, (intruder.status, intruder.url)
    assert "Invalid username or password" in intruder.body and "username_input" in intruder.body
    assert not any(c.name.startswith("jupyterhub-") for c in intruder.jar), [c.name for c in intruder.jar]
    assert intruder.request("/user/intruder/")[1].split("?")[0].endswith("/hub/login")
    assert store.count() == before and "intruder" not in store.learners()
