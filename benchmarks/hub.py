"""What a room behind logins costs: hub start, login to app, memory per trainee server.

    python benchmarks/hub.py [TRAINEES]        (default 3; needs what `make hub` installs, and Chromium)

Starts PostgreSQL (OS packages, temporary folder) and JupyterHub exactly as `make hub` does
(python -m refundkit.hub), then logs TRAINEES trainees in through Chromium one after the other
and prints:
- hub start: from the launcher's start to the login page answering (floor: the login page's
  own round trip once up);
- login to app, per trainee: from the login click to the trainee app drawn in their own
  server (floor: the same app page again, the server already running: what the spawn adds);
- memory per trainee server: the single-user server and its kernels, RSS and USS (the part
  no other process shares), with the app open (floor: the hub and the proxy themselves);
and the machine's load average. Records per second on PostgreSQL: benchmarks/progress_store.py.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROXY = REPO / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM = os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "bench-room-pass"


def tree_memory(proc) -> tuple[int, int]:
    """RSS and USS in bytes of a process and all its children."""
    rss = uss = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            info = p.memory_full_info()
        except Exception:  # noqa: BLE001 - a kernel may go away while we look
            continue
        rss, uss = rss + info.rss, uss + info.uss
    return rss, uss


def servers() -> dict[str, object]:
    """The running single-user servers, by the user they serve."""
    import psutil

    out = {}
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        try:
            if "jupyterhub.singleuser" in cmd:
                out[p.environ().get("JUPYTERHUB_USER", "?")] = p
            elif "refundkit.hub.warm_servers" in cmd and "warm_servers" in " ".join(
                    p.parent().cmdline() if p.parent() else []):
                # forked by the launcher's zygote (refundkit.hub.warm_servers): its cmdline and the
                # environment /proc shows are the zygote's; it runs in the user's home folder
                out[Path(p.cwd()).name] = p
        except psutil.Error:
            pass
    return out


def main(argv: list[str]) -> int:
    import psutil
    from playwright.sync_api import expect, sync_playwright

    from refundkit.hub.postgres import LocalPostgres
    from refundkit.ports import free_port
    from refundkit.sop import default_sop

    n = int(argv[0]) if argv else 3
    if not PROXY.exists():
        raise SystemExit(f"{PROXY}: run `make hub` once (it installs configurable-http-proxy)")
    title = default_sop().t("app_title", "zh")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    state = Path(tempfile.mkdtemp(prefix="refundkit-bench-hub-"))
    state.chmod(0o755)  # as root PostgreSQL runs as nobody, who must reach its folder inside
    pg = LocalPostgres(state / "pg").start()
    db = pg.create_database("bench")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    hub = subprocess.Popen([sys.executable, "-m", "refundkit.hub", f"--port={port}", f"--db={db}",
                            f"--password={PASSWORD}", f"--state={state / 'hub'}", f"--proxy={PROXY}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/hub/login", timeout=5):
                    break
            except OSError:
                if hub.poll() is not None or time.perf_counter() - t0 > 180:
                    raise SystemExit("the hub did not start")
                time.sleep(0.1)
        start_s = time.perf_counter() - t0
        t = time.perf_counter()
        urllib.request.urlopen(base + "/hub/login", timeout=5).read()
        login_rtt = time.perf_counter() - t
        print(f"hub start (launcher to login page): {start_s:.2f} s   (floor, login page round trip: "
              f"{login_rtt * 1000:.0f} ms)")

        spawn, again = [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for i in range(n):
                name = f"trainee{i + 1:02d}"
                page = browser.new_context().new_page()
                page.goto(base + "/hub/login")
                page.fill("#username_input", name)
                page.fill("#password_input", PASSWORD)
                t = time.perf_counter()
                page.click("#login_submit")
                page.wait_for_url(re.compile(r"/voila/render/"), timeout=180_000)
                expect(page.locator(".rk-app-title")).to_have_text(title, timeout=180_000)
                spawn.append(time.perf_counter() - t)
                t = time.perf_counter()
                page.reload()
                expect(page.locator(".rk-app-title")).to_have_text(title, timeout=180_000)
                again.append(time.perf_counter() - t)
                print(f"  {name}: login to app {spawn[-1]:.2f} s   (floor, app page again: {again[-1]:.2f} s)")
            time.sleep(2)
            mem = [tree_memory(p) for user, p in servers().items() if user.startswith("trainee")]
            hub_proc = psutil.Process(hub.pid)
            hub_rss, hub_uss = tree_memory(hub_proc)
            for _, p in servers().items():  # the hub's tree holds the servers too: take them out
                r, u = tree_memory(p)
                hub_rss, hub_uss = hub_rss - r, hub_uss - u
            browser.close()
        mib = 1 << 20
        print(f"login to app: median {statistics.median(spawn):.2f} s over {n} trainees")
        if mem:
            print(f"memory per trainee server (server + kernels, app open): RSS {statistics.mean(m[0] for m in mem) / mib:.0f} MiB, "
                  f"USS {statistics.mean(m[1] for m in mem) / mib:.0f} MiB   "
                  f"(floor, hub + proxy + launcher: RSS {hub_rss / mib:.0f} MiB, USS {hub_uss / mib:.0f} MiB)")
    finally:
        try:
            os.killpg(hub.pid, signal.SIGTERM)
            hub.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(hub.pid, signal.SIGKILL)
        pg.stop()
        shutil.rmtree(state, ignore_errors=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
