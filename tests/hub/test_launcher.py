"""`make hub`'s launcher (python -m refundkit.hub), up to the point where it starts JupyterHub: what it
starts the trainees' kernels and servers with, and what it leaves behind. The hub itself runs for real
in tests/hub/test_hub.py (on the test run's warm kernels, not the launcher's own)."""
from __future__ import annotations

import signal
import tempfile

import refundkit.hub.__main__ as launcher
from refundkit import warm_kernel
from refundkit.hub import warm_servers


def test_the_launcher_starts_its_trainees_kernels_with_what_pages_import(tmp_path, monkeypatch):
    """Its warm kernels come with what a page imports under Voila (PAGE_PRELOAD), as `make app`'s do:
    not a second for every trainee's page. Its temporary folder goes when the hub stops."""
    asked, hubs = [], []
    real = warm_kernel.zygote

    def zygote(folder=None, preload=()):
        asked.append(preload)
        return real(folder, preload)

    class Hub:  # JupyterHub, stopped at once by Ctrl+C
        def __init__(self, argv, cwd=None, env=None):
            hubs.append((argv, env))

        def wait(self):
            return -signal.SIGTERM

    proxy = tmp_path / "configurable-http-proxy"
    proxy.write_text("")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv(warm_kernel.ENV, "0")  # no zygote started here: only what the launcher asks for
    monkeypatch.setattr(launcher, "zygote", zygote)
    monkeypatch.setattr(warm_servers, "start_zygote", lambda sock: None)
    monkeypatch.setattr(launcher.subprocess, "Popen", Hub)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    code = launcher.main(["--port=8000", f"--db=sqlite:///{tmp_path / 'room.sqlite'}", "--password=room-pass-1",
                          f"--state={tmp_path / 'state'}", f"--proxy={proxy}"])
    assert code == 0
    assert asked == [warm_kernel.PAGE_PRELOAD]
    assert len(hubs) == 1 and "jupyterhub" in hubs[0][0]
    assert list(temp.iterdir()) == []
