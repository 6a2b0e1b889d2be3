"""Kernels that start warm: forked from one process that has already imported what pages and lessons use.

A Jupyter kernel is a new Python process that imports IPython, ipykernel, numpy, pandas,
pydantic, ipywidgets, matplotlib... again each time: about a second of CPU before its first cell,
and its own copy of them in memory. Here one process (the "zygote") imports them once and forks
a kernel for each request: the kernel starts at once and shares those modules' memory with the
others (copy on write).

    python -m refundkit.warm_kernel serve SOCKET [--owner PID]   # the zygote
    python -m refundkit.warm_kernel -f CONNECTION_FILE            # a kernel (a kernel spec's argv)

The kernel command asks the zygote at $REFUNDKIT_WARM_KERNELS for a kernel and stays as its
stand-in for the kernel manager: it passes on the signals it gets (interrupt, terminate) and exits
with the kernel's exit code; the kernel exits if its stand-in is killed. Without a zygote (variable
unset, socket gone, another interpreter, a PYTHONPATH that would shadow a preloaded module) it
becomes an ordinary ipykernel (exec), so it is never worse than a plain kernel. REFUNDKIT_WARM_KERNELS=0 turns warm kernels off.

The zygote imports the kit's page and lesson modules too, and reads the SOP, question file and
scenario bank in use once (the kit decides nothing from the environment at import, and those reads
are cached by the files' state, so a kernel with another REFUNDKIT_SOP, or after an edit, reads its
own). A kernel gets the kit afresh, dropped from its modules and imported again, when a file of it
changed since the zygote imported it, when it is asked for under another PYTHONPATH (a clone under
review runs its own kit, from there), and when it records its reads (refundkit.review.reads hooks
the kit as it is imported).
Bottom layer: imports nothing of the kit at its top (the zygote imports the kit by its modules' names,
kernel_spec the socket provisioner's metadata), so a clone's launcher runs on this file alone.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import sys

from .processes import alive

ENV = "REFUNDKIT_WARM_KERNELS"
INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets when MPLBACKEND is unset
# Imported once by the zygote (third-party only; a missing one is skipped). Not pyplot nor the inline
# backend: importing them hooks them into the running kernel (the figure display), so each kernel imports
# them itself. ipywidgets registers its comm targets with the kernel at import: a kernel forked with it
# preloaded registers them as it starts (`--ext=ipywidgets`, ipywidgets' own IPython extension). What a
# module decides at import from where it runs is set again in the kernel (`_as_in_a_kernel`).
# ipykernel.debugger (debugpy) is what every kernel imports when it starts (about a second of CPU); pydantic
# builds its models and SQLAlchemy opens SQLite through modules imported lazily, at first use.
PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.comm", "ipykernel.debugger",
           "jupyter_client.session", "psutil",
           "numpy", "pandas", "pandas.api.types", "pydantic", "pydantic.main", "pydantic.types",
           "pydantic.functional_validators", "pydantic.json_schema", "pydantic._internal._generate_schema",
           "yaml", "sqlite3", "sqlalchemy", "sqlalchemy.pool", "sqlalchemy.dialects.sqlite", "tornado.web",
           "matplotlib", "matplotlib.figure", "matplotlib.font_manager", "matplotlib.backends.backend_agg",
           "matplotlib.style", "matplotlib.ticker", "ipywidgets")
# What every page of the app imports under Voilà to wait for its trainee's request (voila.utils brings
# jupyter_server and jupyterlab_server: about a second of CPU per page's kernel). Preloaded by the
# zygotes that serve pages (`make app`, the hub's), not by those of notebooks, whose kernels never
# import it (`sop impact` and `make refresh` wait for their zygote).
PAGE_PRELOAD = ("voila.utils",)
# The kit's modules that the app's pages and the lessons import (with what they import), and its
# cached reads of the files in use, as "module:function".
KIT_PRELOAD = ("refundkit.app.pages", "refundkit.app.trainer", "refundkit.lessons", "refundkit.workshop",
               "refundkit.exercises.solutions", "refundkit.triage")
KIT_WARM_UPS = ("refundkit.exercises.bank:default_bank", "refundkit.lessons:bank")
READS_ENV = "REFUNDKIT_READS_OUT"  # set for a kernel whose reads are recorded (refundkit.review.reads)
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
_LEN = struct.Struct("!I")


# -- the kernel command ---------------------------------------------------------------------

def _plain(argv: list[str]) -> None:
    """Become an ordinary ipykernel (this process's place, pid and all)."""
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


def launch(argv: list[str]) -> int:
    path = os.environ.get(ENV)
    if not path or path == "0":
        _plain(argv)
    env = {k: v for k, v in os.environ.items() if k != ENV}
    request = json.dumps({"argv": argv, "env": env, "cwd": os.getcwd(), "parent": os.getpid(),
                          "exe": sys.executable}).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        socket.send_fds(sock, [_LEN.pack(len(request)) + request], [0, 1, 2])
        reader = sock.makefile("r", encoding="utf-8")
        first = reader.readline().split()
    except OSError:
        first = []
    if len(first) != 2 or first[0] != "pid":
        sock.close()
        _plain(argv)  # refused (another interpreter or path) or no zygote: a plain kernel
    pid = int(first[1])

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    while True:
        try:
            line = reader.readline()
            break
        except InterruptedError:  # a forwarded signal woke the read
            continue
    parts = line.split()
    if len(parts) == 2 and parts[0] == "exit":
        code = int(parts[1])
        return 128 - code if code < 0 else code
    try:  # the zygote went away: the kernel must not outlive its stand-in's answer
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return 1


# -- the zygote ----------------------------------------------------------------------------

def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(data) < _LEN.size:
        raise OSError("short request")
    size = _LEN.unpack_from(data)[0]
    body = data[_LEN.size:]
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise OSError("short request")
        body += more
    return json.loads(body), list(fds)


KIT = (__package__ or __name__).partition(".")[0]  # "refundkit", also when run with -m


def _entries(pythonpath: str) -> list[str]:
    return [os.path.abspath(p) for p in pythonpath.split(os.pathsep) if p]


def _path_serves(pythonpath: str, ours: str) -> bool:
    """Can a kernel forked from here run under `pythonpath`? Yes unless a folder it adds holds a module
    this process has imported (the kernel would use the preloaded one, not that folder's); the kit's
    package is the exception: the kernel drops it (`_use_path`)."""
    if pythonpath == ours:
        return True
    loaded = {name.partition(".")[0] for name in sys.modules} - {KIT}
    for entry in set(_entries(pythonpath)) - set(_entries(ours)):
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        if any(n.partition(".")[0] in loaded for n in names):  # pkg/, mod.py, mod.cpython-311-....so
            return False
    return True


def _use_path(pythonpath: str, ours: str) -> None:
    """In the forked kernel: the PYTHONPATH it was asked for in place of ours, the kit imported from there."""
    if pythonpath == ours:
        return
    old = set(_entries(ours))
    sys.path[:] = [*_entries(pythonpath), *(p for p in sys.path if os.path.abspath(p) not in old)]
    _drop_kit()


def _drop_kit() -> None:
    """The kit's modules forgotten: the kernel imports them afresh (from its own path, as they are now)."""
    import importlib

    for name in [n for n in sys.modules if n == KIT or n.startswith(KIT + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def kit_files() -> dict[str, tuple[int, int] | None]:
    """The state (modification time, size) of every file of the kit this process has imported."""
    state = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) if name == KIT or name.startswith(KIT + ".") else None
        if path:
            try:
                st = os.stat(path)
                state[path] = (st.st_mtime_ns, st.st_size)
            except OSError:
                state[path] = None
    return state


def _warm_kit() -> None:
    """The kit's modules imported, and the files in use read into its caches (KIT_PRELOAD, KIT_WARM_UPS)."""
    import importlib

    for name in KIT_PRELOAD:
        importlib.import_module(name)
    for target in KIT_WARM_UPS:
        module, _, function = target.partition(":")
        getattr(importlib.import_module(module), function)()


def _child(req: dict, fds: list[int], parent_cwd_on_path: bool, pythonpath: str, kit: dict) -> None:
    """In the forked kernel: take the stand-in's stdio, environment and folder, then run ipykernel."""
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.setsid()  # its own session: the zygote's owner stopping the zygote does not stop kernels
    os.environ.clear()
    os.environ.update(req["env"])
    os.chdir(req["cwd"])
    if parent_cwd_on_path:  # as ipykernel_launcher does: no current folder on the path while loading
        del sys.path[0]
    if req["env"].get("PYTHONPATH", "") != pythonpath:
        _use_path(req["env"].get("PYTHONPATH", ""), pythonpath)  # the kit from there
    elif req["env"].get(READS_ENV) or kit_files() != kit:  # its reads recorded, or the kit edited since
        _drop_kit()
    _as_in_a_kernel()
    _watch(int(req["parent"]))
    # The class read JPY_PARENT_PID when the zygote imported it: say it here. With it the kernel is quiet
    # about Ctrl-C on its stdout and exits if the zygote (its parent process now) goes away.
    argv = [*req["argv"], f"--IPKernelApp.parent_handle={int(req['parent'])}"]
    if "ipywidgets" in sys.modules:  # preloaded: its comm targets, as its import does in a kernel
        argv.append("--ext=ipywidgets")
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=argv)


def _as_in_a_kernel() -> None:
    """Settings the preloaded modules chose for a process that was not a kernel, as a kernel gets them."""
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:  # read from MPLBACKEND at import; ipykernel sets the inline one when unset
        mpl.rcParams["backend"] = os.environ.get("MPLBACKEND") or INLINE
    if "pandas" in sys.modules:  # pandas fits tables to a terminal's width, but shows 20 columns in a kernel
        from pandas._config import config as cf

        opt = cf._registered_options.get("display.max_columns")
        if opt is not None:
            cf._registered_options["display.max_columns"] = opt._replace(defval=20)
        cf.set_option("display.max_columns", 20)


def _watch(pid: int) -> None:
    """The kernel goes when its stand-in goes (killed with no chance to pass a signal on)."""
    import threading

    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return

    def wait() -> None:
        select.select([pidfd], [], [])
        os._exit(1)

    threading.Thread(target=wait, name="stand-in watch", daemon=True).start()


def serve(path: str, owner: int | None = None, idle_s: float = 3600, extra: tuple[str, ...] = ()) -> None:
    os.environ.setdefault("MPLBACKEND", INLINE)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no BLAS threads in a process that forks
    # debugpy warns at import about frozen modules; said once here it would only be noise in the room's
    # terminal (each kernel gets the environment it asked for, not this one).
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    cwd_on_path = bool(sys.path) and sys.path[0] in ("", os.getcwd())
    pythonpath = os.environ.get("PYTHONPATH", "")

    listener = listen(path)  # before the imports: whoever started this zygote goes on at once, and a kernel
    # asked for meanwhile waits in the backlog until they are done
    preload((*PRELOAD, *extra), _find_pydantic_plugins, _warm_kit)
    kit = kit_files()
    wake_r, wake_w = wake_on_signals()
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    waiting: dict[int, socket.socket] = {}
    import time

    last = time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([listener, wake_r], [], [], 1.0)
            if wake_r in ready:
                drain(wake_r)
            while waiting:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn = waiting.pop(pid, None)
                if conn is not None:
                    try:
                        conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                    except OSError:
                        pass
                    conn.close()
                last = time.monotonic()
            if listener in ready:
                conn, _ = listener.accept()
                try:
                    req, fds = _read_request(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                if req.get("exe") != sys.executable or not _path_serves(req.get("env", {}).get("PYTHONPATH", ""),
                                                                        pythonpath):
                    with contextlib.suppress(OSError):  # the stand-in may be gone already
                        conn.sendall(b"no other-interpreter-or-path\n")
                    conn.close()
                    for fd in fds:
                        os.close(fd)
                    continue
                pid = fork(lambda: _child(req, fds, cwd_on_path, pythonpath, kit),
                           closing=(listener, wake_r, wake_w, conn, *waiting.values()))
                for fd in fds:
                    os.close(fd)
                waiting[pid] = conn
                try:
                    conn.sendall(f"pid {pid}\n".encode())
                except OSError:  # the stand-in went away meanwhile (killed as it started): its kernel goes
                    # too, and this process, which serves every other kernel, stays
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                last = time.monotonic()
            if owner is not None and not alive(owner):
                break
            if not waiting and time.monotonic() - last > idle_s:
                break
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


# -- what a zygote is made of (also the hub's server zygote, refundkit.hub.warm_servers) ----------

def listen(path: str) -> socket.socket:
    """A Unix socket listening at `path`, for this user only (a request carries an environment)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    return listener


def preload(names, *warm_ups) -> None:
    """Import `names` (a missing or broken one is skipped: forks are only less warm), run `warm_ups`,
    then set it all aside from the collector, so the forks share those pages instead of copying them.
    The warning filters are kept as they were: a module that changes them at import (voila shows
    traitlets' deprecations) would otherwise change them in every kernel."""
    import gc
    import importlib
    import warnings

    with warnings.catch_warnings():  # restores the filters on the way out
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - only less warm
                pass
    for warm_up in warm_ups:
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - only less warm
            pass
    gc.collect()
    gc.freeze()


def _find_pydantic_plugins() -> None:
    """pydantic looks for plugins (every installed package's entry points) at its first model: once here."""
    from pydantic.plugin._loader import get_plugins

    get_plugins()


def wake_on_signals() -> tuple[socket.socket, socket.socket]:
    """(reader, writer): the reader becomes readable when a signal arrives (a child exited...), for
    select(); `drain` it. A fork closes both."""
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    return wake_r, wake_w


def drain(wake_r: socket.socket) -> None:
    try:
        while wake_r.recv(512):
            pass
    except BlockingIOError:
        pass


def fork(run, closing=()) -> int:
    """Fork; the child puts the signals this process handles back to their defaults, closes `closing`
    (the zygote's sockets) and exits with what `run()` returns (None: 0), or with 1 and the traceback on
    its stderr if it raised. Returns the child's pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        for s in closing:
            s.close()
        code = run() or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - said on the child's stderr (a kernel's, a server's: the hub's log)
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def start_zygote(sock: str | os.PathLike, timeout: float = 30, command: tuple[str, ...] = ("refundkit.warm_kernel", "serve"),
                 preload: tuple[str, ...] = ()):
    """Start a zygote (`python -m COMMAND SOCK --owner PID`, and `--preload NAME` for each module of
    `preload`) on `sock`, owned by this process (it stops when this process is gone); returns it once it
    listens, or None if it could not start (kernels or servers then start plain)."""
    import subprocess
    import time

    more = [arg for name in preload for arg in ("--preload", name)]
    proc = subprocess.Popen([sys.executable, "-m", *command, os.fspath(sock), "--owner", str(os.getpid()), *more],
                            stdin=subprocess.DEVNULL)
    end = time.monotonic() + timeout
    while not os.path.exists(sock) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.02)
    if os.path.exists(sock):
        return proc
    stop_zygote(proc)
    return None


def stop_zygote(proc) -> None:
    import subprocess

    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def zygote(folder: str | None = None, preload: tuple[str, ...] = ()):
    """A zygote for this process's kernels while the block runs (importing `preload` too): yields the
    environment to give them (with $REFUNDKIT_WARM_KERNELS), or the plain environment when it is off or
    could not start. A zygote already named in $REFUNDKIT_WARM_KERNELS (a test run's) is used as it is."""
    import tempfile

    given = os.environ.get(ENV)
    if given == "0" or (given and os.path.exists(given)):  # turned off (plain kernels), or one serves already
        yield dict(os.environ)
        return
    with tempfile.TemporaryDirectory(prefix="refundkit-warm-", dir=folder) as tmp:
        sock = os.path.join(tmp, "kernels.sock")
        proc = start_zygote(sock, preload=preload)
        try:
            yield dict(os.environ, **({ENV: sock} if proc else {}))
        finally:
            stop_zygote(proc)


def kernel_spec(*extra: str):
    """The kernel spec of this interpreter's kernel through the warm launcher, on Unix sockets
    (refundkit.kernel_sockets); `extra` goes to the kernel's command line."""
    from jupyter_client.kernelspec import KernelSpec

    from refundkit.kernel_sockets import KERNEL_METADATA

    return KernelSpec(argv=[sys.executable, "-m", "refundkit.warm_kernel", "-f", "{connection_file}", *extra],
                      language="python", display_name="Python 3 (ipykernel)", env={}, metadata=KERNEL_METADATA)


def kernel_manager():
    """A jupyter_client KernelManager for kernel_spec()."""
    from jupyter_client import KernelManager

    km = KernelManager()
    km._kernel_spec = kernel_spec()
    return km


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        import argparse

        p = argparse.ArgumentParser(prog="python -m refundkit.warm_kernel serve")
        p.add_argument("socket")
        p.add_argument("--owner", type=int, help="stop when this process is gone")
        p.add_argument("--idle", type=float, default=3600, help="stop after this many seconds without a kernel")
        p.add_argument("--preload", action="append", default=[], metavar="MODULE", help="a module more to import once")
        a = p.parse_args(argv[1:])
        serve(a.socket, a.owner, a.idle, tuple(a.preload))
        return 0
    return launch(argv)


if __name__ == "__main__":
    sys.exit(main())
