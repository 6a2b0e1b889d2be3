"""Taking turns across a room's kernels for work nobody is waiting for.

Each trainee's kernel prepares the app's other parts in its idle time (`pages.App.prebuild`).
Twenty kernels doing so at once keep both cores and the server busy relaying thousands of
widget messages exactly when the trainees make their first clicks. So the server names a lock
file (`ROOM_TURN_ENV`) and a kernel builds a part only while it holds the lock: one kernel at a
time, the other core and the server's time left to the trainees. Without the variable (a
lesson, a test) a turn is always free.
"""
from __future__ import annotations

import fcntl
import os

ROOM_TURN_ENV = "REFUNDKIT_ROOM_TURN"


class Turn:
    """This kernel's turn in the room: `take()` never waits; `give_back()` lets the next kernel go."""

    def __init__(self) -> None:
        self._fd: int | None = None

    def take(self) -> bool:
        """True if this kernel has the turn now (it keeps it until `give_back`), False if another has it."""
        if self._fd is not None:
            return True
        path = os.environ.get(ROOM_TURN_ENV)
        if not path:
            return True
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return True  # no lock to take: work as without a room
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def give_back(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases the lock
            self._fd = None
