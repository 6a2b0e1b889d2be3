"""The room behind logins, started for real: PostgreSQL in a temporary folder, JupyterHub with the proxy
from npm on a free loopback port, exactly as `make hub` starts them (python -m refundkit.hub).

Needs PostgreSQL (Debian's postgresql), configurable-http-proxy (`make hub` or `.ci/run` installs it into
.hub/ with npm), Chromium and Playwright. Without them the tests are skipped with one line, except in
CI (`CI` set), where that is a failure.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from refundkit.hub.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
PROXY = Path(os.environ.get("REFUNDKIT_HUB_PROXY", REPO / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"))
CHROMIUM = Path(os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = REPO / "out" / "screenshots"
PASSWORD = "room-pass-2026"
START_S = 120


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
                                 if not k.startswith("REFUNDKIT_") or k == "REFUNDKIT_HUB_LOG_LEVEL"})
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


@pytest.fixture(scope="session")
def browser(hub_needs, playwright_instance):
    b = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield b
    b.close()


def offline(context) -> None:
    """Only loopback: the pages must work with no internet."""
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("http://127.0.0.1", "http://localhost", "data:", "blob:")) else route.abort())
