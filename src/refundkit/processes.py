"""Whether a process still runs, by its id: how the kit's long-lived helpers tell that their owner is
gone (the warm-kernel and warm-server processes) and which leftover folders nobody uses any more (the
sample room's)."""
from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while process `pid` exists, whoever owns it (signal 0 tests, sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True
