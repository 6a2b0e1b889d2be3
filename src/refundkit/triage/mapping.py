"""Export rows -> case facts, column by column (vectorised), as `sop/export_mapping.yaml` says.

The result is a *case frame*: one row per ticket with the same facts a `refundkit.cases.Case`
carries (string facts as categoricals over the SOP's values, yes/no facts as nullable
booleans, money as integer fen, `requested_at` tz-aware), plus the ticket's descriptive
columns. A row whose cell cannot be read is rejected with a reason; the others go on.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..cases import CASE_FACTS
from ..sop import REPO_ROOT, Sop

DEFAULT_MAPPING_PATH = REPO_ROOT / "sop" / "export_mapping.yaml"

# Case fields a case frame carries beyond the facts (see refundkit.cases.Case).
MONEY_FIELDS = ("goods", "shipping", "coupon", "discount")
STATUS_FACTS = ("return_progress", "negotiation", "grounds_to_refuse", "customer_disputes", "platform_intervention")
# Defaults of refundkit.cases.Case for facts an export row does not set.
CASE_DEFAULTS = {"return_progress": "not_requested", "negotiation": "not_started", "grounds_to_refuse": False,
                 "customer_disputes": False, "platform_intervention": "none"}
BOOL_FACTS = ("grounds_to_refuse", "customer_disputes", "address_checked", "customer_info_verified")


class TriageError(ValueError):
    """An export or mapping that cannot be used at all (a missing column, an unreadable file)."""


def norm(text: Any) -> str:
    """Compare export texts the way a person reads them: NFKC, trimmed, no inner spaces."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


@dataclass(frozen=True)
class Column:
    field: str
    column: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class Mapping:
    path: str
    columns: dict[str, Column]
    time_formats: list[str]
    amounts: dict[str, list[str]]
    aftersale_type: dict[str, str]
    not_refund: set[str]
    shipping_state: dict[str, str]
    status: dict[str, dict[str, Any]]
    arbitration: dict[str, str]
    refund_type: dict[str, str]
    default_method: str
    reasons: dict[str, str]          # normalised export text -> SOP reason id
    personal: dict[str, list[str]]
    inspect_reasons: list[str]
    file_time: re.Pattern
    raw: dict = field(repr=False, default_factory=dict)

    def header(self, name: str) -> str:
        return self.columns[name].column


def load_mapping(sop: Sop, path: str | Path | None = None) -> Mapping:
    """Read the mapping file and check every value against the SOP in use."""
    path = Path(path) if path else DEFAULT_MAPPING_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TriageError(f"{path}: cannot be read as YAML: {exc}") from None
    problems: list[str] = []

    def need(key: str) -> Any:
        if key not in data:
            problems.append(f"{key}: missing (required)")
            return {}
        return data[key]

    cols = {}
    for name, spec in (need("columns") or {}).items():
        spec = {"column": spec} if isinstance(spec, str) else spec
        cols[name] = Column(name, spec["column"], bool(spec.get("required", False)), tuple(spec.get("aliases", ())))

    def check_fact(where: str, fact: str, value: Any) -> None:
        if fact not in sop.facts:
            problems.append(f"{where}: unknown fact {fact!r}")
        elif value not in sop.facts[fact].domain():
            problems.append(f"{where}: {value!r} is not a value of {fact} "
                            f"(expected one of {', '.join(map(str, sop.facts[fact].domain()))})")

    types = {norm(k): v for k, v in (need("aftersale_type") or {}).items()}
    for k, v in types.items():
        check_fact(f"aftersale_type.{k}", "request_type", v)
    ships = {norm(k): v for k, v in (need("shipping_state") or {}).items()}
    for k, v in ships.items():
        check_fact(f"shipping_state.{k}", "order_state", v)
    status = {}
    for k, v in (need("status") or {}).items():
        v = dict(v or {})
        fin = v.get("finished")
        if fin not in (None, "refunded", "closed"):
            problems.append(f"status.{k}.finished: expected refunded or closed, got {fin!r}")
        for fact, value in v.items():
            if fact != "finished":
                if fact not in STATUS_FACTS:
                    problems.append(f"status.{k}: {fact!r} cannot be set by a state (expected one of {', '.join(STATUS_FACTS)})")
                else:
                    check_fact(f"status.{k}", fact, value)
        status[norm(k)] = v
    arb = {norm(k): v for k, v in (data.get("arbitration") or {}).items()}
    for k, v in arb.items():
        check_fact(f"arbitration.{k}", "platform_intervention", v)
    rt = dict(data.get("refund_type") or {})
    default_method = rt.pop("default", "balance")
    for k, v in list(rt.items()) + [("default", default_method)]:
        if v not in sop.method_by_id:
            problems.append(f"refund_type.{k}: unknown method {v!r} (expected one of {', '.join(sop.method_by_id)})")
    reason_ids = {r.id for r in sop.reasons}
    reasons = {}
    for rid, texts in (data.get("reasons") or {}).items():
        if rid not in reason_ids:
            problems.append(f"reasons.{rid}: unknown SOP reason (expected one of {', '.join(sorted(reason_ids))})")
        for t in texts or []:
            reasons[norm(t)] = rid
    inspect = list(data.get("inspect_reasons") or [])
    for rid in inspect:
        if rid not in reason_ids:
            problems.append(f"inspect_reasons: unknown SOP reason {rid!r}")
    amounts = {k: list(v or []) for k, v in (need("amounts") or {}).items()}
    comp_ids = [c.id for c in sop.parameters.amount.components]
    for cid in comp_ids:
        if cid not in amounts:
            problems.append(f"amounts: the SOP's amount component {cid!r} has no columns (use [] for none)")
    for cid, fields in amounts.items():
        if cid not in comp_ids:
            problems.append(f"amounts.{cid}: not an amount component of the SOP ({', '.join(comp_ids)})")
        for f in fields:
            if f not in cols:
                problems.append(f"amounts.{cid}: {f!r} is not a field under columns")
    for f in ("ticket", "shipping_state", "aftersale_type", "status", "requested_at"):
        if f not in cols:
            problems.append(f"columns.{f}: missing (required)")
    if problems:
        raise TriageError(f"{path}: " + "; ".join(problems))
    return Mapping(
        path=str(path), columns=cols, time_formats=list(data.get("time_formats") or []), amounts=amounts,
        aftersale_type=types, not_refund={norm(t) for t in data.get("not_refund") or []},
        shipping_state=ships, status=status, arbitration=arb,
        refund_type={norm(k): v for k, v in rt.items()}, default_method=default_method, reasons=reasons,
        personal={k: list(v or []) for k, v in (data.get("personal") or {}).items()}, inspect_reasons=inspect,
        file_time=re.compile(data.get("file_time") or r"(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})"), raw=data,
    )


# -- reading cells, a whole column at a time ---------------------------------------------

class _Rejects:
    """Collects (row position, reason); the first reason found for a row is kept."""

    def __init__(self, n: int):
        self.bad = np.zeros(n, dtype=bool)
        self.reason = np.empty(n, dtype=object)

    def add(self, mask: np.ndarray, reason) -> None:
        new = mask & ~self.bad
        if not new.any():
            return
        if callable(reason):
            idx = np.flatnonzero(new)
            self.reason[idx] = [reason(i) for i in idx]
        else:
            self.reason[new] = reason
        self.bad |= new


def _texts(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, normalised unique texts): normalise each distinct text once, not per row."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    normed = np.array([norm(u) for u in uniques] + [""], dtype=object)
    return np.where(codes < 0, len(uniques), codes), normed


def map_texts(col: pd.Series, table: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Look each cell up in `table`: (values, found mask, normalised text) per row."""
    codes, normed = _texts(col)
    looked = np.array([table.get(t) for t in normed], dtype=object)
    found = np.array([t in table for t in normed], dtype=bool)
    return looked[codes], found[codes], normed[codes]


def _raw(col: pd.Series, i: int) -> str:
    v = col.iat[i]
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def parse_fen(col: pd.Series, header: str, rejects: _Rejects, blanks: list | None = None) -> np.ndarray:
    """Yuan -> integer fen, exact. Blank = 0 (its mask appended to `blanks`); negative,
    non-numeric or sub-fen rejects the row."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype="float64", na_value=0.0)
        blank = np.zeros(len(col), dtype=bool)
    else:
        text = col.astype("string").str.strip().str.replace(r"[,¥￥\t]", "", regex=True)
        blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
        num = pd.to_numeric(text.mask(blank, "0"), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad_num = np.isnan(num) | np.isinf(num)
    rejects.add(bad_num, lambda i: f"{header}: expected an amount in yuan such as 12.50, got {_raw(col, i)!r}")
    num = np.where(bad_num, 0.0, num)
    if blanks is not None:
        blanks.append(blank)
    rejects.add(num < 0, lambda i: f"{header}: must not be negative, got {_raw(col, i)!r}")
    scaled = num * 100
    fen = np.rint(scaled)
    # Exact for any amount a shop sees: a float's error at 1e9 yuan is still far below a fen.
    rejects.add(np.abs(scaled - fen) > 1e-6,
                lambda i: f"{header}: at most two decimals (fen), got {_raw(col, i)!r}")
    return np.where(rejects.bad, 0, fen).astype(np.int64)


def parse_times(col: pd.Series, header: str, formats: list[str], tz, rejects: _Rejects) -> pd.Series:
    """Export times (Shanghai wall-clock, no zone) -> tz-aware; unreadable ones reject the row."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        out = col.dt.tz_convert(tz)
    elif pd.api.types.is_datetime64_dtype(col.dtype):
        out = col.dt.tz_localize(tz)
    else:
        text = col.astype("string").str.strip()
        out = pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
        todo = text.notna() & (text != "")
        for fmt in formats:
            if not todo.any():
                break
            got = pd.to_datetime(text[todo], format=fmt, errors="coerce")
            ok = got.notna()
            out.loc[got.index[ok]] = got[ok]
            todo.loc[got.index[ok]] = False
        out = out.dt.tz_localize(tz, nonexistent="NaT", ambiguous="NaT")
    rejects.add(out.isna().to_numpy(), lambda i: f"{header}: expected a time such as 2026-11-20 10:00:00, got {_raw(col, i)!r}")
    return out.dt.as_unit("ns")


def shipping_states(col: pd.Series, table: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """商品发货状态 -> order_state; `1/1已发货` style counts read as shipped unless 0 shipped."""
    codes, normed = _texts(col)
    values, found = [], []
    for t in normed:
        m = re.fullmatch(r"(\d+)/(\d+)(.*)", t)
        if m:
            if int(m.group(1)) == 0:
                v = "not_shipped"
            else:
                v = table.get(m.group(3))
        else:
            v = table.get(t)
        values.append(v)
        found.append(v is not None)
    return np.array(values, dtype=object)[codes], np.array(found, dtype=bool)[codes]


def find_columns(df: pd.DataFrame, mapping: Mapping, where: str) -> dict[str, str]:
    """Logical field -> the header present in `df`; a missing required column is an error."""
    present = {norm(c): c for c in df.columns}
    found, missing = {}, []
    for name, col in mapping.columns.items():
        for cand in (col.column, *col.aliases):
            if cand in df.columns:
                found[name] = cand
                break
            if norm(cand) in present:
                found[name] = present[norm(cand)]
                break
        else:
            if col.required:
                missing.append(col.column)
    if missing:
        shown = ", ".join(str(c) for c in df.columns if not str(c).startswith("_"))
        raise TriageError(f"{where}: missing required column {', '.join(missing)} (columns found: {shown})")
    return found


def personal_columns(df: pd.DataFrame, mapping: Mapping) -> dict[str, str]:
    """Header -> kind (name, phone, address, free_text) for the personal columns present."""
    out = {}
    for kind, headers in mapping.personal.items():
        for h in headers:
            if h in df.columns:
                out[h] = kind
    return out


@dataclass
class CaseFrame:
    """The cases of an export (`cases`: one row per ticket) and the rows that could not be read."""
    cases: pd.DataFrame
    rejected: pd.DataFrame
    finished: pd.DataFrame


INFO_FIELDS = ("order_id", "item_id", "product_id", "product_name", "sku_code", "aftersale_type", "status",
               "refund_type", "arbitration", "finished_at")


def to_cases(rows: pd.DataFrame, sop: Sop, mapping: Mapping | None = None, where: str = "export") -> CaseFrame:
    """Read export rows as cases. Rejected rows keep their cells and get a `reject_reason`."""
    mapping = mapping or load_mapping(sop)
    cols = find_columns(rows, mapping, where)
    rows = rows.reset_index(drop=True)
    n = len(rows)
    rej = _Rejects(n)
    h = mapping.header

    def col(name: str) -> pd.Series:
        return rows[cols[name]]

    ticket = col("ticket").astype("string").str.strip().str.strip("'\t")
    rej.add((ticket.isna() | (ticket == "")).to_numpy(), f"{h('ticket')}: empty (every row needs a ticket number)")

    rtype, found, text = map_texts(col("aftersale_type"), mapping.aftersale_type)
    not_refund = np.isin(text, list(mapping.not_refund))
    rej.add(not_refund, lambda i: f"{h('aftersale_type')}: {text[i]} is not a refund request; the SOP covers refunds only (handle it in the backend)")
    rej.add(~found, lambda i: f"{h('aftersale_type')}: unknown type {_raw(col('aftersale_type'), i)!r} "
                               f"(expected one of {', '.join(mapping.aftersale_type)}; see {Path(mapping.path).name})")

    st_vals, st_found, st_text = map_texts(col("status"), mapping.status)
    rej.add(~st_found, lambda i: f"{h('status')}: unknown state {_raw(col('status'), i)!r} "
                                  f"(expected one of {', '.join(mapping.status)}; see {Path(mapping.path).name})")
    finished = np.array([(v or {}).get("finished") or "" for v in st_vals], dtype=object)

    order_state, os_found = shipping_states(col("shipping_state"), mapping.shipping_state)
    rej.add(~os_found & (finished == ""), lambda i: f"{h('shipping_state')}: unknown shipping state {_raw(col('shipping_state'), i)!r} "
                                                  f"(expected e.g. 未发货, 1/1已发货; see {Path(mapping.path).name})")

    requested_at = parse_times(col("requested_at"), h("requested_at"), mapping.time_formats, sop.tz, rej)

    fen: dict[str, np.ndarray] = {}
    paid_blank: list = []
    for name in ("goods_part", "shipping_part", "pay_discount_part", "tax_part", "paid"):
        if name in cols:
            fen[name] = parse_fen(col(name), h(name), rej, paid_blank if name == "paid" else None)
    amounts = {}
    for comp in MONEY_FIELDS:
        total = np.zeros(n, dtype=np.int64)
        for f in mapping.amounts.get(comp, []):
            if f in fen:
                total = total + fen[f]
        amounts[comp] = total
    # The engine's own check (refundkit.cases.Amounts): deductions cannot exceed the goods.
    over = amounts["coupon"] + amounts["discount"] > amounts["goods"]
    rej.add(over, lambda i: f"coupon plus discount ({amounts['coupon'][i] + amounts['discount'][i]} fen) is larger than the goods value ({amounts['goods'][i]} fen)")

    facts: dict[str, Any] = {}
    for fact in STATUS_FACTS:
        facts[fact] = np.array([(v or {}).get(fact, CASE_DEFAULTS[fact]) for v in st_vals], dtype=object)
    if "arbitration" in cols:
        arb, arb_found, arb_text = map_texts(col("arbitration"), mapping.arbitration)
        blank = arb_text == ""
        rej.add(~arb_found & ~blank, lambda i: f"{h('arbitration')}: unknown arbitration state {_raw(col('arbitration'), i)!r} "
                                               f"(expected one of {', '.join(mapping.arbitration)})")
        facts["platform_intervention"] = np.where((arb == "in_progress"), "in_progress", facts["platform_intervention"])

    if "refund_type" in cols:
        meth, m_found, m_text = map_texts(col("refund_type"), mapping.refund_type)
        blank = m_text == ""
        rej.add(~m_found & ~blank, lambda i: f"{h('refund_type')}: unknown refund type {_raw(col('refund_type'), i)!r} "
                                             f"(expected one of {', '.join(mapping.refund_type)})")
        method = np.where(m_found, meth, mapping.default_method)
    else:
        method = np.full(n, mapping.default_method, dtype=object)

    if "reason" in cols:
        reason, r_found, r_text = map_texts(col("reason"), mapping.reasons)
        reason_text = col("reason").astype("string").fillna("").str.strip()
    else:
        reason = np.full(n, None, dtype=object)
        reason_text = pd.Series([""] * n, dtype="string")

    out = pd.DataFrame({"ticket": ticket.astype(object)})
    out["order_state"] = pd.Categorical(order_state, categories=sop.facts["order_state"].domain())
    out["request_type"] = pd.Categorical(rtype, categories=sop.facts["request_type"].domain())
    for fact in STATUS_FACTS:
        if sop.facts[fact].is_bool:
            out[fact] = pd.array(facts[fact].astype(bool), dtype="boolean")
        else:
            out[fact] = pd.Categorical(facts[fact], categories=sop.facts[fact].domain())
    # Not in the export: unknown, shown as "to check", never guessed.
    out["address_checked"] = pd.array([pd.NA] * n, dtype="boolean")
    out["customer_info_verified"] = pd.array([pd.NA] * n, dtype="boolean")
    out["balance_fen"] = pd.array([pd.NA] * n, dtype="Int64")
    out["requested_at"] = requested_at.array
    for comp in MONEY_FIELDS:
        out[f"{comp}_fen"] = amounts[comp]
    out["refund_method"] = pd.Categorical(method, categories=list(sop.method_by_id))
    out["reason"] = pd.Categorical(reason, categories=[r.id for r in sop.reasons])
    out["reason_text"] = reason_text.to_numpy(dtype=object)
    out["export_refund_fen"] = sum((fen[f] for f in ("goods_part", "shipping_part", "pay_discount_part", "tax_part") if f in fen),
                                   np.zeros(n, dtype=np.int64))
    # What was paid is only known where the row says it (merged exports); blank = unknown.
    out["paid_fen"] = pd.array([pd.NA] * n, dtype="Int64")
    if "paid" in fen:
        out.loc[~paid_blank[0], "paid_fen"] = fen["paid"][~paid_blank[0]]
    out["finished"] = finished
    for f in INFO_FIELDS:
        if f in cols:
            out[f] = col(f).astype("string").fillna("").str.strip().str.strip("'\t").to_numpy(dtype=object)
    for c in ("_file", "_row"):
        if c in rows.columns:
            out[c] = rows[c].to_numpy()
    for header in personal_columns(rows, mapping):
        out[header] = rows[header].to_numpy(dtype=object)

    bad = rej.bad
    rejected = rows[bad].copy()
    rejected["reject_reason"] = rej.reason[bad]
    good = out[~bad]
    done = good["finished"] != ""
    return CaseFrame(cases=good[~done].reset_index(drop=True), rejected=rejected.reset_index(drop=True),
                     finished=good[done].reset_index(drop=True))
