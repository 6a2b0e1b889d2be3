"""Compiled-table layer: the SOP compiled once into arrays, applied to one case or to many.

    sop (model) ──compile_table──► Table ──► engine.decide (one case: one row)
                                        └──► triage.vectorised.decide_frame (a frame: many rows)

Both callers hand `Table.apply` the same columns (numpy arrays, one entry per case) and read
the same result, so every part of the table exists once:
- rules as allowed-value sets: per fact, a (value code, rule) table saying whether the rule
  allows that value (a rule that does not test the fact allows every value; code -1 = unknown
  matches only such rules); the first rule that every fact allows wins;
- money goes out (`money_out`) and the payouts a blocking caution may hold (`holdable`);
- which cautions apply to which action, and each one's status from its guard fact;
- amount signs (include +1, deduct -1, ignore 0) and each refund method's fee, in integer fen,
  the fee rounded half up exactly;
- the deadline on absolute time (`refundkit.clock`: window and due-soon band in ns).
Imports the bottom layer (vocab, clock) and the SOP model only.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import tzinfo
from fractions import Fraction
from typing import Mapping

import numpy as np

from .clock import NS_PER_DAY, NS_PER_HOUR, due_and_left, urgency_code
from .sop import Sop
from .vocab import BLOCKED, CASE_FACTS, TREATMENT_SIGN

# Caution status codes in `Applied.status`: 0 = the caution does not apply to the action.
STATUS = ("", "ok", "failed", "to_check", "info")
NA, OK, FAILED, TO_CHECK, INFO = range(5)
# Integer fen beyond this would overflow the int64 arithmetic (about 92 trillion yuan).
MAX_FEN = 2**62 // 1000


@dataclass(frozen=True, eq=False)
class Table:
    """One SOP as arrays. Action index -1 (the last entry of every per-action array) = no rule."""

    sop: Sop
    version: str
    tz: tzinfo
    window_ns: int
    due_soon_ns: int
    domains: Mapping[str, tuple]            # fact -> its values in SOP order (yes/no: True, False)
    components: tuple[str, ...]             # amount components in SOP order
    treatments: tuple[str, ...]
    signs: tuple[int, ...]                  # +1 / -1 / 0 per component
    methods: tuple[str, ...]
    fee_rates: tuple[Fraction, ...]
    rule_ids: tuple[str, ...]
    rule_action: np.ndarray                 # action index per rule, then -1
    allowed: Mapping[str, np.ndarray]       # fact -> (code + unknown, rule) -> the rule allows it
    action_ids: tuple[str, ...]
    money_out: frozenset[str]               # actions after which money goes to the customer
    holdable: np.ndarray                    # per action (+ no rule): a payout a blocking caution holds
    caution_ids: tuple[str, ...]
    applies: np.ndarray                     # (caution, action + no rule) -> bool
    guards: tuple[str | None, ...]
    blocks: np.ndarray                      # per caution: a failed guard holds a payout
    no_guard: np.ndarray                    # per caution: nothing to check (status info)
    blocked: int                            # index of the action "blocked"
    next_steps: tuple[tuple[str, ...], ...]   # per action (+ no rule)
    after_refund: tuple[tuple[str, ...], ...]  # per action (+ no rule)

    # -- input: values as codes ---------------------------------------------------------
    def code(self, fact: str, value) -> int:
        """A fact's value as its code; None (unknown) is -1."""
        return -1 if value is None else self.domains[fact].index(value)

    # -- the parts, each on arrays of any length ------------------------------------------
    def refund_fen(self, amounts: Mapping[str, np.ndarray]) -> np.ndarray:
        """The refund in fen: each amount component with the SOP's sign (S07); never below 0."""
        total = sum((sign * np.asarray(amounts[c], dtype=np.int64) for c, sign in zip(self.components, self.signs)),
                    np.zeros(1, dtype=np.int64))
        return np.maximum(total, 0)

    def fee_fen(self, total: np.ndarray, method: np.ndarray) -> np.ndarray:
        """Each refund method's handling fee on the refund, in fen, rounded half up (S08)."""
        fee = np.zeros(len(total), dtype=np.int64)
        for i, rate in enumerate(self.fee_rates):
            sel = method == i
            if rate and sel.any():
                fee[sel] = half_up(total[sel], rate)
        return fee

    def deadline_ns(self, requested_ns: np.ndarray, now_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(due, left, urgency code) on absolute time: the window is days × 24 hours (C1)."""
        due, left = due_and_left(requested_ns, now_ns, self.window_ns)
        return due, left, urgency_code(left, self.due_soon_ns)

    def judge(self, codes: Mapping[str, np.ndarray]) -> "Judged":
        """Rules (first match), cautions and blocking, from every fact's codes (no money, no clock)."""
        n = len(codes[CASE_FACTS[0]])
        match = np.ones((n, len(self.rule_ids)), dtype=bool)
        for fact, allows in self.allowed.items():
            match &= allows[codes[fact]]
        first = match.argmax(axis=1) if len(self.rule_ids) else np.zeros(n, dtype=np.intp)
        rule = np.where(match[np.arange(n), first] if len(self.rule_ids) else False, first, -1).astype(np.int16)
        act = self.rule_action[rule]
        # (caution, row): applies to the action; the guard's code (0 yes, 1 no, -1 unknown); no guard = info.
        applies = self.applies[:, act]
        guard = np.array([codes[g] if g else np.zeros(n, dtype=np.int16) for g in self.guards], dtype=np.int16)
        guard = guard.reshape(len(self.guards), n)
        # STATUS codes by the guard's code + 1 (-1 unknown, 0 yes, 1 no); a caution with no guard is info.
        by_code = np.array([TO_CHECK, OK, FAILED], dtype=np.int8)
        status = np.where(applies, np.where(self.no_guard[:, None], INFO, by_code[guard + 1]), NA).astype(np.int8)
        blocking = (status == FAILED) & self.blocks[:, None] & self.holdable[act]
        held = blocking.any(axis=0)
        final = np.where(held, self.blocked, act)
        return Judged(rule=rule, action=final, held=np.where(held, act, -1), status=status, blocking=blocking)

    def apply(self, cols: Mapping[str, np.ndarray], now_ns: int) -> "Applied":
        """The whole decision for every row of `cols`.

        `cols`: one code array per case fact (CASE_FACTS), `<component>_fen` per amount
        component, `method` (code), `requested_ns`, `balance_fen` with `balance_known`.
        """
        total = self.refund_fen({c: cols[f"{c}_fen"] for c in self.components})
        fee = self.fee_fen(total, cols["method"])
        due, left, urg = self.deadline_ns(cols["requested_ns"], now_ns)
        codes = {name: cols[name] for name in CASE_FACTS}
        codes["overdue"] = np.where(urg == 0, 0, 1)  # yes/no code: 0 = yes
        codes["balance_sufficient"] = np.where(cols["balance_known"], np.where(cols["balance_fen"] >= total + fee, 0, 1), -1)
        return Applied(codes=codes, refund_fen=total, fee_fen=fee, due_ns=due, left_ns=left, urgency=urg,
                       judged=self.judge(codes))


@dataclass(frozen=True)
class Judged:
    rule: np.ndarray       # rule index, -1 = no rule covers the row
    action: np.ndarray     # final action index ("blocked" while a blocking caution fails), -1 = no rule
    held: np.ndarray       # the payout held back, -1 = none
    status: np.ndarray     # (caution, row) -> STATUS code
    blocking: np.ndarray   # (caution, row) -> this caution holds the payout


@dataclass(frozen=True)
class Applied:
    codes: dict[str, np.ndarray]   # every fact, the derived ones included
    refund_fen: np.ndarray
    fee_fen: np.ndarray
    due_ns: np.ndarray
    left_ns: np.ndarray
    urgency: np.ndarray            # index into vocab.URGENCY
    judged: Judged


def half_up(total_fen: np.ndarray, rate: Fraction) -> np.ndarray:
    """round_half_up(total × rate) in fen, exact: floor((2·t·p + q) / 2q) for t >= 0."""
    p, q = rate.numerator, rate.denominator
    total_fen = np.asarray(total_fen, dtype=np.int64)
    if p == 0:
        return np.zeros_like(total_fen)
    if int(total_fen.max(initial=0)) * 2 * p + q < 2**62:
        return (2 * total_fen * p + q) // (2 * q)
    return np.array([(2 * int(t) * p + q) // (2 * q) for t in total_fen], dtype=object).astype(np.int64)


def _compile(sop: Sop) -> Table:
    p = sop.parameters
    domains = {name: tuple(f.domain()) for name, f in sop.facts.items()}
    action_ids = tuple(a.id for a in sop.actions)
    tested = {fact for rule in sop.rules for fact in rule.when}
    allowed = {}
    for fact in sorted(tested):
        dom = domains[fact]
        allows = np.ones((len(dom) + 1, len(sop.rules)), dtype=bool)  # the last row is code -1: unknown
        for r, rule in enumerate(sop.rules):
            if fact in rule.when:
                want = rule.when[fact]
                allows[:, r] = False
                for v in want if isinstance(want, list) else [want]:
                    allows[dom.index(v), r] = True
        allowed[fact] = allows
    holdable = frozenset(sop.holdable)
    per_action = lambda f: tuple(f(a) for a in action_ids) + (f(None),)  # noqa: E731
    return Table(
        sop=sop, version=sop.version, tz=sop.tz,
        window_ns=p.handling_window.days * NS_PER_DAY, due_soon_ns=p.due_soon_hours * NS_PER_HOUR,
        domains=domains,
        components=tuple(c.id for c in p.amount.components),
        treatments=tuple(c.treatment for c in p.amount.components),
        signs=tuple(TREATMENT_SIGN[c.treatment] for c in p.amount.components),
        methods=tuple(sop.method_by_id), fee_rates=tuple(Fraction(m.fee_rate) for m in p.methods),
        rule_ids=tuple(r.id for r in sop.rules),
        rule_action=np.array([action_ids.index(r.action) for r in sop.rules] + [-1], dtype=np.int16),
        allowed=allowed, action_ids=action_ids,
        money_out=frozenset(sop.money_out),
        holdable=np.array(per_action(lambda a: a in holdable), dtype=bool),
        caution_ids=tuple(c.id for c in sop.cautions),
        applies=np.array([per_action(lambda a, c=c: a is not None and sop.caution_applies(c, a)) for c in sop.cautions],
                         dtype=bool).reshape(len(sop.cautions), len(action_ids) + 1),
        guards=tuple(c.guard for c in sop.cautions), blocks=np.array([c.blocks for c in sop.cautions], dtype=bool),
        no_guard=np.array([c.guard is None for c in sop.cautions], dtype=bool),
        blocked=action_ids.index(BLOCKED),
        next_steps=per_action(lambda a: tuple(sop.action_by_id[a].steps) if a else ()),
        after_refund=per_action(lambda a: tuple(t.id for t in sop.after_refund.tasks if a in t.after) if a else ()),
    )


_CACHE: OrderedDict[int, Table] = OrderedDict()


def compile_table(sop: Sop) -> Table:
    """The SOP's table, compiled once per SOP object (a few recent SOPs are kept)."""
    key = id(sop)
    table = _CACHE.get(key)
    if table is None or table.sop is not sop:  # the table holds its SOP, so the id cannot be reused meanwhile
        table = _compile(sop)
        _CACHE[key] = table
        while len(_CACHE) > 16:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return table
