"""What a learner's click costs once the page is open: moving between the app's parts and switching
the language, in Chromium, beside the floor of the same page left alone for as long.

    .venv/bin/python benchmarks/app_moves.py [--rounds 2]

Starts the app as `make app` does, opens its page in Chromium (as the browser tests launch it) and
waits until every part is built into it; then, `--rounds` times, moves through the wizard, the
calculators, the explorer and the start part, and switches the language there and back. For each kind
of click it prints the wall time until the page is quiet (300 ms without a change), the CPU of
Chromium (its browser and renderer processes), of the app's server and kernels, and the websocket
frames the page received. The floor: the same page, untouched, for the same time. Figures, not
asserts; the load average before and after.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from app_server import start_app, stop_app  # noqa: E402  (this folder)
from browser_tests import load, processes  # noqa: E402  (this folder)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from chromium_launch import launch_chromium  # noqa: E402  (tests/chromium_launch.py: the tests' Chromium)

QUIET_JS = """ms => new Promise(done => {
  let last = performance.now();
  const seen = new MutationObserver(() => { last = performance.now(); });
  seen.observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  const look = () => performance.now() - last > ms ? (seen.disconnect(), done()) : setTimeout(look, 50);
  setTimeout(look, 50);
})"""


def cpu(server_pid: int) -> collections.Counter:
    """CPU seconds so far of this run's Chromium (its processes by kind) and of the server's process tree."""
    out: collections.Counter = collections.Counter()
    table = processes()
    for pid, (_, t) in table.items():
        p = pid
        while p in table and p not in (server_pid, os.getpid()):
            p = table[p][0]
        if p == server_pid:
            out["server" if pid == server_pid else "kernels"] += t
        elif p == os.getpid():  # this run's browser, not another on the machine
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "chromium" in cmd:
                m = re.search(r"--type=([a-z-]+)", cmd)
                out["chromium " + (m.group(1) if m else "browser")] += t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from refundkit.sop import default_sop

    sop = default_sop()
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        env = dict(os.environ, REFUNDKIT_DB=str(Path(tmp) / "progress.sqlite"))
        proc, base = start_app(["--room=1"], env=env, ready="/refundkit/words.js")
        browser = launch_chromium(pw, Path(tmp))
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            frames = [0]
            page.on("websocket", lambda ws: ws.on("framereceived", lambda _f: frames.__setitem__(0, frames[0] + 1)))
            page.goto(f"{base}/")
            page.locator(".rk-app-bar").wait_for(timeout=120_000)
            # Every part built into the page (the kernel's idle time) and the server's spare kernel preheated:
            # measured from when the server and its kernels are idle (under 2 % of a core for 2 s).
            end, before = time.monotonic() + 120, cpu(proc.pid)
            while time.monotonic() < end:
                page.wait_for_timeout(2000)
                now = cpu(proc.pid)
                if (now["server"] + now["kernels"]) - (before["server"] + before["kernels"]) < 0.04:
                    break
                before = now
            page.evaluate(QUIET_JS, 1000)

            def measure(label: str, act) -> tuple[str, float, collections.Counter, int]:
                c0, f0, t0 = cpu(proc.pid), frames[0], time.monotonic()
                act()
                page.evaluate(QUIET_JS, 300)
                return label, time.monotonic() - t0, cpu(proc.pid) - c0, frames[0] - f0

            def move(part: str):
                return lambda: (page.locator(f".rk-app-bar .rk-go-{part}").click(),
                                page.locator(f".rk-app.rk-at-{part}").wait_for())

            def switch(lang: str):
                return lambda: (page.locator(".rk-app-bar .rk-lang").get_by_text(sop.ui["lang_name"](lang), exact=True).click(),
                                page.locator(f".rk-app.rk-lang-{lang}").wait_for())

            rows = []
            for _ in range(args.rounds):
                for part in ("wizard", "calculators", "explorer", "start"):
                    rows.append(measure("move to a part", move(part)))
                for lang in ("en", "zh"):
                    rows.append(measure("language switch", switch(lang)))
            idle = [r[1] for r in rows]
            floor = [measure("floor: the page left alone", lambda s=s: page.wait_for_timeout(int(s * 1000))) for s in idle[:4]]
        finally:
            browser.close()
            stop_app(proc)
    by: dict[str, list] = collections.defaultdict(list)
    for label, wall, used, n in rows + floor:
        by[label].append((wall, used, n))
    for label, runs in by.items():
        k = len(runs)
        kinds = collections.Counter()
        for _, used, _ in runs:
            kinds.update(used)
        cpu_text = "  ".join(f"{name} {v / k:.2f}" for name, v in sorted(kinds.items()) if v > 0)
        print(f"{label:28s} x{k}: {sum(r[0] for r in runs) / k:5.2f} s wall, "
              f"{sum(r[2] for r in runs) / k:5.0f} frames; CPU s per click: {cpu_text}")
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
