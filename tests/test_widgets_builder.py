"""The case builder: a learner sets up a case with the mouse and walks it in the wizard."""
from __future__ import annotations

from decimal import Decimal

from refundkit.engine import decide
from refundkit.widgets import CaseBuilder, LanguageSwitch


def _builder(sop, scenarios):
    return CaseBuilder(sop, LanguageSwitch(sop), now=scenarios[0].now)


def test_a_built_case_is_walked_with_the_engines_answers(sop, scenarios):
    b = _builder(sop, scenarios)
    b.set_facts(order_state="received", request_type="return_and_refund", return_progress="arrived",
                negotiation="refund_agreed", address_checked=True, customer_info_verified=True)
    b.calculator.set_amounts(goods="120", shipping="10", coupon="20")
    b.balance.value = "500"
    wz = b.start_button.click() or b.wizard
    assert wz is not None and b.wizard_box.children == (wz,)
    want = decide(wz.case, sop, b.now)
    assert wz.decision.action == want.action == "refund_now"
    assert wz.decision.refund.total == Decimal("110.00")
    wz.answer("refund_now")
    assert sop.t("correct", "zh") in wz.feedback.value


def test_unknown_guard_facts_stay_unknown(sop, scenarios):
    b = _builder(sop, scenarios)
    b.set_facts(negotiation="refund_agreed", order_state="not_shipped")
    b.calculator.set_amounts(goods="50")
    b.start()
    assert b.wizard.case.address_checked is None and b.wizard.case.merchant_balance is None
    assert "to_check" in {c.status for c in b.wizard.decision.cautions}


def test_bad_input_is_a_message_and_no_wizard(sop, scenarios):
    b = _builder(sop, scenarios)
    b.calculator.set_amounts(goods="abc")
    assert b.start() is None and b.wizard is None
    assert sop.t("err_not_number", "zh") in b.message.value
    b.calculator.set_amounts(goods="10")
    b.requested.value = "soon"
    assert b.start() is None and sop.t("err_time", "zh") in b.message.value
    b.requested.value = "2026-11-19 09:00"
    b.balance.value = "-3"
    assert b.start() is None and sop.t("err_negative", "zh") in b.message.value


def test_builder_follows_the_language_switch(sop, scenarios):
    lang = LanguageSwitch(sop)
    b = CaseBuilder(sop, lang, now=scenarios[0].now)
    lang.value = "en"
    assert b.start_button.description == sop.t("start_wizard", "en")
    assert b.controls["order_state"].description == sop.facts["order_state"].en
