"""Deadlines in the SOP's time zone, with "now" always passed in.

Nothing here reads the system clock except `system_now`, which only the
command line calls; lessons and tests pass a fixed training clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


class ClockError(ValueError):
    """A time that is not an ISO time with a UTC offset."""


def parse_time(value: object, field: str = "time", tz: ZoneInfo | None = None) -> datetime:
    """Parse an ISO-8601 time; a time without offset is refused unless `tz` is given."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ClockError(f"{field}: expected an ISO time such as 2026-11-20T10:00:00+08:00, got {value!r}") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        if tz is None:
            raise ClockError(f"{field}: {value!s} has no time zone; add one such as +08:00")
        dt = dt.replace(tzinfo=tz)
    return dt


def system_now(tz: ZoneInfo) -> datetime:
    return datetime.now(tz)


@dataclass(frozen=True)
class Deadline:
    due: datetime
    left: timedelta
    urgency: str  # "overdue" | "due_soon" | "on_time"

    @property
    def hours_left(self) -> float:
        return self.left.total_seconds() / 3600

    @property
    def overdue(self) -> bool:
        return self.urgency == "overdue"


def deadline(requested_at: datetime, now: datetime, window_days: int, due_soon_hours: int, tz: ZoneInfo) -> Deadline:
    """When the window closes, how long is left, and how urgent that is."""
    if now.tzinfo is None:
        raise ClockError("now: has no time zone")
    due = (requested_at + timedelta(days=window_days)).astimezone(tz)
    left = due - now
    if left <= timedelta(0):
        urgency = "overdue"
    elif left <= timedelta(hours=due_soon_hours):
        urgency = "due_soon"
    else:
        urgency = "on_time"
    return Deadline(due=due, left=left, urgency=urgency)


def fmt_left(left: timedelta, lang: str = "zh", sop=None) -> str:
    """A span in the SOP's words (ui.duration): '2天3小时5分'; negative reads as overdue by that much."""
    if sop is None:
        from .sop import default_sop  # the wording is learner text, so it lives in the SOP

        sop = default_sop()
    sign = "-" if left < timedelta(0) else ""
    total = abs(int(left.total_seconds())) // 60
    d, rem = divmod(total, 24 * 60)
    h, m = divmod(rem, 60)
    return sop.t("duration", lang).format(sign=sign, d=d, h=h, m=m)
