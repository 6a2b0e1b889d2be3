"""The refund calculator, driven as a learner types into it."""
from __future__ import annotations

from decimal import Decimal

import pytest

from refundkit.money import fmt
from refundkit.widgets import LanguageSwitch, RefundCalculator


@pytest.fixture
def calc(sop):
    return RefundCalculator(sop, LanguageSwitch(sop))


def _text(html_widget) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", html_widget.value)


@pytest.mark.parametrize("sid", ["SC02", "SC03", "SC04", "SC28"])
def test_shows_the_reviewed_refund_of_a_scenario(calc, scenarios, sid):
    sc = next(s for s in scenarios if s.id == sid)
    a = sc.case.amounts
    calc.set_amounts(goods=a.goods, shipping=a.shipping, coupon=a.coupon, discount=a.discount)
    want = Decimal(sc.expected["refund"])
    assert calc.refund.total == want
    assert fmt(want) in calc.result.value and "rk-total" in calc.result.value
    assert not any(e.value for e in calc.errors.values())


def test_each_line_names_its_component_and_treatment(calc, sop):
    calc.set_amounts(goods="259", shipping="12", coupon="30", discount="25.90")
    shown = _text(calc.result)
    for comp in sop.parameters.amount.components:
        assert comp.zh in shown
        assert sop.t(f"treatment_{comp.treatment}", "zh") in shown
    assert sop.parameters.amount.rule.zh in shown  # the SOP rule behind it


@pytest.mark.parametrize("field,value,key", [
    ("goods", "-5", "err_negative"),
    ("shipping", "abc", "err_not_number"),
    ("goods", "12.345", "err_fen"),
    ("coupon", "300", "err_coupon_above_price"),
])
def test_invalid_input_is_a_message_next_to_the_field(calc, sop, field, value, key):
    calc.set_amounts(goods="100", shipping="10")
    calc.fields[field].value = value  # must not raise
    assert sop.t(key, "zh") in calc.errors[field].value
    assert calc.refund is None and calc.result.value == ""
    others = [k for k in calc.errors if k != field]
    assert not any(calc.errors[k].value for k in others)


def test_an_amount_above_the_limit_is_the_sops_sentence_on_its_own(calc, sop):
    """Extra digits get the SOP's own reason, as a sentence (capitalised) that names no parameter key."""
    from html import unescape

    calc.set_amounts(goods="100", shipping="10")
    calc.fields["goods"].value = "99999999999"
    for lang in ("zh", "en"):
        calc.lang_switch.value = lang
        shown = unescape(_text(calc.errors["goods"])).strip()
        said = sop.parameters.amount_limit.refused(lang)
        assert shown == said[:1].upper() + said[1:], shown
        assert shown[:1] == shown[:1].upper() and "amount_limit" not in shown
    assert calc.refund is None


def test_coupon_plus_discount_above_price_flags_the_discount(calc, sop):
    calc.set_amounts(goods="100", coupon="60", discount="50")
    assert sop.t("err_deductions_above_price", "zh") in calc.errors["discount"].value
    calc.fields["discount"].value = "40"  # fixing it clears the message
    assert calc.errors["discount"].value == "" and calc.refund.total == Decimal("0.00")


def test_fee_line_for_a_method_with_a_fee(sop_text, tmp_path):
    from refundkit.sop import load_sop

    text = sop_text
    changed = tmp_path / "sop.yaml"
    changed.write_text(text.replace('fee_rate: "0"\n      fee_paid_first: true', 'fee_rate: "0.006"\n      fee_paid_first: true'),
                       encoding="utf-8")
    other = load_sop(changed)
    calc = RefundCalculator(other, LanguageSwitch(other), goods="100", method="original_channel")
    assert calc.refund.fee == Decimal("0.60")
    assert other.t("fee", "zh") in calc.result.value and fmt(Decimal("0.60")) in calc.result.value


def test_language_switch_relabels_fields(sop):
    lang = LanguageSwitch(sop)
    calc = RefundCalculator(sop, lang, goods="-1")
    goods = next(c for c in sop.parameters.amount.components if c.id == "goods")
    assert calc.fields["goods"].description == goods.zh
    lang.value = "en"
    assert calc.fields["goods"].description == goods.en
    assert sop.t("err_negative", "en") in calc.errors["goods"].value
    assert calc.method.description == sop.t("method", "en")
