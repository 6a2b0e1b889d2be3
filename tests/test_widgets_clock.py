"""The deadline clock, read at fixed times."""
from __future__ import annotations

from datetime import timedelta

import pytest

from refundkit.clock import fmt_span
from refundkit.widgets import DeadlineClock, LanguageSwitch


@pytest.mark.parametrize("sid", ["SC01", "SC11", "SC13", "SC26", "SC27"])
def test_shows_the_reviewed_deadline_and_band(sop, scenarios, sid):
    sc = next(s for s in scenarios if s.id == sid)
    clock = DeadlineClock(sop, LanguageSwitch(sop), requested_at=sc.case.requested_at, now=sc.now)
    assert clock.deadline.urgency == sc.expected["urgency"]
    assert sc.expected["deadline"] in clock.result.value
    assert f"rk-band-{sc.expected['urgency']}" in clock.result.value
    assert sop.t(sc.expected["urgency"], "zh") in clock.result.value
    assert sop.parameters.handling_window.at_deadline.zh in clock.result.value  # what happens at the deadline
    assert {"on_time": "success", "due_soon": "warning", "overdue": "danger"}[sc.expected["urgency"]] == clock.bar.bar_style


def test_moving_now_moves_time_left_and_band(sop):
    clock = DeadlineClock(sop, LanguageSwitch(sop), requested_at="2026-11-13 10:00", now="2026-11-14 10:00")
    window = timedelta(days=sop.window_days)
    assert fmt_span(window - timedelta(days=1), sop.t("duration", "zh")) in clock.result.value
    assert clock.deadline.urgency == "on_time"
    due = clock.deadline.due
    clock.now.value = f"{due - timedelta(hours=sop.parameters.due_soon_hours - 1):%Y-%m-%d %H:%M}"
    assert clock.deadline.urgency == "due_soon"
    assert sop.parameters.handling_window.late.zh in clock.result.value
    clock.now.value = f"{due + timedelta(days=1, minutes=30):%Y-%m-%d %H:%M}"
    assert clock.deadline.urgency == "overdue" and clock.bar.value == 1.0
    # overdue by how much, in words: not a time left below zero
    for lang in ("zh", "en"):
        clock.lang_switch.value = lang
        by = fmt_span(timedelta(days=1, minutes=30), sop.t("duration", lang))
        assert f'{sop.t("overdue", lang)}</span>: <span class="rk-left">{by}</span>' in clock.result.value
        assert "-" not in by and sop.t("time_left", lang) not in clock.result.value


def test_bad_time_is_a_message_not_an_exception(sop):
    clock = DeadlineClock(sop, LanguageSwitch(sop), requested_at="2026-11-13 10:00", now="2026-11-14 10:00")
    clock.requested.value = "yesterday"
    assert sop.t("err_time", "zh") in clock.errors["requested"].value
    assert clock.deadline is None and clock.result.value == ""
    clock.requested.value = "2026-11-13T10:00"
    assert clock.errors["requested"].value == "" and clock.deadline is not None


def test_english(sop):
    lang = LanguageSwitch(sop)
    clock = DeadlineClock(sop, lang, requested_at="2026-11-13 10:00", now="2026-11-14 10:00")
    lang.value = "en"
    assert sop.t("deadline", "en") in clock.result.value and clock.requested.description == sop.t("requested_at", "en")
