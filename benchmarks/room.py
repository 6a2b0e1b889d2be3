"""A room arriving at once: 1, 10 and 20 trainees open the app together.

    .venv/bin/python benchmarks/room.py [--sizes 1 10 20] [--room 20] [--think 3] [--browsers]

Starts the app as `make app` does (`python -m refundkit.app`, a fresh progress record), waits
until its preheated kernels have run the page, then for each size lets that many trainees
arrive at the same moment. In a room each trainee's browser runs on the trainee's own
computer, and this machine only serves; so by default one trainee is real Chromium (its own
cookies and storage) and the others are laptops seen from the server (benchmarks/room_client.py:
the page's own requests and widget messages over HTTP and the kernel's websocket, no browser).
`--browsers` makes every trainee a Chromium page on this machine instead: an upper bound, where
this machine's two cores also compile Voila's scripts (about 8 MB) and draw every trainee's page.

Each trainee opens the page, gives a name, moves to the wizard, then answers an exercise
question and checks it, pausing before each action as a person reads and types (--think
seconds on average, between half and one and a half times that, so the room is not in lockstep).
Per trainee:
  drawn    from the request to the start page drawn and answering (its parts listed); for a
           laptop seen from the server: the page and every widget's state received
  ws       (Chromium) from the request to the page's scripts connecting to its kernel: the
           browser's own work (Voila's scripts), before anything of the kit
  move     a click on another part (the wizard) until it shows: no new kernel
  to_exercise  the same from the start part into an exercise
  check    a click on "check" in an exercise until the feedback shows (recorded in the record)
and prints p50 / p95 of each beside the floor measured in the same run:
  floor    the same browser drawing the trainer's token page (served with no kernel)
then the memory of the server and its kernels (PSS: shared pages split among sharers) while the
trainees are there, and how many trainee kernels are left some seconds after their tabs closed.
The machine's load (os.getloadavg) is printed before and after each size.
Needs /usr/bin/chromium (or $REFUNDKIT_CHROMIUM) and Playwright, as the browser tests do.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import room_client  # noqa: E402  (this folder)
from room_client import pause  # noqa: E402
from app_server import start_app, stop_app  # noqa: E402

CHROMIUM = os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
TOKEN = "room-benchmark"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}, {os.cpu_count()} cores)"


# -- the server's processes (Linux /proc) ----------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(d.name))
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def tree(pid: int) -> list[int]:
    """Every process below `pid`: kernel launchers, the warm kernels' zygote and its kernels."""
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def kernels(server: int) -> list[int]:
    """The server's kernels: plain ones (its children) or warm ones (forked by the zygote it started)."""
    out = []
    for pid in _children(server):
        cmd = _cmdline(pid)
        if b"ipykernel" in cmd:
            out.append(pid)
        elif b"warm_kernel\x00serve" in cmd:
            out += _children(pid)
    return out


def rss_mb(pids: list[int]) -> float:
    """Memory the processes hold between them: PSS (each shared page counted once, split among its
    sharers), so that kernels forked from one zygote are not counted as if each had its own copy."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            m = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
        except OSError:
            m = None
        if m is None:
            try:
                m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            except OSError:
                m = None
        total += int(m.group(1)) if m else 0
    return total / 1024


def cpu_s(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def wait_quiet(server: int, want: int, timeout: float = 300) -> float:
    """Wait until `want` kernels run and they have stopped working (the pool has run the page)."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        ks = kernels(server)
        now = cpu_s([server, *ks])
        if len(ks) >= want and last is not None and now - last < 0.05:
            return time.monotonic() - t0
        last = now
        time.sleep(1.0)
    return time.monotonic() - t0


# -- one trainee --------------------------------------------------------------------------

VIEW = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


async def trainee(browser, base: str, sop, exercise: str, qid: str, answer_label: str, out: dict,
                  shared=None, think: float = 0) -> None:
    ctx = shared or await browser.new_context(**VIEW)
    ctx.set_default_timeout(180_000)
    page = await ctx.new_page()
    t = time.monotonic()
    page.on("websocket", lambda ws: out.setdefault("ws", time.monotonic() - t) if "/api/kernels/" in ws.url else None)
    await page.goto(f"{base}/")
    await page.locator(".rk-app-links .rk-app-go").first.wait_for(state="visible")
    out["drawn"] = time.monotonic() - t
    await asyncio.sleep(pause(think))
    await page.locator(".rk-app-name input").fill(f"学员{id(out) % 10000}")
    await page.locator(".rk-app-name input").press("Enter")
    await asyncio.sleep(pause(think))
    t = time.monotonic()
    await page.locator(".rk-app-bar .rk-go-wizard").click()
    await page.locator(".rk-wizard").wait_for(state="visible")
    out["move"] = time.monotonic() - t
    await page.locator(".rk-app-bar .rk-go-start").click()
    await asyncio.sleep(pause(think))
    t = time.monotonic()
    await page.locator(f".rk-go-{exercise}").click()
    box = page.locator(f".rk-q-{qid.replace('.', '-')}")
    await box.locator(".rk-check").wait_for(state="visible")
    out["to_exercise"] = time.monotonic() - t
    await box.locator(".rk-answer").get_by_label(answer_label, exact=True).check()
    await asyncio.sleep(pause(think))
    t = time.monotonic()
    await box.locator(".rk-check").click()
    await box.locator(".rk-feedback .rk-msg-ok, .rk-feedback .rk-msg-error").first.wait_for(state="visible")
    out["check"] = time.monotonic() - t
    out["ctx"], out["page"] = (None if shared else ctx), page


async def floor(browser, base: str) -> float:
    ctx = await browser.new_context()
    page = await ctx.new_page()
    t = time.monotonic()
    await page.goto(f"{base}/trainer")
    await page.locator(".rk-tr-login").wait_for(state="visible")
    took = time.monotonic() - t
    await ctx.close()
    return took


def pct(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


async def run(args) -> None:
    from playwright.async_api import async_playwright

    from refundkit.exercises import answer_key, default_bank
    from refundkit.exercises.key import choice_label
    from refundkit.app.pages import exercise_list
    from refundkit.sop import default_sop

    sop = default_sop()
    ex = exercise_list()[0]
    q = next(q for q in default_bank().questions_of(ex.id) if q.form == "choice")
    label = choice_label(q, answer_key(q, sop).answer, sop, "zh")
    tmp = Path(tempfile.mkdtemp(prefix="refundkit-room-"))
    env = dict(os.environ, REFUNDKIT_DB=str(tmp / "progress.sqlite3"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp / "config"))
    print(f"machine: {load()}")
    t0 = time.monotonic()
    proc, base = start_app([f"--room={args.room}", f"--trainer-token={TOKEN}"], env=env, cwd=tmp,
                           log=(tmp / "server.log").open("w"), ready="/refundkit/words.js")
    try:
        up = time.monotonic() - t0
        warm = wait_quiet(proc.pid, args.room)
        print(f"server answers after {up:.1f} s; {args.room} preheated kernels ready {up + warm:.1f} s after start, "
              f"holding {rss_mb([proc.pid, *tree(proc.pid)]):.0f} MB (PSS) ({load()})")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            shared = None
            if args.shared_cache:
                # One browser profile for every trainee, its cache filled by one visit first: Voila's
                # scripts (about 8 MB) are then not fetched and compiled again for each trainee on this
                # machine's two cores, as each trainee's own laptop would do in a room.
                shared = await browser.new_context(**VIEW)
                warm = await shared.new_page()
                await warm.goto(f"{base}/")
                await warm.locator(".rk-app-links .rk-app-go").first.wait_for(state="visible", timeout=180_000)
                await warm.goto("about:blank")
                await warm.close()
                wait_quiet(proc.pid, args.room)  # kernels idle again, the pool full
                print("trainees share one browser profile with Voila's scripts cached (--shared-cache)")
            for n in args.sizes:
                fl = [await floor(browser, base) for _ in range(3)]
                before = load()
                pool_before = set(kernels(proc.pid))
                outs = [{} for _ in range(n)]
                # Everyone in Chromium (--browsers), or the first trainee in Chromium and the others seen from the server.
                real = outs if args.browsers else outs[:1]
                results = await asyncio.gather(
                    *(trainee(browser, base, sop, ex.id, q.id, label, o, shared, args.think) for o in real),
                    *(room_client.trainee(base, f"学员{i}", ex.id, q.id, label, o, args.think)
                      for i, o in enumerate(outs[len(real):])), return_exceptions=True)
                failed = [r for r in results if isinstance(r, Exception)]
                ks = kernels(proc.pid)
                mem = rss_mb([proc.pid, *tree(proc.pid)])
                print(f"\n{n} trainee(s) at once, {len(real)} in Chromium ({before} before, {load()} after); "
                      f"{len(failed)} failed")
                for e in failed[:3]:
                    print(f"  failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
                print(f"  floor    p50 {statistics.median(fl):5.2f} s   (a page with no kernel, same browser)")
                groups = [("all", outs)] if len(real) == n else [("all", outs), ("chromium", real), ("server", outs[1:])]
                for what in ("ws", "drawn", "move", "to_exercise", "check"):
                    for label_, group in groups:
                        vals = [o[what] for o in group if what in o]
                        if vals and not (what == "ws" and label_ != "chromium" and len(groups) > 1):
                            print(f"  {what:11} {label_:8} p50 {pct(vals, 50):5.2f} s   p95 {pct(vals, 95):5.2f} s   "
                                  f"max {max(vals):5.2f} s   (n={len(vals)})")
                share = [o["drawn"] - o["ws"] for o in outs if "drawn" in o and "ws" in o]
                if share:
                    print(f"  kit      p50 {pct(share, 50):5.2f} s   p95 {pct(share, 95):5.2f} s   "
                          "(drawn - ws: the kernel's part of the wait, beyond Voila's own scripts)")
                print(f"  memory   {mem:.0f} MB (PSS): server, {len(ks)} kernels and their launchers ({mem / max(len(ks), 1):.0f} MB a kernel)")
                for o in outs:  # leaving the page is what fires its kernel shutdown call, as closing a tab does
                    if "client" in o:
                        await o["client"].close()
                    if "page" in o:
                        await o["page"].goto("about:blank")
                        await (o["ctx"] or o["page"]).close()
                await asyncio.sleep(args.linger)
                # The trainees took n of the pool's kernels; those of them still running were not shut down.
                left = len(pool_before & set(kernels(proc.pid))) - (len(pool_before) - n)
                print(f"  {args.linger:.0f} s after the tabs closed: {max(left, 0)} trainee kernel(s) left")
                wait_quiet(proc.pid, args.room)  # the room ready again (kernels preheated) before the next size
            await browser.close()
    finally:
        stop_app(proc)
    print(f"\nmachine: {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 20])
    parser.add_argument("--room", type=int, default=20, help="preheated kernels (make app --room)")
    parser.add_argument("--think", type=float, default=3,
                        help="seconds a trainee takes before each action (reading, typing a name)")
    parser.add_argument("--browsers", action="store_true",
                        help="every trainee in Chromium on this machine (default: one, the others seen from the server)")
    parser.add_argument("--linger", type=float, default=10, help="seconds to wait after closing the tabs")
    parser.add_argument("--shared-cache", action="store_true",
                        help="trainees share one browser profile with Voila's scripts cached (the server's share "
                             "of the wait, without this machine compiling the scripts once per trainee)")
    # Stopped from outside (a time limit): still stop the server it started (the `finally` in run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
