"""Logins for a room: two trainees log in by name, their servers open the app, they answer, and both
records land in PostgreSQL under their login names, while the trainer logs in, lands on the trainer's
view and sees them there; a client without a login gets no app and cannot write.

One trainee works in Chromium (what is drawn: the Chinese page, the name shown and locked, the
feedback wrong then right); the other and the trainer are driven as their pages' scripts would drive
the server (benchmarks/room_client.py: HTTP and the kernel's websocket), where what is checked is data.
"""
from __future__ import annotations

import asyncio
import json
import re
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from refundkit.exercises import answer_key, default_bank
from refundkit.exercises.key import choice_label
from refundkit.progress import ProgressStore

from chromium_launch import save_png
from .conftest import PASSWORD, SHOTS, Login
from room_clients import room_client

WAIT_MS = 120_000  # a server and a kernel start on a busy 2-core machine


async def _answer_without_a_browser(login: Login, ex, q, value: str, sop, ready=None) -> dict:
    """The trainee's page, driven as its scripts drive the server: to the exercise, one answer checked
    (once `ready` is done). Returns what the page would show: the name boxes (value, locked) and the
    feedback's verdict."""
    tr = room_client().Trainee(login.user_url, timeout=120, cookies=login.cookies_for(login.landed))
    try:
        await tr.open(login.landed.removeprefix(login.user_url))
        await tr.click(tr.find(f"rk-go-{ex.id}"))
        names = [(m["state"].get("value"), m["state"].get("disabled")) for m in tr.models.values()
                 if "rk-name" in m["state"].get("_dom_classes", ())]
        box = f"rk-q-{q.id.replace('.', '-')}"
        control = tr.find("rk-answer", within=box)
        labels = tr.models[control]["state"]["_options_labels"]
        if ready is not None:
            await ready
        await tr.update(control, index=labels.index(choice_label(q, value, sop, "zh")))
        await tr.click(tr.find("rk-check", within=box))
        classes = tr.models[tr.find("rk-feedback", within=box)]["state"]["_dom_classes"]
        return {"names": names, "verdict": next((c for c in ("rk-right", "rk-wrong") if c in classes), "")}
    finally:
        await tr.close()


async def _beside_chromium(hub, ex, q, right, sop, chromium_done: threading.Event) -> dict:
    """wangfang and the trainer, while 林晓雨 works in Chromium: both log in; the trainer's page opens
    and shows its live table; wangfang's page opens at the exercise and, once the table is seen and
    林晓雨 is done, answers right; then the trainer clicks the refresh button."""
    loop = asyncio.get_running_loop()
    wang = await loop.run_in_executor(None, Login, hub, "wangfang", PASSWORD)
    trainer = await loop.run_in_executor(None, Login, hub, "trainer", hub.trainer_password)
    out = {"wang": wang, "trainer": trainer, "trainer_landed": await loop.run_in_executor(None, trainer.server),
           "wang_landed": await loop.run_in_executor(None, wang.server)}
    seen = asyncio.Event()

    async def ready():
        await seen.wait()
        await loop.run_in_executor(None, chromium_done.wait, WAIT_MS / 1000)

    answering = asyncio.ensure_future(_answer_without_a_browser(wang, ex, q, right, sop, ready()))
    tr = room_client().Trainee(trainer.user_url, timeout=120, cookies=trainer.cookies_for(trainer.landed))
    try:
        await tr.open(trainer.landed.removeprefix(trainer.user_url))
        out["first"] = tr.models[tr.find("rk-dashboard-live")]["state"]["value"]
        seen.set()
        out["answered"] = await answering
        await tr.click(tr.find("rk-refresh"))
        out["refreshed"] = tr.models[tr.find("rk-dashboard-live")]["state"]["value"]
    finally:
        await tr.close()
    return out


def test_two_trainees_answer_their_records_land_under_their_login_names_and_the_trainer_sees_them(hub, browser, sop):
    bank = default_bank()
    ex = bank.exercises[0]
    q = next(q for q in bank.questions_of(ex.id) if q.form == "choice")
    right = answer_key(q, sop).answer
    wrong = next(c for c in q.choices if c != right)

    # The room logs in side by side (the servers start together): 林晓雨 in Chromium; wangfang and the
    # trainer over HTTP, in a thread of their own (`_beside_chromium`).
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    page.goto(hub.base + "/hub/login")
    page.fill("#username_input", "林晓雨")
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    chromium_done = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        beside = pool.submit(asyncio.run, _beside_chromium(hub, ex, q, right, sop, chromium_done))
        try:
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
            save_png(page, SHOTS / "hub_trainee_name.png")  # the Chinese login name in the locked box
            box = page.locator(f".rk-q-{q.id.replace('.', '-')}")
            for value, mark in ((wrong, ".rk-msg-error"), (right, ".rk-msg-ok")):
                box.locator(".rk-answer").get_by_label(choice_label(q, value, sop, "zh"), exact=True).check()
                box.locator(".rk-check").click()
                expect(box.locator(f".rk-feedback {mark}").first).to_be_visible(timeout=WAIT_MS)
            save_png(page, SHOTS / "hub_trainee.png")
            # Her kernel prepared the app's other parts on its turn in the room (the lock file the hub names).
            assert (hub.state / "prebuild.turn").exists(), "the trainees' kernels do not take turns"
            ctx.close()  # the tab closes: its kernel goes
        finally:
            chromium_done.set()
        side = beside.result()
    wang, trainer = side["wang"], side["trainer"]

    # wangfang's login lands on the app too; the name there is the login name, locked; a right answer.
    assert side["wang_landed"].startswith(f"{wang.user_url}/voila/render/start.ipynb"), side["wang_landed"]
    assert side["answered"]["names"] and all(n == ("wangfang", True) for n in side["answered"]["names"]), side
    assert side["answered"]["verdict"] == "rk-right"
    rows = list(ProgressStore(hub.db).rows())
    got = {name: [(r["question"], r["answer"], r["correct"]) for r in rows if r["learner"] == name]
           for name in ("wangfang", "林晓雨")}
    assert got == {"wangfang": [(q.id, right, True)], "林晓雨": [(q.id, wrong, False), (q.id, right, True)]}
    assert {r["learner"] for r in rows} == {"wangfang", "林晓雨"}
    # The trainer lands on the trainer's view of the same PostgreSQL record; wangfang's check, made after
    # the table was drawn, is there once the refresh button is clicked, beside 林晓雨's: under their login
    # names (no sample learner has them, so the sample class cannot pass for them).
    assert re.search(r"/user/trainer/voila/render/workshop_dashboard\.ipynb", side["trainer_landed"]), side
    assert "wangfang" not in side["first"]
    assert "林晓雨" in side["refreshed"] and "wangfang" in side["refreshed"]

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
