"""Money exact to the fen; deadlines in the SOP's time zone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from refundkit.clock import ClockError, deadline, fmt_span, parse_time
from refundkit.money import MoneyError, fen, fmt, to_money

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("raw,want", [("12.5", "12.50"), (3, "3.00"), ("¥1,299.00", "1299.00"), (0.1, "0.10"), (Decimal("7.77"), "7.77")])
def test_to_money_parses_yuan(raw, want):
    assert to_money(raw) == Decimal(want)
    assert str(to_money(raw)) == want


@pytest.mark.parametrize("raw,part", [("-1", "must not be negative"), ("abc", "expected an amount"), ("1.005", "at most two decimals"), (None, "expected an amount"), ("nan", "expected an amount"), ("1e9", "expected an amount")])
def test_to_money_refuses(raw, part):
    with pytest.raises(MoneyError, match=part):
        to_money(raw, "goods")


def test_fen_rounds_half_up_and_fmt():
    assert fen(Decimal("0.005")) == Decimal("0.01")
    assert fmt(Decimal("1234.5")) == "¥1,234.50"


def test_parse_time_requires_an_offset():
    assert parse_time("2026-11-20T10:00:00+08:00").utcoffset() == timedelta(hours=8)
    with pytest.raises(ClockError, match="no time zone"):
        parse_time("2026-11-20T10:00:00", "requested_at")
    with pytest.raises(ClockError, match="expected an ISO time"):
        parse_time("yesterday", "requested_at")
    assert parse_time("2026-11-20 10:00", tz=SH).tzinfo is SH


def test_deadline_in_shanghai_from_utc_request():
    req = datetime(2026, 11, 13, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    now = datetime(2026, 11, 20, 9, 0, tzinfo=SH)
    dl = deadline(req, now, 7, 24, SH)
    assert dl.due == datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    assert dl.due.utcoffset() == timedelta(hours=8)
    assert dl.urgency == "due_soon" and dl.hours_left == 1
    assert deadline(req, now + timedelta(hours=1), 7, 24, SH).urgency == "overdue"
    assert deadline(req, now - timedelta(days=2), 7, 24, SH).urgency == "on_time"


def test_fmt_span_both_languages(sop):
    assert fmt_span(timedelta(days=2, hours=3, minutes=5), sop.t("duration", "zh")) == "2天3小时5分"
    assert fmt_span(timedelta(hours=-1), sop.t("duration", "en")) == "-0 d 1 h 0 min"


def test_fmt_span_takes_its_wording_as_given():
    assert fmt_span(timedelta(days=1, hours=2), "{d}日{h}时") == "1日2时"


def test_window_is_absolute_time_across_daylight_saving():
    """7 days are 168 hours, also when the clocks change in between (Europe/Berlin, 29 March 2026)."""
    berlin = ZoneInfo("Europe/Berlin")
    req = datetime(2026, 3, 25, 10, 0, tzinfo=berlin)        # +01:00
    dl = deadline(req, datetime(2026, 4, 1, 10, 30, tzinfo=berlin), 7, 24, berlin)
    utc = timezone.utc  # same-zone subtraction in Python is wall clock; absolute time is in UTC
    assert dl.due.astimezone(utc) - req.astimezone(utc) == timedelta(hours=168)
    assert dl.due.isoformat() == "2026-04-01T11:00:00+02:00"   # wall clock moved an hour
    assert (dl.urgency, dl.hours_left) == ("due_soon", 0.5)
