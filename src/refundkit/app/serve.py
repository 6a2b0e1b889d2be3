"""Serving the app to a room: one Voila server, set up for twenty trainees arriving at once.

    python -m refundkit.app [--port 8866] [--room 20] [--lan] [--trainer-token T] [Voila options]

What a room needs, and where it is done:
- **One page per trainee.** `app/start.ipynb` holds every part (wizard,
  calculators, explorer, exercises; `refundkit.app.pages.App`), so moving
  between parts swaps widgets in the same kernel. Today's addresses
  (`wizard.ipynb`, `exercise.ipynb?id=ex01` ...) redirect to it with `?part=`.
- **Preheated kernels.** Voila's pool keeps `room` kernels that have already run
  the page; a trainee's request takes one and the page reads its address then
  (`voila.utils.wait_for_request`). Once arrivals pause (QUIET_S), or at once
  when it is empty, the pool is refilled for the trainees still to come (`room`
  minus those here, at least SPARE_KERNELS; once the room is here, one spare at a
  time while its kernels are idle, ROOM_QUIET_S), so a full room holds about `room` +
  SPARE_KERNELS kernels, and kernels of trainees who left are replaced. A page
  asked for when the pool is empty gets a fresh kernel.
- **Parts prepared in turn**: each page builds its other parts in idle time, one
  kernel of the room at a time (`refundkit.app.turn`), so a room arriving at
  once does not bury its own first clicks.
- **No blank page under load**: a generous IOPub timeout.
- **Kernels go away**: the page's shutdown call on closing a tab needs the
  `_xsrf` cookie, which Voila's page never sets; `AppPage` sets it. Idle
  kernels with no page attached are culled as a fallback.
- **Limits**: at most `max_kernels` trainee kernels (beyond that a "room full"
  page, HTTP 503, in Chinese and English), request bodies of `MAX_BODY` bytes.
- **Trainer page** (`/trainer`, `refundkit.app.trainer`): learner data only
  with the trainer's token, random per start unless set.
- **Localhost by default**; `--lan` listens on every interface for a room.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from ..sop import LANGS, REPO_ROOT, default_sop
from .remember import LANG_COOKIE, WORK_COOKIE, remembered
from .turn import ROOM_TURN_ENV

APP_DIR = REPO_ROOT / "app"
SHARE_DIR = Path(__file__).resolve().parent / "share"
START = "start.ipynb"
START_PAGE = f"voila/render/{START}"
# Addresses of the parts before they shared one page; they stay valid links.
PART_PAGES = ("wizard", "calculators", "explorer", "exercise")
TOKEN_ENV = "REFUNDKIT_TRAINER_TOKEN"
MAX_BODY = 1 << 20          # bytes: widget messages are small; nothing bigger is uploaded
IOPUB_TIMEOUT_S = 120       # the default (4 s) gave blank pages under load
CULL_IDLE_S = 300           # a kernel with no page attached goes after 5 minutes
CULL_INTERVAL_S = 30
SPARE_KERNELS = 4           # preheated kernels kept once the room has arrived (reloads, late comers)
TOP_UP_EVERY_S = 2          # how often the pool of preheated kernels is checked ...
QUIET_S = 8                 # ... and topped up once no page has been asked for in this many seconds
ROOM_QUIET_S = 3            # a room that has arrived gets its spares when its kernels have been idle this long ...
ROOM_WAIT_S = 60            # ... or at the latest this long after the last page


@dataclass(frozen=True)
class Room:
    """How the server is sized: `room` preheated kernels, at most `max_kernels` in use."""
    room: int = 20
    max_kernels: int = 40
    token: str = ""
    lan: bool = False


def voila_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with the kit's Voila template on the Jupyter data path."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE_DIR), env.get("JUPYTER_PATH", "")) if p)
    return env


def voila_args(port: int, room: Room) -> list[str]:
    """Voila's options for a room (the notebook folder first)."""
    pools = {START: {"pool_size": room.room}, "default": {"pool_size": 0}}
    return [str(APP_DIR), f"--port={port}", "--Voila.port_retries=0", "--template=refundkit",
            f"--Voila.ip={'0.0.0.0' if room.lan else '127.0.0.1'}",
            "--VoilaConfiguration.preheat_kernel=True",
            f"--VoilaKernelManager.kernel_pools_config={json.dumps(pools)}",
            "--VoilaKernelManager.fill_delay=2",
            f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT_S}",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}"]


def app_argv(port: int, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The command that serves the app (what `make app`, the browser tests and the benchmarks run)."""
    return [sys.executable, "-m", "refundkit.app", f"--port={port}", *extra]


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def start_url(port: int, host: str = "localhost") -> str:
    """The address to give learners: the entrance, which leads to the start page."""
    return f"http://{host}:{port}/"


def trainer_url(port: int, token: str, host: str = "localhost") -> str:
    return f"http://{host}:{port}/trainer?token={token}"


def make_token(given: str | None) -> str:
    """The trainer's token: the one given (flag or $REFUNDKIT_TRAINER_TOKEN), else random for this start."""
    return given or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(18)


def room_full_html(lang: str) -> str:
    sop = default_sop()
    other = [code for code in LANGS if code != lang]
    lines = "".join(f"<p lang='{code}'>{escape(sop.t('room_full', code))}</p>" for code in [lang, *other])
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><meta http-equiv='refresh' content='20'>"
            f"<meta name='viewport' content='width=device-width'><title>{escape(sop.t('room_full_title', lang))}</title>"
            "<link rel='icon' href='data:;base64,='></head>"
            "<body style='font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em'>"
            f"<h1 class='rk-room-full'>{escape(sop.t('room_full_title', lang))}</h1>{lines}</body></html>")


def make_server_class():
    """The Voila application with the room's handlers (built on demand: importing Voila is slow)."""
    import tornado.ioloop
    import tornado.web
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    keep_compiled_templates()

    from . import trainer

    class AppPage(TornadoVoilaHandler):
        """The app's pages: old addresses lead to the one page; a full room says so."""

        async def get(self, path=None):
            stem = (path or "").removesuffix(".ipynb")
            asked = dict(parse_qsl(self.request.query))
            query = remembered(asked, self.get_cookie(LANG_COOKIE), self.get_cookie(WORK_COOKIE))
            if stem in PART_PAGES:
                query = {"part": stem, **{k: v for k, v in query.items() if k != "part"}}
                return self.redirect(f"{self.base_url}voila/render/{START}?{urlencode(query)}")
            if query != asked:  # a second tab: the language last chosen, the work under way
                return self.redirect(f"{self.base_url}voila/render/{path}?{urlencode(query)}")
            room: Room = self.settings["refundkit_room"]
            km = self.kernel_manager
            # Pages being served now hold a kernel even if they have not taken it from the pool yet.
            arriving = self.settings["refundkit_arriving"]
            in_use = kernel_counts(km)[1] + arriving[0]
            if in_use >= room.max_kernels:
                self.set_status(503)
                self.set_header("Retry-After", "20")
                lang = self.get_argument("lang", LANGS[0])
                self.log.warning("room full: %d kernels in use (limit %d)", in_use, room.max_kernels)
                return self.finish(room_full_html(lang if lang in LANGS else LANGS[0]))
            pools = getattr(km, "kernel_pools_config", None)
            if pools and START in pools:
                # No refill while trainees are arriving: a kernel started in the rush would run the
                # page beside theirs and slow every one of them. The pool is topped up once the
                # pages in flight are served (below).
                pools[START]["pool_size"] = 0
            self.xsrf_token  # sets the _xsrf cookie the page's shutdown call sends back  # noqa: B018
            arriving[0] += 1
            try:
                return await super().get(path)
            finally:
                arriving[0] -= 1
                self.settings["refundkit_last_page"][0] = time.monotonic()
                top_up(km, room, self.settings)

    def preheating(km) -> bool:
        """Whether a pooled kernel is still starting or running the page."""
        for pool in getattr(km, "_pools", {}).values():
            for task in pool:
                if not task.done():
                    return True
                if not task.cancelled() and task.exception() is None and not task.result()["task"].done():
                    return True
        return False

    def kernel_counts(km) -> tuple[int, int]:
        """(preheated kernels waiting in the pool, kernels trainees hold)."""
        pooled = sum(len(p) for p in getattr(km, "_pools", {}).values())
        return pooled, max(len(km.list_kernel_ids()) - pooled, 0)

    def top_up(km, room: Room, settings: dict) -> None:
        """Preheated kernels for the trainees still to come, not the room again (kernels = room + a
        few spares); after trainees leave, the room is ready again. While pages are being asked
        for, only an empty pool of a room still arriving is refilled at once (the next trainee
        would wait for a kernel anyway); otherwise once no page has been asked for in QUIET_S:
        preheating runs the page in kernels and in this server, which would slow the first clicks
        of a room that has just arrived."""
        pools = getattr(km, "kernel_pools_config", None)
        if not pools or START not in pools or settings["refundkit_arriving"][0]:
            return
        pooled, in_use = kernel_counts(km)
        # At once only for an empty pool while the room is still arriving; a room that has all come
        # (in_use >= room) gets its spares once it is quiet.
        if (pooled or in_use >= room.room) and time.monotonic() - settings["refundkit_last_page"][0] < QUIET_S:
            return
        want = max(room.room - in_use, min(SPARE_KERNELS, room.room))
        if in_use >= room.room:
            # The room is here and clicking: its spares one at a time, each once the one before has run
            # the page and the room's kernels are idle (a spare's page costs ~3 s of CPU, ~1 s of it in
            # this server; four at once while the room clicked made a check wait ~1.7 s, not 0.1 s).
            if preheating(km):
                return
            last = getattr(km, "last_kernel_activity", None)
            busy = last is not None and (datetime.now(timezone.utc) - last).total_seconds() < ROOM_QUIET_S
            if busy and time.monotonic() - settings["refundkit_last_page"][0] < ROOM_WAIT_S:
                return
            want = min(want, pooled + 1)
        pools[START]["pool_size"] = want
        km.fill_if_needed(notebook_name=START)

    class Entrance(tornado.web.RequestHandler):
        def get(self):
            query = remembered(dict(parse_qsl(self.request.query)), self.get_cookie(LANG_COOKIE),
                               self.get_cookie(WORK_COOKIE))
            self.redirect(f"{self.settings['base_url']}{START_PAGE}" + (f"?{urlencode(query)}" if query else ""))

    class RoomVoila(Voila):
        room = Room()

        def get_default_logging_config(self):
            # traitlets leaves the logger at DEBUG and filters in the handler, so each debug line the
            # server writes (two per kernel message: activity tracking, the page's executor) became a
            # record before being dropped; the logger at the handler's level skips them.
            config = super().get_default_logging_config()
            level = config.get("handlers", {}).get("console", {}).get("level")
            for logger in config.get("loggers", {}).values() if level else ():
                logger["level"] = level
            return config

        def init_settings(self):
            settings = super().init_settings()
            settings["refundkit_room"] = self.room
            settings["refundkit_arriving"] = [0]  # pages being served right now (see AppPage.get)
            settings["refundkit_last_page"] = [0.0]  # when the last page was served (time.monotonic)
            settings["websocket_max_message_size"] = MAX_BODY
            return settings

        def init_handlers(self):
            ours = [(self.server_url, Entrance), (f"{self.server_url}voila/render/(.*)", AppPage,
                                                  {"template_paths": self.template_paths, "config": self.config,
                                                   "voila_configuration": self.voila_configuration}),
                    *trainer.handlers(self.server_url, self.room.token)]
            return ours + super().init_handlers()

        def listen(self):
            # Kernels closed by trainees who left are preheated again for the next ones (checked every few
            # seconds; a page being served checks on its own).
            tornado.ioloop.PeriodicCallback(lambda: top_up(self.kernel_manager, self.room, self.app.settings),
                                            TOP_UP_EVERY_S * 1000).start()
            listen = self.app.listen

            def limited(port, address="", **kw):
                return listen(port, address, max_body_size=MAX_BODY, max_buffer_size=4 * MAX_BODY, **kw)

            self.app.listen = limited
            super().listen()

    return RoomVoila


def keep_compiled_templates() -> None:
    """Voila renders each page with a new template environment, which compiled the page's ~20
    templates again for every trainee (~0.3 s of the one server's CPU a page). Their compiled code
    is kept for the server's life in a Jinja bytecode cache (checked against each template's source,
    so an edited template is compiled again)."""
    import jinja2
    from voila.exporter import VoilaExporter

    if getattr(VoilaExporter, "_refundkit_templates", None) is not None:
        return

    class Compiled(jinja2.BytecodeCache):
        def __init__(self):
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket):
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket):
            self.code[bucket.key] = bucket.bytecode_to_string()

    VoilaExporter._refundkit_templates = cache = Compiled()
    create = VoilaExporter._create_environment

    def create_environment(self):
        env = create(self)
        env.bytecode_cache = cache
        return env

    VoilaExporter._create_environment = create_environment


def serve(port: int, room: Room, extra: list[str]) -> None:
    """Run the room's server in this process until Ctrl+C."""
    import tempfile

    from ..warm_kernel import PAGE_PRELOAD, zygote

    os.environ.update(voila_env())
    os.environ.pop("QUERY_STRING", None)
    folder = Path(tempfile.mkdtemp(prefix="refundkit-app-"))
    # The room's kernels fork from one warm process (refundkit.warm_kernel): each starts at once and shares
    # the imported libraries' memory; it stops with this server. If it cannot start, kernels start plain
    # (the kernel spec in SHARE_DIR falls back by itself).
    try:
        with zygote(str(folder), preload=PAGE_PRELOAD) as env:
            os.environ.update(env)
            os.environ[ROOM_TURN_ENV] = str(folder / "prebuild.turn")  # the kernels prepare parts one at a time
            cls = make_server_class()
            cls.room = room
            cls.launch_instance(argv=[*voila_args(port, room), *extra])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
