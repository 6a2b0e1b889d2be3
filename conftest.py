"""The suite's notebooks (nbval) run in warm kernels: one zygote per test run (refundkit.warm_kernel).

Here, at the top of the checkout, so that it holds for every pytest run: `make test`, nbval over a
few notebooks, the review loop's runs in a clone.

The process that starts the run (the xdist controller, or plain pytest) starts the zygote and
names it in $REFUNDKIT_WARM_KERNELS, which the workers inherit; nbval's kernel command (this
interpreter's ipykernel) becomes the warm launcher, which falls back to a plain ipykernel when the
zygote cannot serve (a clone's PYTHONPATH in the review loop, say). REFUNDKIT_WARM_KERNELS=0
turns it off: every notebook then runs in a plain kernel.
"""
from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from refundkit.warm_kernel import ENV, PAGE_PRELOAD, start_zygote, stop_zygote

_zygote: subprocess.Popen | None = None


def pytest_configure(config):
    _start(config)
    _use_for_nbval()


@pytest.hookimpl(trylast=True)  # after pytest's own collection of unraisable exceptions (one full gc pass)
def pytest_unconfigure(config):
    stop_zygote(_zygote)
    if _zygote is not None:  # its socket's folder (a run leaves nothing in the temporary folder)
        shutil.rmtree(Path(os.environ[ENV]).parent, ignore_errors=True)
    gc.freeze()  # what is left lives until the process ends: pytest's second full pass at its cleanup skips it


def pytest_collection_finish(session):
    """A test process holds a large heap that lives as long as it does (the kit, pandas, widgets, the
    collected tests): the collector's full passes over it took a sixth of a run. Those objects are set
    aside (gc.freeze) once collected, and full passes come less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _start(config) -> None:
    global _zygote
    if hasattr(config, "workerinput") or os.environ.get(ENV):  # a worker, or already given (or "0")
        return
    sock = Path(tempfile.mkdtemp(prefix="refundkit-warm-")) / "kernels.sock"
    # With what the app's pages import: the hub tests' trainees' kernels fork from it too.
    _zygote = start_zygote(sock, timeout=60, preload=PAGE_PRELOAD)
    if _zygote is not None:
        os.environ[ENV] = str(sock)


def _use_for_nbval() -> None:
    """nbval's --nbval-current-env kernel through the warm launcher (when a zygote is named)."""
    try:
        import nbval.kernel as nk
    except ImportError:
        return
    plain = nk.NbvalKernelspecManager.get_kernel_spec

    def get_kernel_spec(self, kernel_name):
        spec = plain(self, kernel_name)
        if kernel_name == nk.CURRENT_ENV_KERNEL_NAME:
            if os.environ.get(ENV, "0") != "0":
                spec.argv = ["refundkit.warm_kernel" if a == "ipykernel_launcher" else a for a in spec.argv]
            # A checked notebook's cells are not the user's history: none written to ~/.ipython (nor its thread).
            spec.argv = [*spec.argv, "--HistoryManager.hist_file=:memory:"]
            from refundkit.kernel_sockets import KERNEL_METADATA

            spec.metadata = {**spec.metadata, **KERNEL_METADATA}  # on Unix sockets, as the kit's kernels
        return spec

    nk.NbvalKernelspecManager.get_kernel_spec = get_kernel_spec
    # nbval formats every kernel message for a debug log line (pformat) even when debug logging is off:
    # a few seconds of a run. Formatted only when the line is written.
    nk.pformat = _Formatted


class _Formatted:
    def __init__(self, msg):
        self.msg = msg

    def __str__(self) -> str:
        from pprint import pformat

        return pformat(self.msg)
