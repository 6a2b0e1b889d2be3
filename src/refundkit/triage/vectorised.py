"""Engine layer, frame face: `decide()` over a whole case frame at once, the SOP's compiled table applied to every row.

The table (`refundkit.table`) is the one `decide()` applies to one case; this module only
turns a case frame into the table's input columns (fact codes, integer fen, ns times) and
its result into columns (`tests/test_triage_agreement.py` holds the two paths equal):
- every fact becomes an integer code per row (its index in the SOP's value list; -1 unknown);
- money is integer fen, times are nanoseconds since the epoch (the deadline on absolute time).
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from ..cases import Case
from ..clock import ClockError, hours, to_ns
from ..money import to_money
from ..sop import Sop
from ..table import STATUS, compile_table
from ..vocab import AMOUNT_FIELDS, CASE_FACTS, URGENCY, UNKNOWN_ALLOWED


def fact_codes(values: pd.Series, domain: list | tuple) -> np.ndarray:
    """Index of each value in the fact's domain; -1 where unknown (None/NA)."""
    domain = list(domain)
    if isinstance(values.dtype, pd.CategoricalDtype) and list(values.cat.categories) == domain:
        return values.cat.codes.to_numpy(dtype=np.int16)
    if domain == [True, False]:
        arr = values.astype("boolean")
        known = arr.notna().to_numpy()
        truth = arr.fillna(False).to_numpy(dtype=bool)
        return np.where(known, np.where(truth, 0, 1), -1).astype(np.int16)
    return pd.Categorical(values, categories=domain).codes.astype(np.int16)


def refund_fen(cases: pd.DataFrame, sop: Sop) -> np.ndarray:
    """The refund in integer fen for every row (the table's amount signs, S07)."""
    table = compile_table(sop)
    return table.refund_fen({c: cases[f"{c}_fen"].to_numpy(dtype=np.int64) for c in table.components})


def decide_frame(cases: pd.DataFrame, sop: Sop, now: datetime) -> pd.DataFrame:
    """What `decide()` says for every row of a case frame, as columns (same index).

    Columns: action, rule, held_action, money_out, refund_fen, fee_fen, due, hours_left,
    urgency, overdue, due_soon, one column per caution id (ok/failed/to_check/info, "" = does
    not apply), blocked_by, to_check, next_steps, after_refund. `rule` is "" where no rule of
    the SOP covers the row (decide() raises NoRuleError there).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ClockError("now: has no time zone")
    table = compile_table(sop)
    cols = {name: fact_codes(cases[name], table.domains[name]) for name in CASE_FACTS}
    for c in table.components:
        cols[f"{c}_fen"] = cases[f"{c}_fen"].to_numpy(dtype=np.int64)
    cols["method"] = fact_codes(cases["refund_method"], table.methods)
    cols["requested_ns"] = pd.DatetimeIndex(cases["requested_at"]).as_unit("ns").asi8
    bal = cases["balance_fen"].astype("Int64")
    cols["balance_known"] = bal.notna().to_numpy()
    cols["balance_fen"] = bal.fillna(0).to_numpy(dtype=np.int64)
    applied = table.apply(cols, to_ns(now))
    j = applied.judged

    def id_lists(bits: np.ndarray) -> pd.Categorical:
        """(caution, row) flags -> "C2,C4" strings, through the (few) distinct sets present."""
        packed = np.zeros(bits.shape[1], dtype=np.int64)
        for k in range(bits.shape[0]):
            packed |= bits[k].astype(np.int64) << k
        uniq, inv = np.unique(packed, return_inverse=True)
        names = [",".join(cid for k, cid in enumerate(table.caution_ids) if int(u) >> k & 1) for u in uniq]
        return pd.Categorical.from_codes(inv.reshape(-1), categories=pd.Index(names, dtype=object))

    def labels(idx: np.ndarray, names: list[str]) -> pd.Categorical:
        """Index into `names` (-1 = the last entry, "") as a categorical column."""
        idx = np.where(idx < 0, len(names) - 1, idx)
        uniq_names = list(dict.fromkeys(names))
        remap = np.array([uniq_names.index(x) for x in names])
        return pd.Categorical.from_codes(remap[idx], categories=pd.Index(uniq_names, dtype=object))

    out = pd.DataFrame(index=cases.index)
    act_names = list(table.action_ids) + [""]
    out["action"] = labels(j.action, act_names)
    out["rule"] = labels(j.rule, list(table.rule_ids) + [""])
    out["held_action"] = labels(j.held, act_names)  # "" = nothing held
    out["money_out"] = np.isin(j.action, [table.action_ids.index(a) for a in table.money_out])
    out["refund_fen"] = applied.refund_fen
    out["fee_fen"] = applied.fee_fen
    out["due"] = pd.to_datetime(applied.due_ns.view("M8[ns]"), utc=True).tz_convert(table.tz)
    out["hours_left"] = hours(applied.left_ns)
    out["urgency"] = labels(applied.urgency, list(URGENCY))
    out["overdue"] = applied.urgency == 0
    out["due_soon"] = applied.urgency == 1
    for k, cid in enumerate(table.caution_ids):
        out[cid] = pd.Categorical.from_codes(j.status[k], categories=pd.Index(list(STATUS), dtype=object))
    out["blocked_by"] = id_lists(j.blocking)
    out["to_check"] = id_lists(j.status == STATUS.index("to_check"))
    shown = np.where(j.held >= 0, -1, j.action)  # a held payout shows no next steps
    out["next_steps"] = labels(shown, [",".join(s) for s in table.next_steps])
    out["after_refund"] = labels(j.action, [",".join(t) for t in table.after_refund])
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
    for comp in AMOUNT_FIELDS:
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
    data = {k: v for k, v in data.items() if v is not None or k in UNKNOWN_ALLOWED}
    bal = val("balance_fen")
    return Case(
        id=str(row["ticket"]), **data,
        merchant_balance=None if bal is None else _yuan(bal),
        requested_at=pd.Timestamp(row["requested_at"]).to_pydatetime(),
        amounts={c: _yuan(row[f"{c}_fen"]) for c in AMOUNT_FIELDS},
        refund_method=str(row["refund_method"]),
        reason=val("reason"),
    )
