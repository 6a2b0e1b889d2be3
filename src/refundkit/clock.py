"""Bottom layer: deadlines on absolute time, with "now" always passed in.

Imports nothing of the kit: the SOP's numbers (window, due-soon band, time zone) and its
wording (`ui.duration`) come in as arguments. The arithmetic is on integer nanoseconds since
the epoch, so one case (`deadline`) and a frame of cases (`refundkit.table`) run the same
functions: a window of N days is N × 24 hours of absolute time, also across a
daylight-saving change. Nothing here reads the system clock except `system_now`, which
only the command line calls; lessons and tests pass a fixed training clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

import numpy as np

from .errors import ClockError
from .vocab import URGENCY

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NS_PER_US = 1_000
NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR

from .typed_input import InputError, moment


def parse_time(value: object, field: str = "time", tz: tzinfo | None = None) -> datetime:
    """Parse an ISO-8601 time; a time without offset is refused unless `tz` is given."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = moment(value)  # ISO, and the spellings people type (2026/11/20 10:00, full-width digits)
        except InputError:
            raise ClockError(f"{field}: expected an ISO time such as 2026-11-20T10:00:00+08:00, got {value!r}") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        if tz is None:
            raise ClockError(f"{field}: {value!s} has no time zone; add one such as +08:00")
        dt = dt.replace(tzinfo=tz)
    return dt


def system_now(tz: tzinfo) -> datetime:
    return datetime.now(tz)


def to_ns(dt: datetime) -> int:
    """An aware time as integer nanoseconds since the epoch (absolute time)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ClockError(f"{dt.isoformat()}: has no time zone")
    return (dt - EPOCH) // timedelta(microseconds=1) * NS_PER_US


def from_ns(ns: int, tz: tzinfo) -> datetime:
    """Integer nanoseconds since the epoch as a time in `tz` (to the microsecond)."""
    return (EPOCH + timedelta(microseconds=int(ns) // NS_PER_US)).astimezone(tz)


def due_and_left(requested_ns, now_ns, window_ns):
    """When the window closes and how much of it is left, both in ns (ints or arrays)."""
    due = requested_ns + window_ns
    return due, due - now_ns


def urgency_code(left_ns, due_soon_ns: int):
    """Index into URGENCY: 0 overdue (nothing left), 1 due soon (at most the band), 2 on time."""
    return np.searchsorted(np.array([0, due_soon_ns], dtype=np.int64), left_ns, side="left")


def hours(left_ns):
    """Hours left as `timedelta.total_seconds() / 3600` computes them (µs, then seconds)."""
    return (left_ns // NS_PER_US) / 1e6 / 3600


@dataclass(frozen=True)
class Deadline:
    due: datetime
    left: timedelta
    urgency: str  # one of vocab.URGENCY: "overdue" | "due_soon" | "on_time"

    @property
    def hours_left(self) -> float:
        return float(hours(self.left // timedelta(microseconds=1) * NS_PER_US))

    @property
    def overdue(self) -> bool:
        return self.urgency == "overdue"

    @classmethod
    def from_ns(cls, due_ns: int, left_ns: int, urgency: int, tz: tzinfo) -> "Deadline":
        """From the ns figures of `due_and_left` and the code of `urgency_code`."""
        return cls(due=from_ns(due_ns, tz), left=timedelta(microseconds=int(left_ns) // NS_PER_US),
                   urgency=URGENCY[int(urgency)])


def deadline(requested_at: datetime, now: datetime, window_days: int, due_soon_hours: int, tz: tzinfo) -> Deadline:
    """When the window closes (in `tz`), how long is left, and how urgent that is."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ClockError("now: has no time zone")
    due, left = due_and_left(to_ns(requested_at), to_ns(now), window_days * NS_PER_DAY)
    return Deadline.from_ns(due, left, urgency_code(left, due_soon_hours * NS_PER_HOUR), tz)


def fmt_span(left: timedelta, wording: str) -> str:
    """A span in the given wording (the SOP's `ui.duration`, e.g. '{sign}{d}天{h}小时{m}分').

    Negative spans read as overdue by that much: the wording gets sign '-'.
    """
    sign = "-" if left < timedelta(0) else ""
    total = abs(int(left.total_seconds())) // 60
    d, rem = divmod(total, 24 * 60)
    h, m = divmod(rem, 60)
    return wording.format(sign=sign, d=d, h=h, m=m)
