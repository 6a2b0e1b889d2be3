"""How the app is served: one Voila command, used by `make app` and the browser tests alike.

Voila runs every page of `app/` in its own kernel and shows outputs only, never
code. The kit's template (`share/voila/templates/refundkit`) drops the lab
template's CDN stylesheet links (Voila bundles Font Awesome itself) and sends
the file list to the start page, so a learner lands in one place and the page
loads with no internet.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..sop import REPO_ROOT

APP_DIR = REPO_ROOT / "app"
SHARE_DIR = Path(__file__).resolve().parent / "share"
START_PAGE = "voila/render/start.ipynb"
# Voila 0.5 cannot shut a page's kernel down when its tab closes (the shutdown request
# fails the server's XSRF check), so idle kernels with no page attached are culled.
KERNEL_CULLING = ("--MappingKernelManager.cull_idle_timeout=600", "--MappingKernelManager.cull_interval=60")


def voila_argv(port: int, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The command that serves the app on localhost:`port`; `extra` is passed on to Voila."""
    return [sys.executable, "-m", "voila", str(APP_DIR), f"--port={port}",
            "--template=refundkit", *KERNEL_CULLING, *extra]


def voila_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with the kit's Voila template on the Jupyter data path."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE_DIR), env.get("JUPYTER_PATH", "")) if p)
    return env


def start_url(port: int, host: str = "localhost") -> str:
    """The address to give learners: the entrance, which leads to the start page."""
    return f"http://{host}:{port}/"
