"""Trainees' servers that start warm: forked from one process that has already imported the server.

A single-user server is a new Python process that imports JupyterHub's single-user code (which
pulls in the hub's database layer), Jupyter Server and Voila: about 2-3 seconds of CPU before it
serves anything, three quarters of its start, and a room logs in at once. Here one process (the
"zygote", started by the launcher) imports them once and forks a server for each login; the server
shares those modules' memory with the others (copy on write).

    python -m refundkit.hub.warm_servers SOCKET --owner PID   # the zygote (the launcher starts it)

`jupyterhub_config.py` uses `WarmSpawner` (SimpleLocalProcessSpawner whose `start` asks the zygote
at $REFUNDKIT_HUB_SERVERS for the process); the hub then watches and stops the server by its pid as
it would a process it started. Without a zygote (not started, socket gone) the server starts plain.
Only modules are imported here, never an event loop or a server: the fork has nothing running to
inherit. The environment, folder and arguments are the hub's for that login, set in the fork.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

from ..processes import alive
from ..warm_kernel import drain, fork, listen, preload, wake_on_signals
from ..warm_kernel import start_zygote as start_kernel_zygote

ENV = "REFUNDKIT_HUB_SERVERS"
# What a single-user server imports before it serves (third-party only; a missing one is skipped).
PRELOAD = ("jupyterhub.singleuser", "jupyterhub.singleuser.extension", "jupyter_server.serverapp",
           "jupyter_server.services.kernels.connection.channels", "voila.server_extension",
           "voila.tornado.handler", "nbconvert", "nbformat", "jinja2", "jupyter_client")


def fork_server(sock: str, args: list[str], env: dict[str, str], cwd: str, timeout: float = 30) -> int:
    """Ask the zygote at `sock` for a single-user server with these arguments, environment and
    folder; returns its pid. Raises OSError when there is no zygote to ask."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock)
        s.sendall(json.dumps({"args": args, "env": env, "cwd": cwd}).encode())
        s.shutdown(socket.SHUT_WR)
        answer = s.makefile("r", encoding="utf-8").readline().split()
    if len(answer) != 2 or answer[0] != "pid":
        raise OSError(f"the server zygote at {sock} answered {answer!r}")
    return int(answer[1])


def _server(req: dict) -> int:
    """In the fork: become the login's single-user server (as `python -m jupyterhub.singleuser ARGS`)."""
    os.setsid()  # its own session, as JupyterHub's Popen gives it: the hub's signals are not forwarded
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the hub stops a server with SIGINT first
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(req["env"])
    os.makedirs(req["cwd"], 0o755, exist_ok=True)
    os.chdir(req["cwd"])
    sys.path[0] = os.getcwd()  # what `python -m` puts first
    sys.argv = ["jupyterhub-singleuser", *req["args"]]
    from jupyterhub.singleuser import main

    return main() or 0


def serve(path: str, owner: int | None = None) -> None:
    # Ctrl+C in the launcher's terminal reaches this process too: the launcher stops the hub, the hub
    # stops the servers, and this process stays to collect them (it goes once the launcher is gone).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = listen(path)  # before the imports: the launcher goes on at once; a login meanwhile waits
    # in the backlog (the request carries the server's API token: this user only)
    preload(PRELOAD)
    # So does a SIGTERM sent to the launcher's process group (until the servers are gone, a minute at
    # most once the launcher is gone).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    wake_r, wake_w = wake_on_signals()
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a server exited: collected at once
    children: set[int] = set()
    orphaned = None
    try:
        while True:
            if owner is not None and orphaned is None and not alive(owner):
                orphaned = time.monotonic()
            if orphaned is not None and (not children or time.monotonic() - orphaned > 60):
                break
            ready, _, _ = select.select([listener, wake_r], [], [], 1.0)
            if wake_r in ready:
                drain(wake_r)
            children -= _reap()
            if listener not in ready or orphaned is not None:
                continue
            conn, _ = listener.accept()
            try:
                conn.settimeout(10)
                req = json.loads(conn.makefile("rb").read())
            except (OSError, ValueError):
                conn.close()
                continue
            pid = fork(lambda: _server(req), closing=(listener, conn, wake_r, wake_w))
            children.add(pid)
            try:
                conn.sendall(f"pid {pid}\n".encode())
            except OSError:
                pass
            conn.close()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def _reap() -> set[int]:
    """Collect servers that have exited (the hub, which polls them by pid, then sees them gone)."""
    done = set()
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.add(pid)


def start_zygote(sock: str | os.PathLike, timeout: float = 30) -> subprocess.Popen | None:
    """Start the zygote on `sock`, owned by this process; returns it once it listens, or None if it
    could not start (servers then start plain)."""
    return start_kernel_zygote(sock, timeout, command=("refundkit.hub.warm_servers",))


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m refundkit.hub.warm_servers")
    p.add_argument("socket")
    p.add_argument("--owner", type=int, help="stop when this process is gone")
    a = p.parse_args(argv)
    serve(a.socket, a.owner)
    return 0


if __name__ == "__main__":
    sys.exit(main())
