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

import os
import subprocess
import tempfile
from pathlib import Path

from refundkit.warm_kernel import ENV, start_zygote, stop_zygote

_zygote: subprocess.Popen | None = None


def pytest_configure(config):
    _start(config)
    _use_for_nbval()


def pytest_unconfigure(config):
    stop_zygote(_zygote)


def _start(config) -> None:
    global _zygote
    if hasattr(config, "workerinput") or os.environ.get(ENV):  # a worker, or already given (or "0")
        return
    sock = Path(tempfile.mkdtemp(prefix="refundkit-warm-")) / "kernels.sock"
    _zygote = start_zygote(sock, timeout=60)
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
        if kernel_name == nk.CURRENT_ENV_KERNEL_NAME and os.environ.get(ENV, "0") != "0":
            spec.argv = ["refundkit.warm_kernel" if a == "ipykernel_launcher" else a for a in spec.argv]
        return spec

    nk.NbvalKernelspecManager.get_kernel_spec = get_kernel_spec
