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
import tempfile
import time

from app_server import start_app, stop_app  # noqa: E402  (this folder)

CHROMIUM = os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
PAGES = ["wizard.ipynb", "calculators.ipynb", "explorer.ipynb", "exercise.ipynb?id=ex01"]


def one_run(context, sop) -> dict[str, float]:
    out = {}
    t0 = time.monotonic()
    proc, base = start_app([])
    try:
        out["server"] = time.monotonic() - t0
        page = context.new_page()
        page.goto(f"{base}/")
        page.locator(".rk-lang").get_by_text(sop.ui["lang_name"]("en"), exact=True).click(timeout=120_000)
        page.get_by_text(sop.t("app_title", "en"), exact=True).wait_for(timeout=60_000)
        out["start"] = time.monotonic() - t0
        for path in PAGES:
            t = time.monotonic()
            page.goto(f"{base}/voila/render/{path}")
            # the part shown (built parts stay in the page, hidden)
            page.locator(".rk-app .rk-widget:visible, .rk-app .rk-question:visible").first.wait_for(timeout=120_000)
            out[path.split(".")[0]] = time.monotonic() - t
        page.close()
    finally:
        stop_app(proc)
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
