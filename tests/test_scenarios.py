"""The scenario bank: the engine reproduces every reviewed decision, and together they cover the SOP."""
from __future__ import annotations

import pytest

from refundkit.scenarios import ScenarioError, check, load_scenarios


def test_bank_size(scenarios):
    assert len(scenarios) >= 30
    assert len({s.id for s in scenarios}) == len(scenarios)


def test_every_scenario_matches_its_review(sop, scenarios):
    problems = [p for s in scenarios for p in check(s, sop)]
    assert problems == []


def test_each_expected_names_action_amount_deadline_cautions(scenarios):
    for s in scenarios:
        assert {"action", "refund", "deadline", "cautions"} <= set(s.expected), s.id


def test_bank_covers_every_action_rule_and_caution(sop, scenarios):
    decisions = [s.decide(sop) for s in scenarios]
    assert {d.action for d in decisions} == set(sop.action_by_id)
    assert {d.rule for d in decisions} == {r.id for r in sop.rules}
    applied = {c.id for d in decisions for c in d.cautions}
    assert applied == set(sop.caution_by_id)
    blocking = {c for d in decisions for c in d.blocked_by}
    assert blocking == {c.id for c in sop.cautions if c.blocks}


def test_a_broken_scenario_names_file_and_id(sop, tmp_path):
    bad = tmp_path / "sc.yaml"
    bad.write_text(
        "training_clock: '2026-11-20T10:00:00+08:00'\nscenarios:\n"
        "  - id: X1\n    title: {zh: a, en: a}\n    story: {zh: b, en: b}\n"
        "    case: {order_state: lost, request_type: refund_only, requested_at: '2026-11-19T10:00:00+08:00', amounts: {goods: '1'}}\n"
        "    expected: {action: blocked}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"sc.yaml: scenarios\[0\] \(X1\): case.order_state: unknown value 'lost'"):
        load_scenarios(sop, bad)
