"""`decide()` over a whole case frame at once: the SOP's decision table as boolean masks.

Same reading of the SOP as `refundkit.engine.decide`, column-wise instead of row by row:
- every fact becomes an integer code per row (its index in the SOP's value list; -1 unknown),
  so a rule condition is `np.isin(codes, allowed)` and an unknown fact matches nothing;
- the rules are tried in order with `np.select` (first match wins);
- cautions, blocking and after-refund tasks are lookups by action;
- money is integer fen, the channel fee rounded half up with integer arithmetic, so the
  amounts are exact (`tests/test_triage_agreement.py` holds this against `decide()`).
"""
from __future__ import annotations

from datetime import datetime
from fractions import Fraction

import numpy as np
import pandas as pd

from ..cases import CASE_FACTS, Case
from ..clock import ClockError
from ..money import to_money
from ..sop import Sop

NS_PER_HOUR = 3_600_000_000_000
SIGN = {"include": 1, "deduct": -1, "ignore": 0}
URGENCY = np.array(["overdue", "due_soon", "on_time"], dtype=object)
STATUS = np.array(["", "ok", "failed", "to_check", "info"], dtype=object)  # "" = caution does not apply


def fact_codes(values: pd.Series, domain: list) -> np.ndarray:
    """Index of each value in the fact's domain; -1 where unknown (None/NA)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and list(values.cat.categories) == list(domain):
        return values.cat.codes.to_numpy(dtype=np.int16)
    if domain == [True, False]:
        arr = values.astype("boolean")
        known = arr.notna().to_numpy()
        truth = arr.fillna(False).to_numpy(dtype=bool)
        return np.where(known, np.where(truth, 0, 1), -1).astype(np.int16)
    return pd.Categorical(values, categories=domain).codes.astype(np.int16)


def _half_up(total_fen: np.ndarray, rate: Fraction) -> np.ndarray:
    """round_half_up(total * rate) in fen, exact: floor((2·t·p + q) / 2q) for t >= 0."""
    p, q = rate.numerator, rate.denominator
    if p == 0:
        return np.zeros_like(total_fen)
    big = int(total_fen.max(initial=0)) * 2 * p + q
    if big < 2**62:
        return (2 * total_fen * p + q) // (2 * q)
    return np.array([(2 * int(t) * p + q) // (2 * q) for t in total_fen], dtype=object).astype(np.int64)


def refund_fen(cases: pd.DataFrame, sop: Sop) -> np.ndarray:
    """The refund in integer fen: each amount component signed as the SOP treats it (S07)."""
    total = np.zeros(len(cases), dtype=np.int64)
    for comp in sop.parameters.amount.components:
        total += SIGN[comp.treatment] * cases[f"{comp.id}_fen"].to_numpy(dtype=np.int64)
    return np.maximum(total, 0)


def decide_frame(cases: pd.DataFrame, sop: Sop, now: datetime) -> pd.DataFrame:
    """What `decide()` says for every row of a case frame, as columns (same index).

    Columns: action, rule, held_action, refund_fen, fee_fen, due, hours_left, urgency,
    overdue, due_soon, one column per caution id (ok/failed/to_check/info, "" = does not
    apply), blocked_by, to_check, next_steps, after_refund. `rule` is "" where no rule of the
    SOP covers the row (decide() raises NoRuleError there).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ClockError("now: has no time zone")
    n = len(cases)
    p = sop.parameters
    facts = sop.facts

    total = refund_fen(cases, sop)
    methods = list(sop.method_by_id)
    mcode = fact_codes(cases["refund_method"], methods)
    fee = np.zeros(n, dtype=np.int64)
    for i, m in enumerate(sop.method_by_id.values()):
        sel = mcode == i
        if sel.any():
            fee[sel] = _half_up(total[sel], Fraction(m.fee_rate))
    cost = total + fee

    # Deadline (C1): integer nanoseconds, same comparisons as refundkit.clock.deadline.
    req = cases["requested_at"]
    req_ns = pd.DatetimeIndex(req).as_unit("ns").asi8
    now_ns = pd.Timestamp(now).as_unit("ns").value
    due_ns = req_ns + p.handling_window.days * 24 * NS_PER_HOUR
    left = due_ns - now_ns
    urg = np.where(left <= 0, 0, np.where(left <= p.due_soon_hours * NS_PER_HOUR, 1, 2))

    codes: dict[str, np.ndarray] = {}
    for name in CASE_FACTS:
        codes[name] = fact_codes(cases[name], facts[name].domain())
    codes["overdue"] = np.where(urg == 0, 0, 1).astype(np.int16)  # domain [True, False]
    bal = cases["balance_fen"].astype("Int64")
    bal_known = bal.notna().to_numpy()
    bal_ok = bal.fillna(0).to_numpy(dtype=np.int64) >= cost
    codes["balance_sufficient"] = np.where(bal_known, np.where(bal_ok, 0, 1), -1).astype(np.int16)

    # The decision table, first match wins.
    conds = []
    for rule in sop.rules:
        m = np.ones(n, dtype=bool)
        for name, want in rule.when.items():
            dom = facts[name].domain()
            allowed = [dom.index(v) for v in (want if isinstance(want, list) else [want])]
            m &= np.isin(codes[name], allowed)
        conds.append(m)
    rule_idx = np.select(conds, np.arange(len(sop.rules)), default=-1) if conds else np.full(n, -1)
    action_ids = [a.id for a in sop.actions]
    rule_action = np.array([action_ids.index(r.action) for r in sop.rules] + [-1], dtype=np.int16)
    act = rule_action[rule_idx]  # -1 where no rule

    # Cautions: which apply to the action, and their status from the guard fact.
    payout = np.array([a.payout for a in sop.actions] + [False])
    out = pd.DataFrame(index=cases.index)
    blocked_bits = np.zeros(n, dtype=np.int64)   # bit k set: caution k blocks this payout
    check_bits = np.zeros(n, dtype=np.int64)     # bit k set: caution k is still to check
    status_cols = {}
    for k, c in enumerate(sop.cautions):
        applies = np.array([sop.caution_applies(c, a) for a in action_ids] + [False])[act]
        if c.guard is None:
            st = np.where(applies, 4, 0)
        else:
            g = codes[c.guard]
            st = np.where(~applies, 0, np.where(g < 0, 3, np.where(g == 0, 1, 2)))
        status_cols[c.id] = st.astype(np.int8)
        if c.blocks:
            blocked_bits |= ((st == 2) & payout[act]).astype(np.int64) << k
        check_bits |= (st == 3).astype(np.int64) << k
    blocked = blocked_bits != 0

    def id_lists(bits: np.ndarray) -> pd.Categorical:
        """Bit sets -> "C2,C4" strings, through the (few) distinct sets present."""
        uniq, inv = np.unique(bits, return_inverse=True)
        names = [",".join(c.id for k, c in enumerate(sop.cautions) if int(u) >> k & 1) for u in uniq]
        return pd.Categorical.from_codes(inv.reshape(-1), categories=pd.Index(names, dtype=object)) if len(set(names)) == len(names) \
            else pd.Categorical(np.asarray(names, dtype=object)[inv.reshape(-1)])

    def labels(idx: np.ndarray, names: list[str]) -> pd.Categorical:
        """Index into `names` (-1 = the last entry, "") as a categorical column."""
        idx = np.where(idx < 0, len(names) - 1, idx)
        uniq_names = list(dict.fromkeys(names))
        remap = np.array([uniq_names.index(x) for x in names])
        return pd.Categorical.from_codes(remap[idx], categories=pd.Index(uniq_names, dtype=object))

    act_names = action_ids + [""]
    final = np.where(blocked, action_ids.index("blocked"), act)
    final = np.where(act < 0, -1, final)
    out["action"] = labels(final, act_names)
    out["rule"] = labels(rule_idx, [r.id for r in sop.rules] + [""])
    out["held_action"] = labels(np.where(blocked, act, -1), act_names)  # "" = nothing held
    out["refund_fen"] = total
    out["fee_fen"] = fee
    out["due"] = pd.to_datetime(due_ns.view("M8[ns]"), utc=True).tz_convert(sop.tz)
    # As timedelta.total_seconds() / 3600 computes it, so rounding agrees to the last bit.
    out["hours_left"] = (left // 1000) / 1e6 / 3600
    out["urgency"] = labels(urg, list(URGENCY))
    out["overdue"] = urg == 0
    out["due_soon"] = urg == 1
    for cid, st in status_cols.items():
        out[cid] = pd.Categorical.from_codes(st, categories=pd.Index(list(STATUS), dtype=object))
    out["blocked_by"] = id_lists(blocked_bits)
    out["to_check"] = id_lists(check_bits)
    out["next_steps"] = labels(np.where(blocked, -1, act), [",".join(a.steps) for a in sop.actions] + [""])
    after = [",".join(t.id for t in sop.after_refund.tasks if a in t.after) for a in action_ids] + [""]
    out["after_refund"] = labels(final, after)
    return out


# -- between Case objects and case frames (tests, lessons, the benchmark) -------------------

def _fen(amount) -> int:
    return int(to_money(amount) * 100)


def cases_frame(cases: list[Case], sop: Sop) -> pd.DataFrame:
    """A case frame from Case objects: what `to_cases` builds from an export."""
    data: dict[str, object] = {"ticket": [c.id for c in cases]}
    for name in CASE_FACTS:
        dom = sop.facts[name].domain()
        vals = [getattr(c, name) for c in cases]
        if dom == [True, False]:
            data[name] = pd.array(vals, dtype="boolean")
        else:
            data[name] = pd.Categorical(vals, categories=dom)
    data["balance_fen"] = pd.array([None if c.merchant_balance is None else _fen(c.merchant_balance) for c in cases], dtype="Int64")
    data["requested_at"] = pd.to_datetime([c.requested_at for c in cases], utc=True).tz_convert(sop.tz)
    for comp in ("goods", "shipping", "coupon", "discount"):
        data[f"{comp}_fen"] = np.array([_fen(getattr(c.amounts, comp)) for c in cases], dtype=np.int64)
    data["refund_method"] = pd.Categorical([c.refund_method for c in cases], categories=list(sop.method_by_id))
    data["reason"] = pd.Categorical([c.reason for c in cases], categories=[r.id for r in sop.reasons])
    return pd.DataFrame(data)


def _yuan(f: int) -> str:
    sign = "-" if f < 0 else ""
    f = abs(int(f))
    return f"{sign}{f // 100}.{f % 100:02d}"


def row_case(row: pd.Series | dict, sop: Sop) -> Case:
    """One case-frame row back as a Case, to ask `decide()` the same question."""
    def val(name):
        v = row[name]
        return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v

    data = {name: (bool(val(name)) if sop.facts[name].is_bool and val(name) is not None else val(name)) for name in CASE_FACTS}
    data = {k: v for k, v in data.items() if v is not None or k in ("address_checked", "customer_info_verified")}
    bal = val("balance_fen")
    return Case(
        id=str(row["ticket"]), **data,
        merchant_balance=None if bal is None else _yuan(bal),
        requested_at=pd.Timestamp(row["requested_at"]).to_pydatetime(),
        amounts={c: _yuan(row[f"{c}_fen"]) for c in ("goods", "shipping", "coupon", "discount")},
        refund_method=str(row["refund_method"]),
        reason=val("reason"),
    )
