"""The room behind logins, started for real: PostgreSQL in a temporary folder, JupyterHub with the proxy
from npm on a free loopback port, exactly as `make hub` starts them (python -m refundkit.hub).

Needs PostgreSQL (Debian's postgresql), configurable-http-proxy (`make hub` or `.ci/run` installs it into
.hub/ with npm), Chromium and Playwright. Without them the tests are skipped with one line, except in
CI (`CI` set), where that is a failure.
"""
from __future__ import annotations

import http.cookiejar
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from refundkit.ports import free_port
from refundkit.warm_kernel import ENV as WARM_KERNELS

from chromium_launch import CHROMIUM, offline_chromium  # tests/chromium_launch.py, shared with tests/browser

REPO = Path(__file__).resolve().parents[2]
PROXY = Path(os.environ.get("REFUNDKIT_HUB_PROXY", REPO / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"))
SHOTS = REPO / "out" / "screenshots"
PASSWORD = "room-pass-2026"
START_S = 120
# What the launcher is given of the test run's environment: the log level, and the test run's warm-kernel
# process (the trainees' kernels fork from it instead of a second one importing the same libraries).
KEPT = ("REFUNDKIT_HUB_LOG_LEVEL", WARM_KERNELS)


def _missing() -> str | None:
    if not PROXY.exists():
        return f"{PROXY} not found (npm install --prefix .hub configurable-http-proxy, as make hub does)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import jupyterhub  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (the test extra carries it)"
    return None


@pytest.fixture(scope="session")
def hub_needs():
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"hub tests cannot run in CI: {missing}")
        pytest.skip(f"hub tests skipped: {missing}")


@dataclass
class Hub:
    base: str
    db: str
    state: Path
    proc: subprocess.Popen
    start_s: float
    trainer_password: str

    def log(self) -> str:
        try:
            return (self.state / "launcher.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def hub(hub_needs, pg_server):
    db = pg_server.create_database("hubroom")
    state = Path(tempfile.mkdtemp(prefix="refundkit-hub-"))
    port = free_port()
    log = (state / "launcher.log").open("w")
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "refundkit.hub", f"--port={port}", f"--db={db}",
                             f"--password={PASSWORD}", f"--state={state}", f"--proxy={PROXY}"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith("REFUNDKIT_") or k in KEPT})
    base = f"http://127.0.0.1:{port}"
    h = Hub(base, db, state, proc, 0.0, "")
    try:
        while True:
            if proc.poll() is not None or time.monotonic() - t0 > START_S:
                raise RuntimeError(f"the hub did not start:\n{h.log()}")
            try:
                with urllib.request.urlopen(base + "/hub/login", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        h.start_s = time.monotonic() - t0
        h.trainer_password = (state / "trainer-password").read_text().strip()
        yield h
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the launcher stops the hub, which stops every server
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(hub_needs, playwright_instance, tmp_path_factory):
    """Chromium with no internet (tests/chromium_launch.py), as the browser tests run it."""
    with offline_chromium(playwright_instance, tmp_path_factory.mktemp("chromium")) as b:
        yield b


class Login:
    """A login over HTTP, as a browser does it (the login form with its _xsrf, cookies kept across
    redirects, the single-user server's OAuth round trip), without drawing any page."""

    def __init__(self, hub: Hub, name: str, password: str):
        self.hub, self.name = hub, name
        self.jar = http.cookiejar.CookieJar()
        self.user_url = f"{hub.base}/user/{quote(name, safe='@~')}"
        stop = self._StopAtTheApp()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), stop)
        self.landed = ""  # where the login led: the server's first page, not fetched (that would start a kernel)
        stop.owner = self
        self.status, self.url, self.body = self.request("/hub/login")  # the form sets the _xsrf cookie
        form = {"username": name, "password": password, "_xsrf": self.cookie("_xsrf")}
        self.status, self.url, self.body = self.request("/hub/login", data=urlencode(form).encode())

    class _StopAtTheApp(urllib.request.HTTPRedirectHandler):
        """Follow redirects (the spawn, the OAuth round trip) but stop before the app's page: fetching it
        runs the notebook, which the test does itself."""
        owner: "Login"

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if "/voila/render/" in newurl:
                self.owner.landed = newurl
                return None
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def request(self, path: str, data: bytes | None = None, api: bool = False) -> tuple[int, str, str]:
        """Status, final address and body; `api`: a call to the hub's REST API (with the _xsrf header)."""
        headers = {"X-XSRFToken": self.cookie("_xsrf"), "Accept": "application/json"} if api else {}
        req = urllib.request.Request(self.hub.base + path, data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.geturl(), r.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")

    def server(self, timeout: float = START_S) -> str:
        """Wait until this login's server is up (the hub's pending page while it starts) and has let the
        login in (OAuth); returns the address the login lands on."""
        end = time.monotonic() + timeout
        while True:
            self.landed = ""
            status, url, _ = self.request(self.user_url.removeprefix(self.hub.base) + "/")
            if self.landed:
                # The server's first page is asked for without the server's own cookie: the OAuth
                # round trip through the hub sets it, and leads back to the page (not fetched).
                landed = self.landed
                self.request(landed.removeprefix(self.hub.base))
                assert self.landed == landed and "jupyterhub-user-" in self.cookies_for(landed), (landed, self.landed)
                return landed
            assert status == 200 and "spawn-pending" in url, (self.name, status, url)
            if time.monotonic() > end:
                raise RuntimeError(f"{self.name}: no server after {timeout} s:\n{self.hub.log()}")
            time.sleep(0.3)

    def cookies_for(self, url: str) -> str:
        """The Cookie header a browser would send to `url`."""
        req = urllib.request.Request(url)
        self.jar.add_cookie_header(req)
        return req.get_header("Cookie", "")
