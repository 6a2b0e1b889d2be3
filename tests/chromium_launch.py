"""Debian's Chromium for the browser and hub tests, as both launch it: the same flags, no internet, and
Chromium features they have no use for turned off.

What a browser without a screen has no use for: the address bar's suggestions popup, a page of its own
(chrome://omnibox-popup) that each window draws, about 1.2 s of CPU per browser. Chromium reads only the
last --disable-features, and Playwright passes its own list (a second one would undo it): a small launcher
merges them into one before it starts Chromium.
"""
from __future__ import annotations

import base64
import os
import shlex
import socket
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path(os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium"))
# Software rendering in the browser's own process (--in-process-gpu): the same pixels, without a
# GPU process to feed (a fifth less CPU per page load on a machine without a GPU). The tabs of one
# site share one renderer process (--process-per-site): a tab opened beside the trainee's page does
# not start a renderer of its own (a third less CPU for that tab).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--in-process-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--process-per-site"]
DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup")
MERGED_FEATURES = """#!/bin/sh
n=$#
features=
for a in "$@"; do
  case "$a" in
    --disable-features=*) features="${features:+$features,}${a#--disable-features=}" ;;
    *) set -- "$@" "$a" ;;
  esac
done
shift "$n"
exec "$CHROMIUM" "$@" ${features:+"--disable-features=$features"}
"""


def chromium_launcher(folder: Path, chromium: Path = CHROMIUM) -> Path:
    """`chromium` behind MERGED_FEATURES, as an executable in `folder`; launch it with DISABLED_ARG."""
    launcher = folder / "chromium"
    launcher.write_text(MERGED_FEATURES.replace('"$CHROMIUM"', shlex.quote(str(chromium))))
    launcher.chmod(0o755)
    return launcher


DISABLED_ARG = f"--disable-features={','.join(DISABLED_FEATURES)}"


def launch_chromium(playwright, folder: Path, *args: str):
    """Debian's Chromium, headless, with CHROMIUM_FLAGS and the features above turned off; its
    launcher is written into `folder`."""
    return playwright.chromium.launch(executable_path=str(chromium_launcher(folder)), headless=True,
                                      args=[*CHROMIUM_FLAGS, DISABLED_ARG, *args])


@contextmanager
def offline_chromium(playwright, folder: Path):
    """Chromium with no internet: every request that leaves loopback goes to a proxy that is a closed
    port (Chromium never sends loopback through a proxy), so it fails and the pages must work offline.
    Cut in the browser, not by routing each request through Playwright (a round trip per file, and no
    HTTP cache)."""
    with socket.socket() as closed:  # bound, never listening: a connection to it is refused
        closed.bind(("127.0.0.1", 0))
        browser = launch_chromium(playwright, folder, f"--proxy-server=http://127.0.0.1:{closed.getsockname()[1]}")
        try:
            yield browser
        finally:
            browser.close()


def save_png(page, path: str | os.PathLike, full_page: bool = False) -> None:
    """A lossless PNG of the page (its whole length with `full_page`), encoded for speed: Chromium's
    optimizeForSpeed writes a larger file for about half the browser's CPU of Playwright's screenshot,
    which compresses fully (0.13 s against 0.25 s for a 1280 x 900 page on 2 cores)."""
    params: dict = {"format": "png", "optimizeForSpeed": True}
    cdp = page.context.new_cdp_session(page)
    try:
        if full_page:
            size = cdp.send("Page.getLayoutMetrics")["cssContentSize"]
            view = page.viewport_size or {"width": 0, "height": 0}
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "scale": 1, "width": max(size["width"], view["width"]),
                "height": max(size["height"], view["height"])})
        data = cdp.send("Page.captureScreenshot", params)["data"]
    finally:
        cdp.detach()
    Path(path).write_bytes(base64.b64decode(data))
