"""decide(): the decision table, blocking cautions, amounts and deadlines, plus properties."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refundkit.cases import CASE_FACTS, CaseError, parse_case
from refundkit.engine import compute_refund, decide
from refundkit.sop import load_sop

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)


def make(sop, **kw):
    base = dict(order_state="not_shipped", request_type="refund_only", negotiation="refund_agreed",
                address_checked=True, customer_info_verified=True, merchant_balance="1000",
                requested_at="2026-11-19T10:00:00+08:00", amounts={"goods": "100"})
    base.update(kw)
    return parse_case(base, sop)


def test_first_matching_rule_wins(sop):
    # Platform intervention outranks the deadline, the deadline outranks a refusal.
    late = "2026-11-01T10:00:00+08:00"
    assert decide(make(sop, platform_intervention="in_progress", requested_at=late), sop, NOW).action == "await_platform"
    assert decide(make(sop, grounds_to_refuse=True, requested_at=late), sop, NOW).action == "auto_approved"
    assert decide(make(sop, grounds_to_refuse=True), sop, NOW).action == "refuse_with_explanation"


def test_status_branches(sop):
    assert decide(make(sop), sop, NOW).action == "cancel_and_refund"
    shipped = dict(order_state="received", request_type="return_and_refund")
    assert decide(make(sop, **shipped), sop, NOW).action == "request_return"
    assert decide(make(sop, **shipped, return_progress="in_transit"), sop, NOW).action == "wait_for_return"
    assert decide(make(sop, **shipped, return_progress="arrived"), sop, NOW).action == "refund_now"


def test_blocking_cautions_hold_a_payout(sop):
    d = decide(make(sop, address_checked=False, merchant_balance="5"), sop, NOW)
    assert d.action == "blocked" and d.held_action == "cancel_and_refund"
    assert d.blocked_by == ("C2", "C3")
    assert d.next_steps == () and d.after_refund == ()


def test_unknown_guard_is_to_check_not_a_block(sop):
    d = decide(make(sop, address_checked=None, merchant_balance=None), sop, NOW)
    assert d.action == "cancel_and_refund"
    assert d.to_check == ("C2", "C3")


def test_fee_for_the_original_channel(tmp_path, sop_text):
    changed = sop_text.replace('      fee_rate: "0"\n      fee_paid_first: true', '      fee_rate: "0.006"\n      fee_paid_first: true')
    path = tmp_path / "fee.yaml"
    path.write_text(changed, encoding="utf-8")
    s2 = load_sop(path)
    case = make(s2, refund_method="original_channel", amounts={"goods": "199.99"}, merchant_balance="200.00")
    d = decide(case, s2, NOW)
    assert d.refund.total == Decimal("199.99") and d.refund.fee == Decimal("1.20")  # 1.19994 -> 1.20
    # The balance must cover refund plus fee: 200.00 < 201.19, so caution 3 holds the refund.
    assert d.action == "blocked" and d.blocked_by == ("C3",)


@pytest.mark.parametrize("field,value,part", [
    ("order_state", "lost", "unknown value 'lost'"),
    ("requested_at", "2026-11-19T10:00:00", "no time zone"),
    ("amounts", {"goods": "-3"}, "must not be negative"),
    ("amounts", {"goods": "10", "coupon": "20"}, "coupon 20.00 is larger than the goods price 10.00"),
    ("refund_method", "cash", "unknown method 'cash'"),
    ("colour", "red", "unknown field"),
])
def test_bad_cases_name_the_field(sop, field, value, part):
    with pytest.raises(CaseError) as info:
        make(sop, **{field: value})
    assert part in str(info.value)
    assert str(info.value).startswith(field)


def test_missing_field_named(sop):
    with pytest.raises(CaseError, match=r"^order_state: missing \(required\)"):
        parse_case({"request_type": "refund_only", "requested_at": "2026-11-19T10:00:00+08:00", "amounts": {"goods": "1"}}, sop)


# -- properties ---------------------------------------------------------------

money = st.integers(min_value=0, max_value=10_000_00).map(lambda f: Decimal(f) / 100)


@st.composite
def cases(draw, sop):
    goods = draw(money)
    coupon = draw(st.integers(0, int(goods * 100)).map(lambda f: Decimal(f) / 100))
    discount = draw(st.integers(0, int((goods - coupon) * 100)).map(lambda f: Decimal(f) / 100))
    facts = {}
    for name in CASE_FACTS:
        domain = sop.facts[name].domain()
        if name in ("address_checked", "customer_info_verified"):
            domain = domain + [None]
        facts[name] = draw(st.sampled_from(domain))
    req = NOW - timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
    return parse_case(dict(
        facts, requested_at=req, merchant_balance=draw(st.one_of(st.none(), money)),
        amounts={"goods": goods, "shipping": draw(money), "coupon": coupon, "discount": discount},
        refund_method=draw(st.sampled_from(list(sop.method_by_id))),
    ), sop)


@given(data=st.data())
def test_refund_never_negative_nor_above_paid(sop, data):
    case = data.draw(cases(sop))
    total = compute_refund(case.amounts, case.refund_method, sop).total
    a = case.amounts
    assert Decimal(0) <= total <= a.goods + a.shipping - a.coupon - a.discount
    assert total == total.quantize(Decimal("0.01"))


@given(data=st.data(), extra=money)
def test_coupons_and_discounts_never_come_back_as_cash(sop, data, extra):
    case = data.draw(cases(sop))
    a = case.amounts
    bigger = a.model_copy(update={"goods": a.goods + extra, "coupon": a.coupon + extra})
    # Raising price and coupon together leaves the refund unchanged: the coupon is not paid out.
    assert compute_refund(bigger, "balance", sop).total == compute_refund(a, "balance", sop).total


@given(data=st.data(), later=st.integers(1, 30 * 24 * 60))
def test_later_now_never_moves_the_deadline(sop, data, later):
    case = data.draw(cases(sop))
    d1 = decide(case, sop, NOW)
    d2 = decide(case, sop, NOW + timedelta(minutes=later))
    assert d1.deadline.due == d2.deadline.due
    assert d2.deadline.left < d1.deadline.left


@given(data=st.data())
def test_decision_table_is_total_and_payouts_respect_cautions(sop, data):
    case = data.draw(cases(sop))
    d = decide(case, sop, NOW)
    assert d.action in sop.action_by_id
    assert d.money_out == sop.action_by_id[d.action].payout
    if sop.action_by_id[d.action].holdable:  # a payout the merchant makes waits for the blocking cautions
        assert all(c.status != "failed" for c in d.cautions if sop.caution_by_id[c.id].blocks)


def test_money_goes_out_once_defined(sop, scenarios):
    """The default approval pays the customer (S09) though no caution can hold it; a held payout pays nothing."""
    assert sop.money_out == {"cancel_and_refund", "refund_now", "auto_approved"}
    assert sop.holdable == {"cancel_and_refund", "refund_now"}
    seen = {}
    for sc in scenarios:
        d = sc.decide(sop)
        seen[d.action] = d.money_out
    assert seen["auto_approved"] is True and seen["blocked"] is False and seen["negotiate_first"] is False
