"""Debian's Chromium for the browser and hub tests, with Chromium features they have no use for turned off.

What a browser without a screen has no use for: the address bar's suggestions popup, a page of its own
(chrome://omnibox-popup) that each window draws, about 1.2 s of CPU per browser. Chromium reads only the
last --disable-features, and Playwright passes its own list (a second one would undo it): a small launcher
merges them into one before it starts Chromium.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

CHROMIUM = Path(os.environ.get("REFUNDKIT_CHROMIUM", "/usr/bin/chromium"))
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
