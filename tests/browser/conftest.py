"""Browser tests: the trainee app (Voila) and one lesson (JupyterLab) in Debian's Chromium.

The servers start here on free localhost ports (the app with a fresh progress
database), once per test process, and stop at the end whatever happens (the Lab
after its test). `make test` runs this folder on one worker, but for the Lab
test, which runs on the other one (tests/conftest.py, OWN_UNIT). One Chromium
from /usr/bin/chromium per process runs through Python Playwright (never a
downloaded browser); its tabs share one context (one laptop: its storage, its
cookies), the trainees the trainer's page watches are protocol-level clients
(benchmarks/room_client.py). Every request that leaves localhost is cut and
recorded: the pages must work with no internet.
Each test saves a screenshot to out/screenshots/. A JavaScript error that comes
from the kit fails the test; other console noise is reported.

Without Chromium or Playwright the whole directory is skipped, with one line
in the summary saying how to enable it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from chromium_launch import CHROMIUM, offline_chromium, save_png  # tests/chromium_launch.py, shared with tests/hub

from refundkit.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "out" / "screenshots"
HERE = Path(__file__).resolve().parent
SERVER_START_S = 90  # a cold first start on a busy 2-core machine
WIDGET_WAIT_MS = 60_000


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python Playwright is not installed"
    return None


MISSING = _missing()
SKIP_LINE = (f"browser tests skipped: {MISSING}. To run them: apt-get install chromium fonts-noto-cjk "
             "(as .ci/run does) and `make test` (installs playwright with the test extra).")


def pytest_collection_modifyitems(config, items):
    if MISSING:
        mark = pytest.mark.skip(reason=SKIP_LINE)
        for item in items:
            if HERE in Path(str(item.fspath)).parents:
                item.add_marker(mark)


def pytest_terminal_summary(terminalreporter):
    if MISSING:
        terminalreporter.write_line(SKIP_LINE, yellow=True)


# ---------------------------------------------------------------- servers

@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    base: str
    log: Path

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def launch(name: str, argv: list[str], env: dict, port: int, ready_path: str, logdir: Path) -> Server:
    log = logdir / f"{name}.log"
    proc = subprocess.Popen(argv, env=env, cwd=logdir, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    server.ready_path, server.t0 = ready_path, time.monotonic()
    return server


class PortTaken(RuntimeError):
    """The server's port, free when it was picked, was taken by another program before the server bound it."""


# What Voila and Jupyter servers log when their port is in use (they are told not to try others).
PORT_IN_USE = re.compile(r"port \d+ is already in use|could not be started because port \d+ is not available")


def wait_ready(server: Server) -> Server:
    """Wait until the server answers; on failure stop it and show the end of its log."""
    deadline = time.monotonic() + SERVER_START_S  # from now: a server launched early may be waited for late
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = server.log_tail()
            raise (PortTaken if PORT_IN_USE.search(tail) else RuntimeError)(
                f"{server.name} exited with {server.proc.returncode} before serving:\n{tail}")
        try:
            with urllib.request.urlopen(server.base + server.ready_path, timeout=10) as r:
                if r.status == 200:
                    server.start_s = time.monotonic() - server.t0
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"{server.name} did not answer on {server.base}{server.ready_path} in {SERVER_START_S} s:\n"
                       f"{server.log_tail()}")


def stop_server(server: Server) -> None:
    """Stop the server and the kernels it started (its process group)."""
    if server.proc.poll() is None:
        try:
            os.killpg(server.proc.pid, 15)
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, 9)
            server.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def jupyter_env(tmp: Path) -> dict[str, str]:
    """The test's own Jupyter state: no user settings read, nothing written to the home folder."""
    env = dict(os.environ)
    for var in ("JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        d = tmp / var.lower()
        d.mkdir(exist_ok=True)
        env[var] = str(d)
    env.pop("QUERY_STRING", None)
    return env


TRAINER_TOKEN = "browser-test-token"


def launch_voila(tmp: Path) -> Server:
    """The trainee app, served exactly as `make app` serves it, with its own progress database."""
    from refundkit.app.serve import app_argv
    from refundkit.warm_kernel import ENV

    env = jupyter_env(tmp)
    env["REFUNDKIT_DB"] = str(tmp / "progress.sqlite")
    env.pop(ENV, None)  # as `make app`: the app starts its own warm-kernel process, not the test run's
    port = free_port()
    argv = app_argv(port, ["--no-browser", "--room=1", "--max-kernels=12", f"--trainer-token={TRAINER_TOKEN}", "--show_tracebacks=True"])
    # Ready when it answers the words its pages load: no kernel taken for the check.
    server = launch("voila", argv, env, port, "/refundkit/words.js", tmp)
    server.db = Path(env["REFUNDKIT_DB"])
    server.token = TRAINER_TOKEN
    stores = []

    def store():
        """The test's one store on the app's record (kept open, as the trainer's page keeps its own)."""
        from refundkit.progress import ProgressStore

        if not stores:
            stores.append(ProgressStore(server.db))
        return stores[0]

    server.store = store
    return server


LAB_SETTINGS = {  # a test profile: every cell in the page (no windowing), no news from the internet
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none",
                                                                  "autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def launch_lab(tmp: Path) -> Server:
    """The trainees' JupyterLab as `make lab` serves it (root notebooks/, no terminal), on a scratch
    copy of the kit's notebooks/ and exercises/ (running a lesson must not rewrite the stored one);
    the trainer's material sits beside the root, as in the repository."""
    import json
    import shutil

    from refundkit.app.serve import voila_env

    kit = tmp / "kit"
    for folder in ("notebooks", "exercises"):
        shutil.copytree(REPO / folder, kit / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    root = kit / "notebooks"
    env = voila_env(jupyter_env(tmp))  # the app's kernel spec first on JUPYTER_PATH, as `make lab` puts it
    env["REFUNDKIT_DB"] = str(tmp / "progress.sqlite")
    for name, value in LAB_SETTINGS.items():
        f = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    port = free_port()
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={root}", "--ServerApp.terminals_enabled=False",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.port_retries=0"]  # not another port than the one the test waits on
    if os.geteuid() == 0:
        argv.append("--allow-root")
    return launch("jupyterlab", argv, env, port, "/api/status", tmp)


_setting_up: list = []  # the test whose fixtures are being set up (see `servers`)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _setting_up[:] = [item]


class Servers(dict):
    """The servers started in this process (by name), each launched on first need."""
    LAUNCH = {"voila": launch_voila, "jupyterlab": launch_lab}
    FIXTURE = {"app_server": "voila", "lab_server": "jupyterlab"}

    def __init__(self, tmp_path_factory):
        super().__init__()
        self.tmp = tmp_path_factory

    def start(self, name: str) -> Server:
        if name not in self:
            self[name] = self.LAUNCH[name](self.tmp.mktemp(name))
        return self[name]

    def ready(self, name: str) -> Server:
        """The server, answering. A port is free when it is picked and the server binds it a moment later;
        on a busy machine another program may take it in between (any outgoing connection takes one from
        the same range): the server is then started again on another, twice at most."""
        for attempt in range(3):
            try:
                return wait_ready(self.start(name))
            except PortTaken:
                stop_server(self.pop(name))
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def servers(request, tmp_path_factory):
    """Start, side by side, the servers this process will need: in one process (-n0) those of every
    test; in a worker of `make test`, which is given the browser tests in units (tests/conftest.py,
    `work_unit`), those of the first test file; any other on first use. Stop them all at the end."""
    first = _setting_up[0].path if _setting_up and os.environ.get("PYTEST_XDIST_WORKER") else None
    wanted = {f for item in request.session.items if first is None or item.path == first
              for f in getattr(item, "fixturenames", ())}
    started = Servers(tmp_path_factory)
    try:
        for fixture, name in Servers.FIXTURE.items():
            if fixture in wanted:
                started.start(name)
        yield started
    finally:
        for server in started.values():
            stop_server(server)


@pytest.fixture(scope="session")
def app_server(servers):
    return servers.ready("voila")


@pytest.fixture(scope="module")
def lab_server(servers):
    """The Lab, stopped after the tests of the module that asked for it: its idle server and the
    lesson's kernel would otherwise take CPU from every test after it."""
    yield servers.ready("jupyterlab")
    stop_server(servers.pop("jupyterlab"))


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def playwright_session(servers, playwright_instance):  # the servers boot while Chromium starts
    return playwright_instance


@pytest.fixture(scope="session")
def chromium(playwright_session, tmp_path_factory):
    """The one browser of the process, with no internet (tests/chromium_launch.py: every request that
    leaves localhost fails, and `watch` records it)."""
    with offline_chromium(playwright_session, tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def new_context(chromium, **kw):
    """A fresh trainee: a context of its own (cookies, storage), in Chinese, at a desktop's size."""
    context = chromium.new_context(**{"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", **kw})
    context.set_default_timeout(WIDGET_WAIT_MS)
    return context


@pytest.fixture(scope="session")
def browser_context(chromium):
    from playwright.sync_api import expect

    context = new_context(chromium)
    expect.set_options(timeout=WIDGET_WAIT_MS // 3)
    try:
        yield context
    finally:
        context.close()


# Console errors that are not the kit's: a resource the server answers 404/403 for
# (favicon, Voila's kernel shutdown beacon, see refundkit.app.serve) or a cut request.
NOISE = re.compile(r"^Failed to load resource")


@dataclass
class PageLog:
    """What a page did besides drawing: errors, console messages, requests leaving localhost."""
    errors: list[str] = field(default_factory=list)        # uncaught exceptions in the page
    console_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)      # requests cut (no internet at run time)
    failed: list[str] = field(default_factory=list)

    def kit_errors(self, strict: bool) -> list[str]:
        """Errors the kit is answerable for. strict: every page error (the app is the kit's page);
        else (JupyterLab) only errors that name widgets or the kit."""
        errs = self.errors + [m for m in self.console_errors if not NOISE.match(m)]
        if strict:
            return errs
        return [e for e in errs if re.search(r"widget|refundkit|rk-", e, re.I)]

    def others(self, strict: bool) -> list[str]:
        kit = set(self.kit_errors(strict))
        return [e for e in self.errors + self.console_errors if e not in kit] + \
               [f"cut request to {u}" for u in self.external] + self.failed


def leave(pg) -> None:
    """Close a tab as a learner does: leaving the page fires its kernel shutdown call
    (a bare close in Playwright skips it, and the app's kernels would pile up to its cap)."""
    try:
        pg.goto("about:blank", timeout=10_000)
    except Exception:  # noqa: BLE001 - a page that cannot navigate is closed anyway
        pass
    pg.close()


def _local(url: str) -> bool:
    host = urlparse(url).hostname
    return url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost")


def watch(pg) -> PageLog:
    """Record what a tab does besides drawing: errors, console, failed requests (those that left
    localhost were cut by the browser)."""
    log = PageLog()

    def failed(r):  # a request that left localhost failed at the browser's closed proxy (`chromium`)
        if _local(r.url):
            log.failed.append(f"{r.failure} {r.url}")
        else:
            log.external.append(r.url)

    pg.on("pageerror", lambda e: log.errors.append(f"{e.name}: {e.message}\n{e.stack or ''}"[:2000]))
    pg.on("console", lambda m: log.console_errors.append(m.text[:2000]) if m.type == "error" else None)
    pg.on("requestfailed", failed)
    pg.kit_log = log
    pg.strict = True  # set False for JupyterLab pages
    return log


def shoot(pg, name: str) -> None:
    """A screenshot of the whole page: the app scrolls inside its own box, so the window is made
    as tall as that box for the picture (the width, which the layout depends on, stays)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = pg.viewport_size
    tall = pg.evaluate("() => Math.max(...[document.documentElement, document.body, "
                       "...document.querySelectorAll('#rendered_cells, .jp-Notebook, .voila-container')]"
                       ".filter(Boolean).map(e => e.scrollHeight))")
    if size and tall > size["height"] + 10:
        pg.set_viewport_size({"width": size["width"], "height": min(tall + 40, 8000)})
    try:
        save_png(pg, SHOTS / f"{name}.png", full_page=True)
    finally:
        if size and tall > size["height"] + 10:
            pg.set_viewport_size(size)


def settle(pg, name: str) -> None:
    """After a test: what is not the kit's is reported; the kit's JavaScript errors fail it."""
    log = pg.kit_log
    others = log.others(pg.strict)
    if others:
        text = f"{name}: not from the kit (reported, not failed):\n  " + "\n  ".join(others)
        print(text)
        warnings.warn(text)
    kit = log.kit_errors(pg.strict)
    external = list(log.external)
    log.errors.clear(), log.console_errors.clear(), log.external.clear(), log.failed.clear()
    assert not kit, "JavaScript errors from the kit:\n" + "\n".join(kit)
    if pg.strict:
        assert not external, f"the app asked the internet for {external}"


@pytest.fixture
def page(browser_context, request):
    """A fresh tab; at the end a screenshot, then kit errors fail the test and the rest is reported."""
    pg = browser_context.new_page()
    watch(pg)
    yield pg
    try:
        shoot(pg, request.node.name)
    finally:
        leave(pg)
    settle(pg, request.node.name)


class App:
    """The trainee app as a learner reaches it: open a page, wait until it is drawn; move between
    its parts and languages in the page, as the learner does (no new page, no new kernel)."""

    def __init__(self, page, server):
        self.page, self.server = page, server

    def open(self, path: str, **params) -> None:
        """Open app/<path> ("" = the entrance a learner is given, which leads to the start page)."""
        from urllib.parse import urlencode

        url = f"{self.server.base}/" + (f"voila/render/{path}" if path else "")
        url += f"?{urlencode(params)}" if params else ""
        t0 = time.monotonic()
        self.page.goto(url)
        self.page.locator(".rk-app-bar").wait_for()
        self.page.locator("#rendered_cells").wait_for(state="visible")
        print(f"{path or 'entrance'}: drawn in {time.monotonic() - t0:.1f} s")

    def go(self, part: str, lang: str | None = None) -> None:
        """Show a part ("start", "wizard", "calculators", "explorer") with the bar's buttons, in
        `lang` if given; returns once the page is drawn and quiet. Opens the entrance first if
        this tab shows no app yet."""
        if not self.page.locator(".rk-app-bar").count():
            self.open("")
        self.page.locator(f".rk-app-bar .rk-go-{part}").click()
        self.page.locator(f".rk-app.rk-at-{part}").wait_for()
        if lang:
            self.switch(lang)
        self.quiet()

    def switch(self, lang: str) -> None:
        """Click the bar's language button (if not in `lang` yet) and wait for the page to follow."""
        from refundkit.sop import default_sop

        if not self.page.locator(f".rk-app.rk-lang-{lang}").count():
            name = default_sop().ui["lang_name"](lang)
            self.page.locator(".rk-app-bar .rk-lang").get_by_text(name, exact=True).click()
        self.page.locator(f".rk-app.rk-lang-{lang}").wait_for()
        self.quiet()

    def quiet(self, ms: int = 300) -> None:
        """Wait until the page has not changed for `ms` (the kernel's updates have all arrived)."""
        self.page.evaluate("""() => { if (window.rkQuietObserver) return;
            window.rkLastChange = performance.now();
            window.rkQuietObserver = new MutationObserver(() => { window.rkLastChange = performance.now(); });
            window.rkQuietObserver.observe(document.documentElement,
                {subtree: true, childList: true, attributes: true, characterData: true}); }""")
        self.page.wait_for_function("ms => performance.now() - window.rkLastChange > ms", arg=ms, polling=50)

    def shot(self, name: str) -> None:
        """An extra screenshot mid-test (the fixture takes the last one)."""
        shoot(self.page, name)

    def no_cell_error(self) -> None:
        """A Python error in a page shows as an error output; the app must have none."""
        errors = self.page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                                   ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.first.inner_text()


@pytest.fixture
def app(page, app_server):
    return App(page, app_server)


@pytest.fixture(scope="session")
def learner_tab(browser_context, app_server):
    """One trainee tab for the whole run: one kernel, as a learner keeps one page open all day."""
    pg = browser_context.new_page()
    watch(pg)
    pg.set_viewport_size({"width": 1280, "height": 900})
    yield pg
    leave(pg)


@pytest.fixture
def learner(learner_tab, app_server, request):
    """The shared trainee page, as an App: each test moves to its part and language with the bar
    (what moving costs a learner), and leaves a screenshot; kit errors fail the test."""
    learner_tab.set_viewport_size({"width": 1280, "height": 900})
    learner_tab.bring_to_front()  # the tab in front: a tab behind another gets no animation frames, so
    # every click waits for the element to be "stable" (~2 s) and every screenshot for a frame
    yield App(learner_tab, app_server)
    try:
        shoot(learner_tab, request.node.name)
    finally:
        settle(learner_tab, request.node.name)
