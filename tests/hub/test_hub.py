"""Logins for a room: two trainees log in over HTTP, their servers open the app, they answer through the
page, and both records land in PostgreSQL under their login names, while the trainer logs in and lands on the
trainer's view of them; a client without a login gets no app and cannot write."""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

from playwright.sync_api import expect

from refundkit.exercises import answer_key, default_bank
from refundkit.exercises.key import choice_label
from refundkit.progress import ProgressStore

from .conftest import PASSWORD, SHOTS, offline

WAIT_MS = 120_000  # a server and a kernel start on a busy 2-core machine


def _login(browser, hub, name: str, password: str):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    offline(ctx)
    page = ctx.new_page()
    page.goto(hub.base + "/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    return page


def test_two_trainees_answer_their_records_land_under_their_login_names_and_the_trainer_sees_them(hub, browser, sop):
    bank = default_bank()
    ex = bank.exercises[0]
    q = next(q for q in bank.questions_of(ex.id) if q.form == "choice")
    right = answer_key(q, sop).answer
    wrong = next(c for c in q.choices if c != right)
    trainees = {"wangfang": [wrong, right], "林晓雨": [right]}

    started = {name: (time.monotonic(), _login(browser, hub, name, PASSWORD)) for name in trainees}
    # The trainer logs in meanwhile (the servers start side by side, as in a room).
    trainer = _login(browser, hub, "trainer", hub.trainer_password)
    for name, (t0, page) in started.items():
        # The server opens the trainee app directly: no JupyterLab, no code.
        page.wait_for_url(re.compile(r"/user/[^/]+/voila/render/start\.ipynb"), timeout=WAIT_MS)
        expect(page.locator(".rk-app-title")).to_have_text(sop.t("app_title", "zh"), timeout=WAIT_MS)
        print(f"{name}: login to app {time.monotonic() - t0:.1f} s (hub start {hub.start_s:.1f} s)")
    for name, answers in trainees.items():
        page = started[name][1]
        # To the exercise from the start page, in the same page and kernel (the app's parts are one page).
        page.locator(f".rk-go-{ex.id}").click()
        expect(page.locator(".rk-app-title")).to_contain_text(ex.title("zh"), timeout=WAIT_MS)
        # The recorded learner is the login name, shown and not editable.
        expect(page.locator(".rk-name input")).to_have_value(name)
        expect(page.locator(".rk-name input")).to_be_disabled()
        box = page.locator(f".rk-q-{q.id.replace('.', '-')}")
        for value in answers:
            box.locator(".rk-answer").get_by_label(choice_label(q, value, sop, "zh"), exact=True).check()
            box.locator(".rk-check").click()
            mark = ".rk-feedback .rk-msg-ok" if value == right else ".rk-feedback .rk-msg-error"
            expect(box.locator(mark).first).to_be_visible(timeout=WAIT_MS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"hub_trainee_{'a' if name.isascii() else 'b'}.png"))
    _print_memory()
    rows = list(ProgressStore(hub.db).rows())
    got = {name: [(r["question"], r["answer"], r["correct"]) for r in rows if r["learner"] == name] for name in trainees}
    assert got == {"wangfang": [(q.id, wrong, False), (q.id, right, True)], "林晓雨": [(q.id, right, True)]}
    assert {r["learner"] for r in rows} == set(trainees)

    # The trainer lands on the trainer's view of the same PostgreSQL record: both trainees, under their
    # login names (names no sample learner has, so the sample class cannot pass for them).
    page = trainer
    page.wait_for_url(re.compile(r"/user/trainer/voila/render/"), timeout=WAIT_MS)
    refresh, first = page.locator(".rk-refresh"), page.get_by_text("wangfang")
    expect(refresh.or_(first).first).to_be_visible(timeout=WAIT_MS)
    if refresh.count():  # a page that re-reads the record on a click
        refresh.first.click()
    expect(first.first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("林晓雨").first).to_be_visible()
    first.first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "hub_trainer.png"))
    # The trainer is the hub's admin: the admin page lists the trainees who logged in.
    page.goto(hub.base + "/hub/admin")
    expect(page.get_by_text("wangfang").first).to_be_visible(timeout=30_000)


def _print_memory() -> None:
    """For the record (-s): what each trainee's server and its kernels hold (benchmarks/hub.py measures it properly)."""
    import psutil

    for p in psutil.process_iter(["cmdline"]):
        if "jupyterhub.singleuser" in " ".join(p.info["cmdline"] or []):
            try:
                procs = [p, *p.children(recursive=True)]
                rss = sum(q.memory_info().rss for q in procs) >> 20
                print(f"server of {p.environ().get('JUPYTERHUB_USER')}: {len(procs)} processes, RSS {rss} MiB")
            except psutil.Error:
                continue


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


def test_a_client_without_a_login_gets_no_app_and_cannot_write(hub, browser, sop):
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
    # A wrong password gets no server either.
    page = _login(browser, hub, "intruder", "not-the-password")
    expect(page.locator(".alert-danger, .login_error, #login_error").first).to_be_visible(timeout=30_000)
    assert "/hub/login" in page.url
    assert store.count() == before and "intruder" not in store.learners()
