"""How long a learner waits: from `make app` to an interactive start page, and each page's draw time.

    .venv/bin/python benchmarks/app_start.py [--runs 2]

Starts the app exactly as `make app` does (`python -m refundkit.app`, browser
not opened) on a free port, with a browser already running (a learner's is),
and prints:
  server   seconds until the app answers its entrance
  start    seconds from the command to the start page answering a click on the language switch
  <page>   seconds from opening each old address (redirected to the one page, opened on that part)
           to its widgets drawn (a preheated kernel each time, as `make app` keeps `--room` of them)
Needs /usr/bin/chromium (or $REFUNDKIT_CHROMIUM) and Playwright, as the browser tests do.
Figures depend on the machine's load: print `uptime` beside them.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
PAGES = ["wizard.ipynb", "calculators.ipynb", "explorer.ipynb", "exercise.ipynb?id=ex01"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(context, sop) -> dict[str, float]:
    port, out = free_port(), {}
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "refundkit.app", f"--port={port}", "--no-browser"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"the app exited with {proc.returncode}")
                time.sleep(0.1)
        out["server"] = time.monotonic() - t0
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator(".rk-lang").get_by_text(sop.ui["lang_name"]("en"), exact=True).click(timeout=120_000)
        page.get_by_text(sop.t("app_title", "en"), exact=True).wait_for(timeout=60_000)
        out["start"] = time.monotonic() - t0
        for path in PAGES:
            t = time.monotonic()
            page.goto(f"http://127.0.0.1:{port}/voila/render/{path}")
            # the part shown (built parts stay in the page, hidden)
            page.locator(".rk-app .rk-widget:visible, .rk-app .rk-question:visible").first.wait_for(timeout=120_000)
            out[path.split(".")[0]] = time.monotonic() - t
        page.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from refundkit.sop import default_sop

    sop = default_sop()
    print(f"load average {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS)
        for i in range(args.runs):
            figures = one_run(context, sop)
            print(f"run {i + 1}: " + "  ".join(f"{k} {v:.1f} s" for k, v in figures.items()))
        context.close()


if __name__ == "__main__":
    main()
