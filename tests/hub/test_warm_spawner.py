"""The hub's spawner (jupyterhub_config.py's WarmSpawner): a login's server is forked by the warm-server
process when there is one, and started as a plain process when there is none (never started, its socket
gone, or nobody answering), so a room still gets its servers. The configuration is loaded as JupyterHub
loads it; the plain start (SimpleLocalProcessSpawner's) is replaced by a recorder: what is checked is
which way the spawner goes, not JupyterHub's own process start."""
from __future__ import annotations

import asyncio
import runpy
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("jupyterhub")

from traitlets.config import Config  # noqa: E402

from test_ports import time_wait_ports  # noqa: E402

from refundkit.hub.settings import HubSettings  # noqa: E402
from refundkit.hub.warm_servers import ENV as SERVERS_ENV  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / "src" / "refundkit" / "hub" / "jupyterhub_config.py"


@pytest.fixture
def spawner(tmp_path, monkeypatch):
    # Imported here, not at collection: JupyterHub's spawner module takes a second or more of CPU, and
    # every test process collects this file while only one runs it.
    from jupyterhub.spawner import SimpleLocalProcessSpawner

    settings = HubSettings(port=1, hub_api_port=2, proxy_api_port=3, db="postgresql://x@127.0.0.1/x",
                           password="p", trainer_password="t" * 32, state=tmp_path / "state", proxy="proxy")
    for k, v in settings.to_env().items():
        monkeypatch.setenv(k, v)
    (tmp_path / "state").mkdir()
    cls = runpy.run_path(str(CONFIG), init_globals={"get_config": Config})["WarmSpawner"]
    plain = []

    async def plain_start(self):
        plain.append(self.user.name)
        return ("127.0.0.1", 4321)

    monkeypatch.setattr(SimpleLocalProcessSpawner, "start", plain_start)
    sp = cls.__new__(cls)
    sp.user = type("User", (), {"name": "wangfang"})()
    sp.get_env = lambda: {"JUPYTERHUB_API_TOKEN": "secret"}
    sp.get_args = lambda: ["--port=5555"]
    monkeypatch.setattr(cls, "home_dir", property(lambda self: str(tmp_path / "homes" / "wangfang")))
    sp.plain = plain
    return sp


def start(spawner):
    """The spawner's start, as the hub awaits it: in an event loop of its own (a test process may have
    Playwright's running in this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, spawner.start()).result()


def _zygote(path: Path, answer: bytes | None):
    """A stand-in warm-server process on `path`: reads one request, answers `answer` (None: closes at once)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    got = []

    def serve():
        try:
            conn, _ = listener.accept()
        except OSError:  # closed by the test before anyone came
            return
        with conn:
            if answer is None:
                return
            got.append(conn.makefile("rb").read())
            conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return listener, got


def test_without_a_warm_server_process_the_server_starts_plain(spawner, tmp_path, monkeypatch):
    monkeypatch.delenv(SERVERS_ENV, raising=False)
    assert start(spawner) == ("127.0.0.1", 4321) and spawner.plain == ["wangfang"]
    monkeypatch.setenv(SERVERS_ENV, str(tmp_path / "gone.sock"))  # named, but its socket is gone
    assert start(spawner) == ("127.0.0.1", 4321) and spawner.plain == ["wangfang"] * 2
    listener, _ = _zygote(tmp_path / "mute.sock", None)  # there, but it hangs up without an answer
    with listener:
        monkeypatch.setenv(SERVERS_ENV, str(tmp_path / "mute.sock"))
        assert start(spawner) == ("127.0.0.1", 4321) and spawner.plain == ["wangfang"] * 3


def test_with_a_warm_server_process_the_server_is_forked_by_it(spawner, tmp_path, monkeypatch):
    listener, got = _zygote(tmp_path / "servers.sock", b"pid 4242\n")
    with listener:
        monkeypatch.setenv(SERVERS_ENV, str(tmp_path / "servers.sock"))
        ip, port = start(spawner)
    assert spawner.plain == [] and spawner.pid == 4242 and port == spawner.port != 0
    assert port in time_wait_ports()  # kept from outgoing connections until the server binds it (refundkit.ports)
    assert b'"--port=5555"' in got[0] and b"secret" in got[0]  # the login's arguments and token reach it
