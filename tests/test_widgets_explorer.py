"""The decision explorer and its flowchart, driven by setting facts."""
from __future__ import annotations

import re

import pytest

from refundkit.engine import outcome
from refundkit.widgets import DecisionExplorer, LanguageSwitch, flowchart_svg


@pytest.mark.parametrize("sid", ["SC01", "SC03", "SC07", "SC14", "SC16", "SC17", "SC18", "SC11"])
def test_a_scenarios_facts_give_its_reviewed_action(sop, scenarios, sid):
    sc = next(s for s in scenarios if s.id == sid)
    ex = DecisionExplorer(sop, LanguageSwitch(sop), scenario=sc)
    assert ex.outcome.action == sc.expected["action"]
    assert f'data-action="{sc.expected["action"]}"' in ex.result.value
    assert sop.action_by_id[sc.expected["action"]].zh in ex.result.value
    assert 'class="rk-flow-rule rk-flow-active" id="rk-flow-rule-' + ex.outcome.rule + '"' in ex.flowchart.value


def test_walking_an_order_through_its_states(sop):
    ex = DecisionExplorer(sop, LanguageSwitch(sop), show_flowchart=False)
    ex.set_facts(negotiation="refund_agreed", address_checked=True, customer_info_verified=True,
                 balance_sufficient=True, order_state="not_shipped")
    assert ex.outcome.action == "cancel_and_refund"
    ex.controls["order_state"].value = "shipped"
    assert ex.outcome.action == "request_return"
    ex.controls["return_progress"].value = "in_transit"
    assert ex.outcome.action == "wait_for_return"
    ex.controls["return_progress"].value = "arrived"
    assert ex.outcome.action == "refund_now"
    ex.controls["address_checked"].value = "false"  # caution C2 fails: the payout is held
    assert ex.outcome.action == "blocked" and ex.outcome.held_action == "refund_now"
    assert "C2" in ex.outcome.blocked_by and sop.t("held", "zh") in ex.result.value
    ex.controls["address_checked"].value = ""  # unknown: to check, not blocked
    assert ex.outcome.action == "refund_now"
    assert "rk-caution-to_check" in ex.result.value
    ex.controls["overdue"].value = "true"
    assert ex.outcome.action == "auto_approved"


def test_explorer_agrees_with_engine_on_every_rule_row(sop):
    """For each rule, facts that satisfy it (and none above) give that rule's action."""
    ex = DecisionExplorer(sop, LanguageSwitch(sop), show_flowchart=False)
    for rule in sop.rules:
        facts = {k: (v[0] if isinstance(v, list) else v) for k, v in rule.when.items()}
        ex.set_facts(**facts)
        assert ex.outcome == outcome(ex.facts, sop)


def test_flowchart_is_drawn_from_the_sop(sop):
    svg = flowchart_svg(sop, "zh")
    assert svg.startswith("<svg") and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for rule in sop.rules:
        assert f'id="rk-flow-rule-{rule.id}"' in svg
        assert sop.action_by_id[rule.action].zh in svg
    assert "rk-flow-active" not in svg  # nothing highlighted without an outcome
    en = flowchart_svg(sop, "en")
    assert sop.t("flow_start", "en") in en and sop.t("flow_start", "zh") not in en


def test_flowchart_follows_a_changed_sop(sop_text, tmp_path):
    from refundkit.sop import load_sop

    path = tmp_path / "sop.yaml"
    path.write_text(sop_text.replace("  - id: R01\n", "  - id: R01X\n"), encoding="utf-8")
    changed = load_sop(path)
    assert 'id="rk-flow-rule-R01X"' in flowchart_svg(changed, "zh")


def test_language_switch_relabels_facts(sop):
    lang = LanguageSwitch(sop)
    ex = DecisionExplorer(sop, lang)
    lang.value = "en"
    assert ex.controls["order_state"].description == sop.facts["order_state"].en
    labels = [label for label, _ in ex.controls["order_state"].options]
    assert labels == [sop.facts["order_state"].label(v, "en") for v in sop.facts["order_state"].domain()]
    assert re.search(sop.t("flow_start", "en"), ex.flowchart.value)
