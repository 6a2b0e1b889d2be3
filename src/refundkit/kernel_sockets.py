"""The kit's kernels talk to their server over Unix sockets in a private folder, not loopback TCP ports.

jupyter_client picks a kernel's five TCP ports by binding port 0 and letting go; the kernel binds them a
moment later, and by then any other process on the machine may hold one (every outgoing connection takes
a port from the same range). The kernel then dies before it answers ("Address already in use"), which
a busy machine (a room's twenty kernels, a browser, a test run) does meet. A Unix socket's name is
chosen in a folder only this kernel's server uses, so nothing else can take it; nor can another user
connect to it. Where there are no Unix sockets (Windows), kernels keep TCP.

The kit's kernel specs name this provisioner in their metadata (KERNEL_METADATA); jupyter_client finds
it by its entry point, whoever starts the kernel (nbval, nbclient, Voila, JupyterLab, JupyterHub).
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

NAME = "refundkit-local-sockets"
KERNEL_METADATA = {"kernel_provisioner": {"provisioner_name": NAME}}
# A Unix socket's path has at most 107 bytes; the kernel adds "-<n>" to the folder's prefix.
_LONGEST_BASE = 64
_PREFIX = "rk-kernel-"
# A folder left by a kernel whose server stopped without shutting it down (killed, say) is removed once
# it is this old and no kernel listens in it; a kernel's restart renews its folder's time.
STALE_S = 3600


def _listening(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
        except OSError:
            return False
    return True


def sweep(base: str) -> None:
    """Remove this user's kernel socket folders in `base` that are older than STALE_S and that no
    kernel listens in."""
    now = time.time()
    try:
        entries = [e for e in os.scandir(base) if e.name.startswith(_PREFIX)]
    except OSError:
        return
    for e in entries:
        try:
            st = e.stat(follow_symlinks=False)
            if st.st_uid != os.getuid() or now - st.st_mtime < STALE_S:
                continue
            if not any(_listening(os.path.join(e.path, name)) for name in os.listdir(e.path)):
                shutil.rmtree(e.path, ignore_errors=True)
        except OSError:  # gone meanwhile, or not ours to read
            continue


class LocalSockets(LocalProvisioner):
    """A local kernel on the ipc transport, its sockets in a folder of its own (mode 0700)."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if km is not None and os.name == "posix" and km.transport == "tcp":
            base = tempfile.gettempdir()
            base = base if len(base) <= _LONGEST_BASE else "/tmp"
            sweep(base)
            folder = tempfile.mkdtemp(prefix=_PREFIX, dir=base)
            km.transport = "ipc"
            km.ip = os.path.join(folder, "k")
            km.cache_ports = False  # TCP's port cache; socket names are picked by jupyter_client
        return await super().pre_launch(**kwargs)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        km = self.parent
        # A restart makes a new provisioner and keeps the folder: the last one's cleanup removes it (the
        # sockets themselves the manager has removed before this).
        if not restart and km is not None and km.transport == "ipc":
            folder = os.path.dirname(km.ip)
            if os.path.basename(folder).startswith(_PREFIX):
                shutil.rmtree(folder, ignore_errors=True)
