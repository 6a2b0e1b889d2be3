"""refundkit.words: the one wording of decisions, refunds, deadlines and rules, and placeholders in prose."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from refundkit import placeholders, words
from refundkit.engine import decide
from refundkit.exercises.bank import DEFAULT_BANK_PATH, BankError, load_bank
from refundkit.sop import SopError, parse_sop

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_explain_cites_ids_in_both_languages(make_case, sop):
    d = decide(make_case(sop, amounts={"goods": "259", "shipping": "12", "coupon": "30", "discount": "25.90"}), sop, NOW)
    zh, en = words.explain(d, sop, "zh"), words.explain(d, sop, "en")
    assert "取消订单并退款 [cancel_and_refund]" in zh and "R07 (P03): 订单状态 = 未发货" in zh and "¥215.10" in zh
    assert "Cancel the order and refund" in en and "− Coupon deduction ¥30.00" in en and "= Total ¥215.10" in en
    assert words.conditions("R07", sop, "en") == "Order status = Not shipped"


def test_explain_names_the_method_and_its_condition(make_case, sop, sop_text):
    rated = parse_sop(sop_text.replace('      fee_rate: "0"\n      fee_paid_first: true', '      fee_rate: "0.006"\n      fee_paid_first: true'))
    d = decide(make_case(rated, refund_method="original_channel", amounts={"goods": "200"}), rated, NOW)
    en = words.explain(d, rated, "en").splitlines()
    method = rated.method_by_id["original_channel"]
    assert f"Refund method: {method.en} [S08]" in en
    assert "  Channel handling fee (paid by the merchant): ¥1.20 (to be paid before the refund)" in en
    balance = words.explain(decide(make_case(sop), sop, NOW), sop, "zh")
    assert f"退款方式: {sop.method_by_id['balance'].zh} [S08]" in balance and "须在退款前先支付" not in balance


def test_refund_lines_one_sign_per_treatment(make_case, sop):
    d = decide(make_case(sop, amounts={"goods": "100", "shipping": "8", "coupon": "10"}), sop, NOW)
    assert words.refund_lines(d.refund, sop, "en") == [
        "+ Goods amount ¥100.00", "+ Shipping ¥8.00", "− Coupon deduction ¥10.00", "− Discount ¥0.00", "= Total ¥98.00"]
    assert [p.treatment for p in words.refund_parts(d.refund, sop, "zh")][:3] == ["计入退款", "计入退款", "不退(已抵扣)"]


def test_deadline_line_cites_the_window_caution_found_in_the_sop(make_case, sop, sop_text):
    d = decide(make_case(sop), sop, NOW)
    assert words.deadline_line(d.deadline, sop, "en") == "Deadline: 2026-11-26 10:00 (On time; Time left 6 d 0 h 0 min) [C1]"
    # Renumber the caution: the citation follows the SOP, not a literal in code.
    renamed = parse_sop(sop_text.replace("  - id: C1\n", "  - id: C9\n").replace("{C1: info", "{C9: info"))
    assert [c.id for c in words.window_cautions(renamed)] == ["C9"]
    assert words.deadline_line(d.deadline, renamed, "zh").endswith("[C9]")
    assert words.window_rule(sop, "en").startswith("C1: The merchant must handle a refund request within 7 days")
    assert " N03: The 7-day window starts" in words.window_rule(sop, "en")


def test_placeholders_fill_every_text_from_the_parameters(sop_text):
    ten = parse_sop(re.sub(r"(handling_window:\n\s+days:) \d+", r"\1 10", sop_text))
    assert "10天内" in ten.caution_by_id["C1"].text.zh and "within 10 days" in ten.caution_by_id["C1"].text.en
    assert ten.notes_for("S01")[0].en.startswith("The 10-day window")
    assert "{window_days}" in sop_text and "{" not in ten.caution_by_id["C1"].text.zh
    # Interface words keep the braces their code fills.
    assert ten.t("triage_due_within", "en") == "Due within {hours} h"


def test_unknown_placeholder_is_refused_with_its_line(sop_text):
    with pytest.raises(SopError) as err:
        parse_sop(sop_text.replace("{window_days}天期限", "{window_day}天期限"), "sop.yaml")
    (line,) = err.value.problems
    assert re.match(r"sop\.yaml:\d+: notes\[2\]\.zh: unknown placeholder \{window_day\}", line), line


def test_questions_and_scenarios_are_filled_from_the_sop(sop_text, tmp_path):
    assert placeholders.fill("{window_days}天 / {hours}", {"window_days": "10"}) == "10天 / {hours}"
    ten = parse_sop(re.sub(r"(handling_window:\n\s+days:) \d+", r"\1 10", sop_text))
    from refundkit.scenarios import load_scenarios

    sc19 = next(s for s in load_scenarios(ten) if s.id == "SC19")
    assert "10-day window" in sc19.story.en and "10天" in sc19.story.zh
    bank = tmp_path / "q.yaml"
    src = DEFAULT_BANK_PATH.read_text(encoding="utf-8")
    bank.write_text(src.replace('hint: {zh: "先看订单状态:货还没发出去。"', 'hint: {zh: "期限是{window_days}天;先看订单状态。"', 1),
                    encoding="utf-8")
    q = load_bank(bank, sop=ten).question("ex01.q01")
    assert q.hint.zh == "期限是10天;先看订单状态。"
    bank.write_text(src.replace('hint: {zh: "先看订单状态:货还没发出去。"', 'hint: {zh: "{window}天"', 1), encoding="utf-8")
    with pytest.raises(BankError, match=r"\(q01\): hint\.zh: unknown placeholder \{window\}"):
        load_bank(bank, sop=ten)
