"""A trainee's laptop, as the server sees it: the app page's requests and widget messages, no browser.

In a room each trainee's browser runs on the trainee's own computer; what the trainer's laptop
does is serve the page, run the kernel and answer widget messages. This client does exactly
what the page's scripts ask of the server, over the same HTTP and websocket protocol:

  page     GET the app page (the kernel id is in it)
  states   open the kernel's websocket and ask for every widget's state (what ipywidgets' page
           script does before it draws anything): `drawn` is the page and its states received
  view     report the page's view, as the browser does once drawn (the app then prepares the
           other parts in the kernel's idle time)
  name     type the learner's name
  move     click another part (the wizard): until the kernel has answered (idle again)
  to_exercise  the same for an exercise (from the start part)
  check    pick the right answer of an exercise question and click "check": until the feedback
           is back, and it must say "right"

Used by benchmarks/room.py; needs only tornado (the server's own library).
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid

from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

def pause(think: float) -> float:
    """A person's pause before an action: `think` seconds on average, not in step with the room."""
    return think * random.uniform(0.5, 1.5)


CONTROL_VERSION = "1.0.0"  # ipywidgets' widget-control protocol
# The kernel websocket's binary protocol, which the page's scripts ask for: the server passes the
# kernel's messages on as they are (the older JSON protocol makes it decode and encode each one).
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"


class Trainee:
    """One page of the app, driven over the kernel protocol."""

    def __init__(self, base: str, timeout: float = 180, cookies: str = ""):
        """`base`: the server's address; `cookies`: a login's cookies (a Cookie header), if the server asks for one."""
        self.base = base
        self.timeout = timeout
        self.session = uuid.uuid4().hex
        self.models: dict[str, dict] = {}   # comm id -> {"model_name": ..., "state": {...}}
        self.ws = None
        self.kernel = self.xsrf = ""
        self.cookies = cookies
        self._idle: dict[str, asyncio.Future] = {}
        self._states: asyncio.Future | None = None
        self._reader: asyncio.Task | None = None

    # -- the protocol ------------------------------------------------------------------
    def _msg(self, msg_type: str, content: dict, metadata: dict | None = None) -> dict:
        return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "", "session": self.session,
                           "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell", "buffers": []}

    async def _send(self, msg: dict) -> asyncio.Future:
        """Send a shell message; the future is done when the kernel is idle after it."""
        done = asyncio.get_running_loop().create_future()
        self._idle[msg["header"]["msg_id"]] = done
        await self.ws.write_message(serialize_msg_to_ws_v1(msg, "shell", pack=lambda d: json.dumps(d).encode()),
                                    binary=True)
        return done

    async def _read(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                return
            _channel, parts = deserialize_msg_from_ws_v1(raw)
            header, parent_header, _meta, content = (json.loads(p) for p in parts[:4])
            kind = header["msg_type"]
            parent = (parent_header or {}).get("msg_id")
            if kind == "status" and content.get("execution_state") == "idle" and parent in self._idle:
                fut = self._idle.pop(parent)
                if not fut.done():
                    fut.set_result(None)
            elif kind == "comm_open" and content.get("target_name") == "jupyter.widget":
                data = content.get("data", {})
                self.models[content["comm_id"]] = {"model_name": data.get("state", {}).get("_model_name"),
                                                   "state": dict(data.get("state", {}))}
            elif kind == "comm_msg":
                data = content.get("data", {})
                if data.get("method") == "update_states" and self._states and not self._states.done():
                    for cid, s in data["states"].items():
                        self.models[cid] = {"model_name": s.get("model_name"), "state": dict(s["state"])}
                    self._states.set_result(None)
                elif data.get("method") in ("update", "echo_update") and content["comm_id"] in self.models:
                    self.models[content["comm_id"]]["state"].update(data.get("state", {}))
            elif kind == "comm_close":
                self.models.pop(content.get("comm_id"), None)

    async def _wait(self, fut) -> None:
        await asyncio.wait_for(fut, self.timeout)

    # -- what the page does ------------------------------------------------------------
    async def open(self, path: str = "/") -> float:
        """Load the page and its widgets' states; seconds from the request to the states."""
        t = time.monotonic()
        http = AsyncHTTPClient()
        r = await http.fetch(self.base + path, request_timeout=self.timeout,
                             headers={"Cookie": self.cookies} if self.cookies else None)
        m = re.search(r'"kernelId": *"([^"]+)"', r.body.decode("utf-8"))
        if m is None:
            raise RuntimeError(f"no kernel in the page (HTTP {r.code}): {r.body[:200]!r}")
        jar = dict(c.split("=", 1) for c in self.cookies.split("; ") if "=" in c)
        jar.update(c.split(";")[0].split("=", 1) for c in r.headers.get_list("Set-Cookie"))
        self.cookies = "; ".join(f"{k}={v}" for k, v in jar.items())
        self.xsrf = jar.get("_xsrf", "")
        self.kernel = m.group(1)
        url = f"{self.base.replace('http', 'ws', 1)}/api/kernels/{self.kernel}/channels?session_id={self.session}"
        self.ws = await websocket_connect(HTTPRequest(url, headers={"Cookie": self.cookies}, request_timeout=self.timeout),
                                          max_message_size=64 << 20, subprotocols=[WS_PROTOCOL])
        if self.ws.selected_subprotocol != WS_PROTOCOL:
            raise RuntimeError(f"the server did not take the {WS_PROTOCOL} websocket protocol")
        self._reader = asyncio.ensure_future(self._read())
        self._states = asyncio.get_running_loop().create_future()
        control = uuid.uuid4().hex
        await self._send(self._msg("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control",
                                                 "data": {}}, {"version": CONTROL_VERSION}))
        await self._send(self._msg("comm_msg", {"comm_id": control, "data": {"method": "request_states"}}))
        await self._wait(self._states)
        return time.monotonic() - t

    def find(self, css: str, within: str | None = None) -> str:
        """The comm id of the (first) widget with CSS class `css`, below the one with `within`."""
        ids = self._below(self.find(within)) if within else list(self.models)
        for cid in ids:
            if css in self.models.get(cid, {}).get("state", {}).get("_dom_classes", ()):
                return cid
        raise LookupError(f"no widget with class {css!r}" + (f" in {within!r}" if within else ""))

    def _below(self, root: str) -> list[str]:
        out, todo = [], [root]
        while todo:
            cid = todo.pop(0)
            out.append(cid)
            kids = self.models.get(cid, {}).get("state", {}).get("children", [])
            todo += [k.removeprefix("IPY_MODEL_") for k in kids]
        return out

    async def update(self, cid: str, **state) -> float:
        t = time.monotonic()
        await self._wait(await self._send(self._msg("comm_msg", {"comm_id": cid, "data": {
            "method": "update", "state": state, "buffer_paths": []}})))
        return time.monotonic() - t

    async def click(self, cid: str) -> float:
        t = time.monotonic()
        await self._wait(await self._send(self._msg("comm_msg", {"comm_id": cid, "data": {
            "method": "custom", "content": {"event": "click"}}})))
        return time.monotonic() - t

    async def close(self) -> None:
        """Leave the page: its script asks the server to shut the kernel down (as a closed tab does)."""
        if self.ws is not None:
            self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self.kernel:
            await AsyncHTTPClient().fetch(f"{self.base}/api/kernels/{self.kernel}", method="DELETE", raise_error=False,
                                          headers={"Cookie": self.cookies, "X-XSRFToken": self.xsrf},
                                          request_timeout=self.timeout)


async def trainee(base: str, name: str, exercise: str, qid: str, answer: str, out: dict, think: float = 0) -> None:
    """One trainee's first minute, as in benchmarks/room.py's browser trainee: open the page, give
    a name, move to the wizard, answer a question and check it, `think` seconds before each
    action. Figures go into `out`; the page stays open (`out["client"]`) until its `close()`."""
    tr = out["client"] = Trainee(base)
    try:
        out["drawn"] = await tr.open("/")
        await tr.update(tr.find("rk-app"), _view_count=1)  # the browser drew the page's view
        await asyncio.sleep(pause(think))
        await tr.update(tr.find("rk-app-name"), value=name)
        await asyncio.sleep(pause(think))
        out["move"] = await tr.click(tr.find("rk-go-wizard", within="rk-app-bar"))
        await tr.click(tr.find("rk-go-start", within="rk-app-bar"))
        await asyncio.sleep(pause(think))
        out["to_exercise"] = await tr.click(tr.find(f"rk-go-{exercise}"))
        box = f"rk-q-{qid.replace('.', '-')}"
        control = tr.find("rk-answer", within=box)
        labels = tr.models[control]["state"].get("_options_labels", [])
        if answer not in labels:
            raise LookupError(f"{answer!r} is not a choice of {qid}: {labels}")
        await tr.update(control, index=labels.index(answer))
        await asyncio.sleep(pause(think))
        out["check"] = await tr.click(tr.find("rk-check", within=box))
        feedback = tr.models[tr.find("rk-feedback", within=box)]["state"]
        if "rk-right" not in feedback.get("_dom_classes", ()):
            raise AssertionError(f"{qid}: the feedback does not say right: {feedback.get('value', '')[:120]!r}")
    except BaseException:
        await tr.close()
        raise
