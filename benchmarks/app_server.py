"""The app's server for the benchmarks, started as `make app` starts it (`python -m refundkit.app`).

`start_app` picks a free loopback port, starts the server in its own session and waits until it
answers; `stop_app` stops it (its kernels go with it).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from refundkit.ports import free_port


def start_app(extra: list[str], *, env: dict[str, str] | None = None, cwd=None, log=None,
              ready: str = "/") -> tuple[subprocess.Popen, str]:
    """(the server process, its base address) once `ready` answers; SystemExit if the app exits first."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = log if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "refundkit.app", f"--port={port}", "--no-browser", *extra],
                            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT if log is not None else out,
                            start_new_session=True)
    while True:
        try:
            urllib.request.urlopen(base + ready, timeout=10)
            return proc, base
        except OSError:
            if proc.poll() is not None:
                stop_app(proc)
                raise SystemExit(f"the app exited with {proc.returncode}" + (f"; see {log.name}" if log else ""))
            time.sleep(0.1)


def stop_app(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
