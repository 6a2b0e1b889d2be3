"""Amounts and times as a Chinese user types them: one reading in every widget and in `refundkit decide`."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from refundkit.cli import main
from refundkit.typed_input import InputError, amount, moment
from refundkit.widgets import CaseBuilder, DeadlineClock, LanguageSwitch, ProcedureWizard, RefundCalculator

DAY = date(2026, 11, 20)


@pytest.mark.parametrize("typed,want", [
    ("２１５．１０", "215.10"), ("¥1,299.00", "1299.00"), ("￥８８", "88.00"), ("88元", "88.00"),
    ("1，000", "1000.00"), ("215。10", "215.10"), (" 12.5 ", "12.50"), ("0", "0.00"), ("1,234,567.8", "1234567.80"),
])
def test_amounts_as_typed(typed, want):
    assert amount(typed) == Decimal(want)


@pytest.mark.parametrize("typed,key", [
    ("1e9", "err_not_number"), ("1E3", "err_not_number"), ("inf", "err_not_number"), ("NaN", "err_not_number"),
    ("1_000", "err_not_number"), ("12,50元x", "err_not_number"), ("-5", "err_negative"), ("－５", "err_negative"),
    ("1,5", "err_not_number"), ("12,50", "err_not_number"), ("1,0000", "err_not_number"), (",100", "err_not_number"),
    ("1.005", "err_fen"), ("9" * 40, "err_too_large"),
])
def test_amounts_refused_with_the_reason(typed, key):
    with pytest.raises(InputError) as exc:
        amount(typed)
    assert exc.value.key == key


def test_amount_limit_is_the_callers():
    assert amount("1000000", maximum=Decimal("1000000")) == Decimal("1000000.00")
    with pytest.raises(InputError, match="limit"):
        amount("1000000.01", maximum=Decimal("1000000"))


@pytest.mark.parametrize("typed,want", [
    ("2026-11-20 10:00", datetime(2026, 11, 20, 10, 0)), ("2026/11/20 10:00", datetime(2026, 11, 20, 10, 0)),
    ("2026/1/5 9:30", datetime(2026, 1, 5, 9, 30)), ("2026年11月18日 9点30分", datetime(2026, 11, 18, 9, 30)),
    ("11月18日 10:00", datetime(2026, 11, 18, 10, 0)), ("9:30", datetime(2026, 11, 20, 9, 30)),
    ("９：３０", datetime(2026, 11, 20, 9, 30)), ("２０２６－１１－１９　８：０５", datetime(2026, 11, 19, 8, 5)),
    ("2026-11-20T10:00:00", datetime(2026, 11, 20, 10, 0)),
])
def test_times_as_typed(typed, want):
    assert moment(typed, today=DAY) == want


@pytest.mark.parametrize("typed", ["yesterday", "2026-11-20", "2026-02-30 10:00", "25:00", "", "10"])
def test_times_refused(typed):
    with pytest.raises(InputError) as exc:
        moment(typed, today=DAY)
    assert exc.value.key == "err_time"


def test_no_date_without_a_day_to_read_it_on():
    with pytest.raises(InputError):
        moment("9:30")


def test_an_offset_is_kept():
    assert moment("2026-11-20T10:00+08:00").utcoffset() == timedelta(hours=8)


# -- every widget reads the same way -----------------------------------------

def test_calculator_and_wizard_take_full_width(sop, scenarios):
    calc = RefundCalculator(sop, LanguageSwitch(sop))
    calc.set_amounts(goods="１２８．００", shipping="¥8", coupon="10元")
    assert calc.refund.total == Decimal("126.00")
    calc.set_amounts(goods="1e9")
    assert calc.refund is None and sop.t("err_not_number", "zh") in calc.errors["goods"].value

    sc = next(s for s in scenarios if s.decide(sop).refund.total > 0 and not s.decide(sop).blocked_by)
    wz = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)
    for _ in wz.stages:
        if wz.kind == "amount":
            break
        if wz.kind == "cautions":
            wz.checklist.tick(*wz.checklist.applicable)
        if wz.kind:
            wz.answer(wz.expected())
        wz.next_button.click()
    assert wz.kind == "amount", "the scenario's walk has an amount step"
    typed = str(wz.expected()).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    wz.answer(typed)
    assert "rk-msg-ok" in wz.feedback.value and wz.results[-1]["right"], wz.feedback.value


def test_clock_reads_common_spellings_and_flags_a_future_request(sop):
    clock = DeadlineClock(sop, LanguageSwitch(sop), requested_at="2026/11/18 9:30", now="2026-11-20 10:00")
    assert clock.deadline is not None
    due = clock.deadline.due
    clock.requested.value = "11月18日 9:30"
    assert clock.deadline.due == due
    clock.requested.value = "９：３０"  # on the clock's own day
    assert clock.deadline.due == due + timedelta(days=2)
    clock.requested.value = "2026-11-21 10:00"  # after now
    assert clock.deadline is None and clock.result.value == ""
    assert sop.t("err_future", "zh") in clock.errors["requested"].value
    window = timedelta(days=sop.window_days)
    clock.requested.value = "2026-11-20 10:00"  # just now: the whole window, never more
    assert clock.deadline.left == window


def test_case_builder_refuses_a_future_request(sop):
    now = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    b = CaseBuilder(sop, LanguageSwitch(sop), now=now)
    b.calculator.set_amounts(goods="９９")
    b.requested.value = "11月21日 9:00"
    assert b.start() is None and sop.t("err_future", "zh") in b.message.value
    b.requested.value = "11月19日 9:00"
    b.balance.value = "１，０００"
    assert b.start() is not None
    assert b.wizard.case.merchant_balance == Decimal("1000.00")
    assert b.wizard.case.amounts.goods == Decimal("99.00")


def test_decide_reads_a_case_file_the_same_way(tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_text("order_state: not_shipped\nrequest_type: refund_only\n"
                    "requested_at: '2026/11/19 09:30+08:00'\n"
                    "amounts: {goods: '１２８．００', shipping: '¥8', coupon: '10元'}\n", encoding="utf-8")
    assert main(["decide", str(case), "--now", "2026-11-20T10:00:00+08:00", "--json"]) == 0
    assert '"126.00"' in capsys.readouterr().out
    case.write_text(case.read_text(encoding="utf-8").replace("'１２８．００'", "'1e9'"), encoding="utf-8")
    assert main(["decide", str(case), "--now", "2026-11-20T10:00:00+08:00"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "amounts.goods" in err and "expected an amount" in err
