"""Warm kernels (refundkit.warm_kernel): a kernel forked from the zygote behaves as a plain ipykernel.

The tests use the test run's zygote (conftest.py at the top of the checkout starts one) or, without
one, their own on a socket in tmp_path, and start kernels through jupyter_client with the warm launcher
as the kernel command, as nbval (and Voila) start them.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import shutil
import time
from pathlib import Path

import pytest
from jupyter_client import KernelManager

from refundkit import processes, warm_kernel
from refundkit.warm_kernel import ENV, PAGE_PRELOAD, READS_ENV, start_zygote, stop_zygote

REPO = Path(__file__).resolve().parent.parent



def listener_pid(sock) -> int:
    """The process listening on a Unix socket, as the kernel reports it (SO_PEERCRED)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(sock))
        pid, _uid, _gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return pid


@pytest.fixture(scope="module")
def zygote_sock(tmp_path_factory):
    given = os.environ.get(ENV, "")
    if given not in ("", "0") and os.path.exists(given):  # the test run's (starting one costs seconds of CPU)
        yield given
        return
    sock = tmp_path_factory.mktemp("warm") / "k.sock"
    proc = start_zygote(sock, timeout=60, preload=PAGE_PRELOAD)  # as the test run's (conftest.py)
    assert proc is not None, "the zygote did not start"
    yield str(sock)
    stop_zygote(proc)


@pytest.fixture
def zygote(zygote_sock, monkeypatch):
    """The zygote's process id, with its socket named in the environment."""
    monkeypatch.setenv(ENV, zygote_sock)
    return listener_pid(zygote_sock)


def start(cwd, env: dict[str, str] | None = None):
    km = KernelManager()
    km._kernel_spec = warm_kernel.kernel_spec()
    km.start_kernel(cwd=str(cwd), env={**os.environ, **(env or {})})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def run(kc, code: str, timeout: float = 60) -> tuple[str, dict]:
    out: list[str] = []
    reply = kc.execute_interactive(code, timeout=timeout,
                                   output_hook=lambda m: out.append(m["content"].get("text", "")))
    return "".join(out), reply["content"]


def stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_a_warm_kernel_is_forked_and_runs_as_a_plain_one(zygote, tmp_path):
    km, kc = start(tmp_path, {"REFUNDKIT_SOP": str(tmp_path / "x.yaml"), "MPLBACKEND": ""})
    try:
        out, reply = run(kc, "import os, sys, pandas, matplotlib\n"
                             "print(os.getppid(), os.getcwd(), os.environ['REFUNDKIT_SOP'])\n"
                             "print(pandas.get_option('display.max_columns'), matplotlib.get_backend())\n"
                             "print(sys.path[0] != os.getcwd() or sys.path[0] == '')")
        assert reply["status"] == "ok", reply
        ppid, cwd, sop, max_cols, backend, path_ok = out.split()
        assert int(ppid) == zygote  # forked, not a new interpreter
        assert cwd == str(tmp_path) and sop == str(tmp_path / "x.yaml")  # the kernel's own folder and environment
        assert max_cols == "20" and backend == "module://matplotlib_inline.backend_inline"  # as in a plain kernel
        assert path_ok == "True"
        # What the app's pages import under Voila is loaded already, without the filter voila sets at
        # import (traitlets' deprecations shown): a kernel warns as a plain one does.
        out, reply = run(kc, "import sys, warnings\nprint('voila.utils' in sys.modules, "
                             "any(getattr(f[3], 'pattern', None) == 'traitlets' for f in warnings.filters))")
        assert reply["status"] == "ok" and out.split() == ["True", "False"], out
        # A figure is shown inline; widgets open their comms (they are imported in the kernel itself).
        out, reply = run(kc, "import matplotlib.pyplot as plt, ipywidgets as w\nplt.plot([1, 2]); plt.show()\n"
                             "s = w.IntSlider(); print(s.comm is not None)\n"
                             "print('jupyter.widget' in get_ipython().kernel.comm_manager.targets)")
        assert reply["status"] == "ok" and out.split() == ["True", "True"]  # and a page's widgets reach it
        # An interrupt reaches the kernel through its stand-in.
        sleeping = kc.execute("import time; time.sleep(30)")
        while not (m := kc.get_iopub_msg(timeout=20))["msg_type"] == "execute_input" \
                or m["parent_header"].get("msg_id") != sleeping:
            pass
        time.sleep(0.2)  # the cell has begun: into its sleep
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)["content"]
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    finally:
        stop(km, kc)


def test_the_kernel_goes_with_its_stand_in(zygote, tmp_path):
    km, kc = start(tmp_path)
    out, _ = run(kc, "import os; print(os.getpid())")
    pid = int(out)
    kc.stop_channels()
    km.provisioner.process.kill()  # the stand-in killed: no chance to pass anything on
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the forked kernel outlived its stand-in")
    km.cleanup_resources()


def test_another_pythonpath_runs_its_own_kit(zygote, tmp_path):
    """A clone under review runs its own code: the kit from its PYTHONPATH, not the zygote's, in a
    forked kernel; a path that would shadow a module the zygote preloaded gets a plain kernel."""
    clone = tmp_path / "clone"
    (clone / "refundkit").mkdir(parents=True)
    (clone / "refundkit" / "__init__.py").write_text("WHERE = 'clone'\n")
    for launcher in (warm_kernel.__file__, processes.__file__):  # the clone's launcher starts its kernel
        shutil.copy(Path(launcher), clone / "refundkit")
    km, kc = start(tmp_path, {"PYTHONPATH": str(clone)})
    try:
        out, reply = run(kc, "import os, sys, refundkit, yaml\n"
                             "print(os.getppid(), refundkit.WHERE, refundkit.__file__, sys.path[0])")
        assert reply["status"] == "ok", reply
        ppid, where, init, first = out.split()
        assert int(ppid) == zygote and where == "clone"
        assert init == str(clone / "refundkit" / "__init__.py") and first == str(clone)
    finally:
        stop(km, kc)
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "yaml.py").write_text("WHERE = 'shadow'\n")
    km, kc = start(tmp_path, {"PYTHONPATH": str(shadow)})
    try:
        out, reply = run(kc, "import os, yaml; print(os.getppid(), yaml.WHERE)")
        assert reply["status"] == "ok", reply
        ppid, where = out.split()
        assert int(ppid) != zygote and where == "shadow"
    finally:
        stop(km, kc)


def test_without_a_zygote_the_launcher_is_a_plain_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "nobody-listens.sock"))
    km, kc = start(tmp_path)
    try:
        out, reply = run(kc, "import os; print(os.getpid())")
        assert reply["status"] == "ok" and int(out) == km.provisioner.process.pid  # the launcher became it
    finally:
        stop(km, kc)


def test_kernels_get_the_kit_preloaded_and_afresh_after_an_edit_or_to_record_their_reads(tmp_path, monkeypatch):
    """The zygote imports the kit's page and lesson modules and reads the SOP and scenario bank in use
    once; a kernel forked after the scenario file changed reads it again; one forked after a file of the
    kit changed, or one whose reads are recorded (`make refresh`), imports the kit afresh. On a copy of
    the kit and its data (edited below) with a zygote of its own."""
    root = tmp_path / "kit"
    shutil.copytree(REPO / "src" / "refundkit", root / "src" / "refundkit")
    shutil.copytree(REPO / "data", root / "data")
    (root / "pyproject.toml").write_text("")  # a checkout: the kit's files are its folders
    for name in ("sop", "exercises"):
        (root / name).symlink_to(REPO / name)
    monkeypatch.setenv("PYTHONPATH", str(root / "src"))
    sock = tmp_path / "k.sock"
    proc = start_zygote(sock, timeout=60)
    assert proc is not None, "the zygote did not start"
    monkeypatch.setenv(ENV, str(sock))
    probe = ("import json, os, sys\npreloaded = 'refundkit.lessons' in sys.modules\n"
             "from refundkit import lessons, sop, words\n"
             "print(json.dumps([os.getppid(), preloaded, sop._cached.cache_info().currsize, words.__file__,\n"
             "                  getattr(words, 'EDITED', 'no'), lessons.bank()['SC01'].title.en,\n"
             "                  'voila.utils' in sys.modules]))")

    def kernel(env: dict | None = None) -> list:
        km, kc = start(tmp_path, env)
        try:
            out, reply = run(kc, probe)
            assert reply["status"] == "ok", reply
            return json.loads(out)
        finally:
            stop(km, kc)

    try:
        words, scenarios = root / "src" / "refundkit" / "words.py", root / "data" / "scenarios.yaml"
        title = "Not shipped: the customer ordered by mistake"
        assert title in scenarios.read_text(encoding="utf-8")
        # Preloaded: the lesson modules are there before the first cell, and the SOP in use already read;
        # not what only the app's pages import (PAGE_PRELOAD: a zygote for notebooks starts sooner without).
        assert kernel() == [proc.pid, True, 1, str(words), "no", title, False]
        # A scenario edited: the kit stays preloaded, the scenario bank is read again.
        scenarios.write_text(scenarios.read_text(encoding="utf-8").replace(title, "Edited title", 1), encoding="utf-8")
        assert kernel() == [proc.pid, True, 1, str(words), "no", "Edited title", False]
        # Recording its reads: the kit afresh (the recorder hooks it as it is imported).
        assert kernel({READS_ENV: str(tmp_path / "reads.json")}) == [proc.pid, False, 0, str(words), "no", "Edited title", False]
        with open(words, "a", encoding="utf-8") as f:
            f.write("\nEDITED = 'yes'\n")
        # After an edit of the kit: still forked, the kit imported afresh, the edit in it.
        assert kernel() == [proc.pid, False, 0, str(words), "yes", "Edited title", False]
    finally:
        stop_zygote(proc)


def kernels_in(zygote: int, folder: Path) -> list[int]:
    """The live kernels the zygote forked that run in `folder` (a reaped or killed one has no folder left):
    the test run's zygote serves other workers' kernels at the same time, each in its own folder."""
    found = []
    for pid in Path(f"/proc/{zygote}/task/{zygote}/children").read_text().split():
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(folder):
                found.append(int(pid))
        except OSError:  # gone, or a zombie not yet reaped
            pass
    return found


def test_a_stand_in_gone_before_its_answer_leaves_the_zygote_serving(zygote, tmp_path):
    """A kernel manager may kill a kernel as it starts (a page closed at once): the zygote then writes its
    answer to a closed socket. It must go on serving every other kernel, and the kernel forked for the
    vanished stand-in must not live on without it."""
    gone = tmp_path / "gone"  # the vanished stand-in's folder: its kernel is told apart by it
    gone.mkdir()
    request = json.dumps({"argv": ["-f", str(gone / "none.json")], "env": dict(os.environ),
                          "cwd": str(gone), "parent": os.getpid(), "exe": sys.executable}).encode()
    with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(os.environ[ENV])
            socket.send_fds(s, [struct.pack("!I", len(request)) + request],
                            [null_in.fileno(), null_out.fileno(), null_out.fileno()])
        # closed before the answer: the zygote reads the request from the buffer, forks, answers into nothing
    # The next kernel asked for (served after that request) is still forked by the same zygote.
    km, kc = start(tmp_path)
    try:
        out, _ = run(kc, "import os; print(os.getpid(), os.getppid())")
        pid, ppid = out.split()
        assert int(ppid) == zygote, "the zygote died when a stand-in went away before its answer"
        assert kernels_in(zygote, tmp_path) == [int(pid)]  # what the check below sees of a live kernel
        end = time.monotonic() + 20
        while time.monotonic() < end and kernels_in(zygote, gone):
            time.sleep(0.1)
        assert kernels_in(zygote, gone) == [], "a kernel lives on without its stand-in"
    finally:
        stop(km, kc)


def socket_file(path: Path, listening: bool) -> socket.socket | None:
    """A Unix socket file at `path`: a kernel's that listens, or one left by a kernel that is gone."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    if listening:
        s.listen(1)
        return s
    s.close()
    return None


def left_folder(base: Path, name: str, age_s: float, listening: bool = False, sockets: bool = True):
    folder = base / name
    folder.mkdir()
    kept = socket_file(folder / "k-1", listening) if sockets else None
    os.utime(folder, (time.time() - age_s,) * 2)
    return folder, kept


def test_the_kits_kernels_listen_on_private_unix_sockets_not_tcp_ports(zygote, tmp_path, monkeypatch):
    """jupyter_client picks TCP ports the kernel binds a moment later, and on a busy machine another process
    can take one first: the kernel dies ("Address already in use"). The kit's kernel spec (the one the app,
    the Lab and the hub read) puts them on Unix sockets in a folder only its server may enter. A folder
    left by a kernel whose server was killed goes when the next kernel starts."""
    import tempfile

    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    from refundkit.app.serve import SHARE_DIR
    from refundkit.kernel_sockets import STALE_S

    base = Path(tempfile.mkdtemp(prefix="rk-t-"))  # short: a socket's path has at most 107 bytes
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    left, _ = left_folder(base, "rk-kernel-left", STALE_S + 60)
    km = KernelManager(kernel_name="python3",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(SHARE_DIR / "kernels")]))
    km.start_kernel(cwd=str(tmp_path), env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        info = json.loads(Path(km.connection_file).read_text())
        folder = Path(info["ip"]).parent
        assert info["transport"] == "ipc" and (folder.stat().st_mode & 0o777) == 0o700
        assert folder.parent == base and not left.exists()
        assert sorted(p.name for p in folder.iterdir()) == [f"k-{info[n]}" for n in sorted(
            ("control_port", "hb_port", "iopub_port", "shell_port", "stdin_port"), key=lambda n: f"k-{info[n]}")]
        out, reply = run(kc, "import os; print(os.getppid())")
        assert reply["status"] == "ok" and int(out) == zygote  # still the warm launcher's kernel
    finally:
        stop(km, kc)
    assert not folder.exists()  # nothing left behind when the kernel is gone
    shutil.rmtree(base, ignore_errors=True)


def test_a_sweep_keeps_a_live_kernels_folder_and_a_recent_one(tmp_path):
    """Only what is surely left over goes: a folder a kernel listens in stays however old (a trainee's page
    open all day), and so does a recent one (a kernel starting, or restarting, binds its sockets after the
    folder is made); folders that are not the kit's kernels' are not looked at."""
    from refundkit.kernel_sockets import STALE_S, sweep

    gone, _ = left_folder(tmp_path, "rk-kernel-gone", STALE_S + 60)
    empty, _ = left_folder(tmp_path, "rk-kernel-empty", STALE_S + 60, sockets=False)
    live, listener = left_folder(tmp_path, "rk-kernel-live", 10 * STALE_S, listening=True)
    recent, _ = left_folder(tmp_path, "rk-kernel-recent", STALE_S - 60)
    other, _ = left_folder(tmp_path, "not-a-kernel", 10 * STALE_S)
    with listener:
        sweep(str(tmp_path))
    assert not gone.exists() and not empty.exists()
    assert live.exists() and recent.exists() and other.exists()
