"""Engine layer: decide(case, sop, now) -> Decision, the one place a case becomes an action.

Pure: no I/O, no clock, no words (refundkit.words turns a Decision into text). The SOP is compiled once into a table (`refundkit.table`); one case
is a one-row application of that table, exactly as the triage applies it to a whole frame:
the first rule whose conditions hold gives the action; blocking cautions then hold back a
payout the merchant makes while their guard fact is false.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from .cases import Amounts, Case
from .clock import Deadline, to_ns
from .errors import CaseError, ClockError, NoRuleError
from .sop import Sop
from .table import MAX_FEN, STATUS, Applied, Table, compile_table
from .vocab import CASE_FACTS, KNOWN_FACTS

__all__ = ["Line", "Refund", "CautionCheck", "Decision", "Outcome", "NoRuleError", "compute_refund",
           "case_facts", "outcome", "decide"]


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
    money_out: bool = False   # money goes to the customer (the action's `payout`)

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
            "money_out": self.money_out,
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


def _fen(amount: Decimal, name: str) -> int:
    f = int(amount.scaleb(2))
    if f > MAX_FEN:
        raise CaseError(name, f"{amount} is too large an amount to refund (at most {Decimal(MAX_FEN).scaleb(-2)})")
    return f


def _yuan(f) -> Decimal:
    return Decimal(int(f)).scaleb(-2)


def _columns(case: Case, table: Table) -> dict[str, np.ndarray]:
    """One case as the one-row columns `Table.apply` reads (the frame path builds the same from a frame)."""
    codes = np.array([[table.code(name, getattr(case, name))] for name in CASE_FACTS], dtype=np.int16)
    cols: dict[str, np.ndarray] = dict(zip(CASE_FACTS, codes))  # one row each: views, not copies
    known = case.merchant_balance is not None
    ints = np.array([[_fen(getattr(case.amounts, c), f"amounts.{c}")] for c in table.components]
                    + [[table.methods.index(case.refund_method)], [to_ns(case.requested_at)],
                       [_fen(case.merchant_balance, "merchant_balance") if known else 0]], dtype=np.int64)
    cols.update(zip([f"{c}_fen" for c in table.components] + ["method", "requested_ns", "balance_fen"], ints))
    cols["balance_known"] = np.array([known])
    return cols


def _apply(case: Case, sop: Sop, now: datetime) -> tuple[Table, Applied]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ClockError("now: has no time zone")
    table = compile_table(sop)
    return table, table.apply(_columns(case, table), to_ns(now))


def _refund(amounts: Amounts, method: str, table: Table, total_fen, fee_fen) -> Refund:
    lines = tuple(Line(c, tr, getattr(amounts, c), getattr(amounts, c) * sign)
                  for c, tr, sign in zip(table.components, table.treatments, table.signs))
    total, fee = _yuan(total_fen), _yuan(fee_fen)
    return Refund(lines, total, method, fee, total + fee)


def _facts(case: Case, applied: Applied, table: Table) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(case, name) for name in CASE_FACTS}
    for name in KNOWN_FACTS[len(CASE_FACTS):]:  # the derived facts, read back from their codes
        code = int(applied.codes[name][0])
        facts[name] = None if code < 0 else table.domains[name][code]
    return facts


def _deadline(applied: Applied, table: Table) -> Deadline:
    return Deadline.from_ns(applied.due_ns[0], applied.left_ns[0], applied.urgency[0], table.tz)


def compute_refund(amounts: Amounts, method: str, sop: Sop) -> Refund:
    """The refund line by line, as the SOP's amount components say (S07), and the method's fee (S08)."""
    table = compile_table(sop)
    if method not in table.methods:
        raise CaseError("refund_method", f"unknown method {method!r} (expected one of {', '.join(table.methods)})")
    total = table.refund_fen({c: np.array([_fen(getattr(amounts, c), c)]) for c in table.components})
    fee = table.fee_fen(total, np.array([table.methods.index(method)]))
    return _refund(amounts, method, table, total[0], fee[0])


def case_facts(case: Case, sop: Sop, now: datetime) -> tuple[dict[str, Any], Refund, Deadline]:
    """The facts the rules test: the case's own plus the derived ones."""
    table, applied = _apply(case, sop, now)
    refund = _refund(case.amounts, case.refund_method, table, applied.refund_fen[0], applied.fee_fen[0])
    return _facts(case, applied, table), refund, _deadline(applied, table)


@dataclass(frozen=True)
class Outcome:
    """What the rules and cautions make of a set of facts (no money, no clock)."""
    rule: str
    action: str
    held_action: str | None
    cautions: tuple[CautionCheck, ...]
    blocked_by: tuple[str, ...]


def _outcome(table: Table, judged, facts: dict[str, Any]) -> Outcome:
    rule = int(judged.rule[0])
    if rule < 0:
        shown = ", ".join(f"{k}={v}" for k, v in facts.items())
        raise NoRuleError(f"no rule of SOP {table.version} covers this case ({shown})")
    held = int(judged.held[0])
    cautions = tuple(CautionCheck(cid, STATUS[int(st)]) for cid, st in zip(table.caution_ids, judged.status[:, 0]) if st)
    blocked_by = tuple(cid for cid, b in zip(table.caution_ids, judged.blocking[:, 0]) if b)
    return Outcome(table.rule_ids[rule], table.action_ids[int(judged.action[0])],
                   table.action_ids[held] if held >= 0 else None, cautions, blocked_by)


def outcome(facts: dict[str, Any], sop: Sop) -> Outcome:
    """First matching rule, then blocking cautions hold back a payout.

    For a face which lets the learner set the facts directly (the decision explorer):
    the same compiled table `decide` applies.
    """
    table = compile_table(sop)
    codes = {name: np.array([table.code(name, facts.get(name))], dtype=np.int16) for name in KNOWN_FACTS}
    return _outcome(table, table.judge(codes), facts)


def decide(case: Case, sop: Sop, now: datetime) -> Decision:
    """What the SOP says to do with `case` at time `now`."""
    table, applied = _apply(case, sop, now)
    facts = _facts(case, applied, table)
    out = _outcome(table, applied.judged, facts)
    act = table.action_ids.index(out.action)
    return Decision(
        case_id=case.id, action=out.action, rule=out.rule, held_action=out.held_action,
        refund=_refund(case.amounts, case.refund_method, table, applied.refund_fen[0], applied.fee_fen[0]),
        deadline=_deadline(applied, table),
        cautions=out.cautions, blocked_by=out.blocked_by,
        next_steps=() if out.blocked_by else table.next_steps[act],
        after_refund=table.after_refund[act],
        facts=facts, sop_version=sop.version, money_out=out.action in table.money_out,
    )
