"""Money exact to the fen; deadlines in the SOP's time zone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from refundkit.clock import ClockError, deadline, fmt_left, parse_time
from refundkit.money import MoneyError, fen, fmt, to_money

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("raw,want", [("12.5", "12.50"), (3, "3.00"), ("¥1,299.00", "1299.00"), (0.1, "0.10"), (Decimal("7.77"), "7.77")])
def test_to_money_parses_yuan(raw, want):
    assert to_money(raw) == Decimal(want)
    assert str(to_money(raw)) == want


@pytest.mark.parametrize("raw,part", [("-1", "must not be negative"), ("abc", "expected an amount"), ("1.005", "at most two decimals"), (None, "expected an amount"), ("nan", "finite")])
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


def test_fmt_left_both_languages():
    assert fmt_left(timedelta(days=2, hours=3, minutes=5)) == "2天3小时5分"
    assert fmt_left(timedelta(hours=-1), "en") == "-0 d 1 h 0 min"


def test_fmt_left_wording_comes_from_the_sop(sop):
    changed = sop.model_copy(update={"ui": {**sop.ui, "duration": type(sop.ui["days"])(zh="{d}日{h}时", en="{d}d{h}h")}})
    assert fmt_left(timedelta(days=1, hours=2), "zh", changed) == "1日2时"
