"""What the browser tests cost: CPU by process kind (Chromium, Playwright, the app server, kernels,
JupyterLab, pytest) and wall time of `pytest tests/browser` in one process, beside a floor measured
in the same run: the app server started and its page drawn once in Chromium (the least a browser
test of the app costs).

    .venv/bin/python benchmarks/browser_tests.py [pytest args]

The CPU of every process the run starts is read from /proc every half second (a process is
counted from the sample that first sees it; one that lives less than that is missed). Figures,
not asserts; the load average (os.getloadavg) before and after: other work on the machine
slows the run but is not counted.
"""
from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HZ = os.sysconf("SC_CLK_TCK")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def kind(cmd: str) -> str:
    if "chromium" in cmd:
        m = re.search(r"--type=([a-z-]+)", cmd)
        return "chromium " + (m.group(1) if m else "browser")
    if "playwright" in cmd and "node" in cmd:
        return "playwright (node)"
    if "warm_kernel" in cmd or "ipykernel" in cmd:
        return "kernels"
    if "refundkit.app" in cmd:
        return "app server (Voila)"
    if "jupyterlab" in cmd:
        return "JupyterLab server"
    if "pytest" in cmd or "browser_tests" in cmd:
        return "pytest"
    return "other"


def processes() -> dict[int, tuple[int, float]]:
    """Every process now: pid -> (parent pid, CPU seconds so far)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            st = open(f"/proc/{pid}/stat").read()
            rest = st[st.rindex(")") + 2:].split()
            out[int(pid)] = (int(rest[1]), (int(rest[11]) + int(rest[12])) / HZ)
        except (OSError, ValueError):
            pass
    return out


class TreeCPU(threading.Thread):
    """CPU seconds of a process and everything it starts, by kind (sampled)."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.seen, self.done = root, {}, threading.Event()

    def sample(self) -> None:
        table = processes()
        parent = {pid: ppid for pid, (ppid, _) in table.items()}
        cpu = {pid: t for pid, (_, t) in table.items()}
        mine, grew = {self.root} | set(self.seen), True
        while grew:
            grew = False
            for pid, ppid in parent.items():
                if pid not in mine and ppid in mine:
                    mine.add(pid)
                    grew = True
        for pid in mine & cpu.keys():
            if pid not in self.seen or self.seen[pid][0] == "other":  # /usr/bin/chromium is a script first
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                self.seen[pid] = [kind(cmd), 0.0]
            self.seen[pid][1] = max(self.seen[pid][1], cpu[pid])

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(0.5)

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.join()
        self.sample()
        by = collections.Counter()
        for k, t in self.seen.values():
            by[k] += t
        return dict(by)


def floor() -> tuple[float, float]:
    """CPU and wall of the app server started and its page drawn once in Chromium, as the tests do it."""
    code = f"""
import sys, tempfile
from pathlib import Path
sys.path[:0] = [{str(REPO / 'tests' / 'browser')!r}, {str(REPO / 'tests')!r}]
import conftest as C
from chromium_launch import launch_chromium
from playwright.sync_api import sync_playwright
server = C.wait_ready(C.launch_voila(Path(tempfile.mkdtemp())))
try:
    with sync_playwright() as pw:
        b = launch_chromium(pw, Path(tempfile.mkdtemp()))
        page = b.new_context(viewport={{"width": 1280, "height": 900}}, locale="zh-CN").new_page()
        C.App(page, server).open("")
        C.leave(page)
        b.close()
finally:
    C.stop_server(server)
"""
    return measure([sys.executable, "-c", code])[:2]


def measure(argv: list[str]) -> tuple[float, float, dict[str, float], int]:
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    tree = TreeCPU(proc.pid)
    tree.start()
    out = proc.communicate()[0]
    wall = time.monotonic() - t0
    by = tree.stop()
    if proc.returncode:
        print(out[-3000:])
    return sum(by.values()), wall, by, proc.returncode


def main() -> int:
    print(f"before: {load()}")
    f_cpu, f_wall = floor()
    print(f"floor (app server started, its page drawn once in Chromium): {f_cpu:.1f} s CPU, {f_wall:.1f} s wall")
    argv = [sys.executable, "-m", "pytest", "tests/browser", "-q", "-n0", "-p", "no:cacheprovider",
            "-o", "addopts=-p no:cacheprovider", *sys.argv[1:]]
    cpu, wall, by, rc = measure(argv)
    print(f"tests/browser: {cpu:.1f} s CPU ({cpu / f_cpu:.1f}x the floor), {wall:.1f} s wall, "
          f"{'passed' if rc == 0 else f'FAILED (exit {rc})'}")
    for k, t in sorted(by.items(), key=lambda kv: -kv[1]):
        if t >= 0.1:
            print(f"  {k:24s} {t:6.1f} s")
    print(f"after: {load()}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
