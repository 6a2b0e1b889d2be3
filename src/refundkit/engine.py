"""decide(case, sop, now) -> Decision: the one place a case becomes an action.

Pure: no I/O, no clock, no words (refundkit.words turns a Decision into text). The SOP's decision table (`rules:`) is read top to
bottom and the first rule whose conditions hold gives the action; blocking
cautions then hold back any payout whose guard fact is false.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .cases import Amounts, Case
from .clock import Deadline, deadline
from .errors import NoRuleError
from .money import fen
from .sop import Sop
from .vocab import CASE_FACTS

SIGN = {"include": 1, "deduct": -1, "ignore": 0}


@dataclass(frozen=True)
class Line:
    component: str      # amount component id (goods, shipping, coupon, discount)
    treatment: str      # include | deduct | ignore
    amount: Decimal     # as entered
    signed: Decimal     # what it adds to the refund


@dataclass(frozen=True)
class Refund:
    lines: tuple[Line, ...]
    total: Decimal        # what the customer gets back
    method: str
    fee: Decimal          # channel handling fee the merchant pays
    merchant_cost: Decimal  # total + fee: what the balance must cover


@dataclass(frozen=True)
class CautionCheck:
    id: str
    status: str  # ok | failed | to_check | info


@dataclass(frozen=True)
class Decision:
    case_id: str
    action: str
    rule: str
    held_action: str | None
    refund: Refund
    deadline: Deadline
    cautions: tuple[CautionCheck, ...]
    blocked_by: tuple[str, ...]
    next_steps: tuple[str, ...]
    after_refund: tuple[str, ...]
    facts: dict[str, Any] = field(compare=False)
    sop_version: str = ""

    @property
    def to_check(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.cautions if c.status == "to_check")

    def as_dict(self) -> dict[str, Any]:
        """Plain data (strings for money and times) for JSON, tables and comparisons."""
        return {
            "case_id": self.case_id,
            "action": self.action,
            "rule": self.rule,
            "held_action": self.held_action,
            "refund": str(self.refund.total),
            "fee": str(self.refund.fee),
            "lines": {ln.component: str(ln.signed) for ln in self.refund.lines},
            "method": self.refund.method,
            "deadline": self.deadline.due.isoformat(),
            "hours_left": round(self.deadline.hours_left, 2),
            "urgency": self.deadline.urgency,
            "cautions": {c.id: c.status for c in self.cautions},
            "blocked_by": list(self.blocked_by),
            "next_steps": list(self.next_steps),
            "after_refund": list(self.after_refund),
            "sop_version": self.sop_version,
        }


def compute_refund(amounts: Amounts, method: str, sop: Sop) -> Refund:
    """The refund line by line, as the SOP's amount components say (S07)."""
    lines = []
    for comp in sop.parameters.amount.components:
        value = getattr(amounts, comp.id)
        lines.append(Line(comp.id, comp.treatment, value, value * SIGN[comp.treatment]))
    total = fen(max(Decimal("0"), sum((ln.signed for ln in lines), Decimal("0"))))
    m = sop.method_by_id[method]
    fee = fen(total * m.fee_rate)
    return Refund(tuple(lines), total, method, fee, total + fee)


def case_facts(case: Case, sop: Sop, now: datetime) -> tuple[dict[str, Any], Refund, Deadline]:
    """The facts the rules test: the case's own plus the derived ones."""
    p = sop.parameters
    refund = compute_refund(case.amounts, case.refund_method, sop)
    dl = deadline(case.requested_at, now, p.handling_window.days, p.due_soon_hours, sop.tz)
    facts = {name: getattr(case, name) for name in CASE_FACTS}
    facts["overdue"] = dl.overdue
    facts["balance_sufficient"] = None if case.merchant_balance is None else case.merchant_balance >= refund.merchant_cost
    return facts, refund, dl


def rule_matches(when: dict[str, Any], facts: dict[str, Any]) -> bool:
    for name, want in when.items():
        allowed = want if isinstance(want, list) else [want]
        if facts.get(name) is None or facts[name] not in allowed:
            return False
    return True


def first_rule(sop: Sop, facts: dict[str, Any]):
    for rule in sop.rules:
        if rule_matches(rule.when, facts):
            return rule
    return None


def check_cautions(sop: Sop, action: str, facts: dict[str, Any]) -> tuple[CautionCheck, ...]:
    out = []
    for c in sop.cautions:
        if not sop.caution_applies(c, action):
            continue
        if c.guard is None:
            status = "info"
        else:
            value = facts.get(c.guard)
            status = "to_check" if value is None else ("ok" if value else "failed")
        out.append(CautionCheck(c.id, status))
    return tuple(out)


@dataclass(frozen=True)
class Outcome:
    """What the rules and cautions make of a set of facts (no money, no clock)."""
    rule: str
    action: str
    held_action: str | None
    cautions: tuple[CautionCheck, ...]
    blocked_by: tuple[str, ...]


def outcome(facts: dict[str, Any], sop: Sop) -> Outcome:
    """First matching rule, then blocking cautions hold back a payout.

    Split from `decide` so that a face which lets the learner set the facts
    directly (the decision explorer) asks the same code.
    """
    rule = first_rule(sop, facts)
    if rule is None:
        shown = ", ".join(f"{k}={v}" for k, v in facts.items())
        raise NoRuleError(f"no rule of SOP {sop.version} covers this case ({shown})")
    action = rule.action
    cautions = check_cautions(sop, action, facts)
    held = None
    blocked_by: tuple[str, ...] = ()
    if sop.action_by_id[action].payout:
        blocked_by = tuple(c.id for c in cautions if c.status == "failed" and sop.caution_by_id[c.id].blocks)
        if blocked_by:
            held, action = action, "blocked"
    return Outcome(rule.id, action, held, cautions, blocked_by)


def decide(case: Case, sop: Sop, now: datetime) -> Decision:
    """What the SOP says to do with `case` at time `now`."""
    facts, refund, dl = case_facts(case, sop, now)
    out = outcome(facts, sop)
    action, held, cautions, blocked_by = out.action, out.held_action, out.cautions, out.blocked_by
    shown_action = held or action
    next_steps = tuple(sop.action_by_id[shown_action].steps) if not blocked_by else ()
    after = tuple(t.id for t in sop.after_refund.tasks if action in t.after)
    return Decision(
        case_id=case.id, action=action, rule=out.rule, held_action=held, refund=refund, deadline=dl,
        cautions=cautions, blocked_by=blocked_by, next_steps=next_steps, after_refund=after,
        facts=facts, sop_version=sop.version,
    )
