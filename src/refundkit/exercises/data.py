"""The sample after-sales records for the data exercise, and the queries behind its key.

`sample_records()` is what a learner loads with pandas; `decided_records()` adds
what the engine says for each row (action, refund, after-refund tasks), so a
learner can group and filter without re-implementing the SOP. Each query is a
pure function (records, sop, params) -> answer, named by the question file.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..cases import CaseError, parse_case
from ..engine import decide
from ..sop import REPO_ROOT, Sop

SAMPLE_PATH = REPO_ROOT / "exercises" / "data" / "after_sales_sample.csv"
EXPORT_PATH = REPO_ROOT / "data" / "sample_export"   # the shop export sample of refundkit.triage
# Buyer's personal details: not needed for any exercise, so not shown to learners.
PERSONAL_COLUMNS = ("买家昵称", "收货人", "联系电话", "收货地址", "用户售后说明", "_file", "_row")
BOOL_COLUMNS = ("grounds_to_refuse", "customer_disputes", "address_checked", "customer_info_verified")
MONEY_COLUMNS = ("goods", "shipping", "coupon", "discount", "merchant_balance")


def sample_records(path: str | Path | None = None) -> pd.DataFrame:
    """The sample export as text columns (amounts stay exact: convert with Decimal, not float)."""
    path = Path(path) if path else SAMPLE_PATH
    return pd.read_csv(path, dtype=str, keep_default_na=False).astype({"quantity": int})


def _case(row: dict[str, Any], sop: Sop, where: str):
    data = {k: row[k] for k in ("order_state", "request_type", "return_progress", "negotiation",
                                "platform_intervention", "requested_at", "refund_method", "reason")}
    for k in BOOL_COLUMNS:
        data[k] = {"true": True, "false": False, "": None}[str(row[k]).strip().lower()]
    data["merchant_balance"] = row["merchant_balance"] or None
    data["amounts"] = {k: row[k] for k in ("goods", "shipping", "coupon", "discount")}
    data["id"] = row["order_id"]
    try:
        return parse_case(data, sop)
    except CaseError as exc:
        raise CaseError(f"{where}: {exc.field}", str(exc).split(": ", 1)[1]) from None


def refunded_actions(sop: Sop) -> set[str]:
    """Actions after which money goes back to the customer (the SOP's `payout`)."""
    return set(sop.money_out)


def decided_records(records: pd.DataFrame, sop: Sop, now: datetime) -> pd.DataFrame:
    """The records with the engine's decision per row: action, refund (Decimal), tasks A1/A2/..."""
    out = records.copy()
    actions, refunds, tasks = [], [], []
    for i, row in enumerate(records.to_dict("records")):
        d = decide(_case(row, sop, f"row {i + 2} ({row.get('order_id', '?')})"), sop, now)
        actions.append(d.action)
        refunds.append(d.refund.total)
        tasks.append(",".join(d.after_refund))
    out["action"] = actions
    out["refund"] = refunds
    out["after_refund"] = tasks
    out["refunded"] = out["action"].isin(refunded_actions(sop))
    return out


def _top(series: pd.Series) -> str:
    counts = series.value_counts()
    if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
        raise ValueError(f"no single top value: {counts.index[0]!r} and {counts.index[1]!r} tie at {counts.iloc[0]}")
    return str(counts.index[0])


def _due(df: pd.DataFrame, task: str) -> pd.DataFrame:
    return df[df["after_refund"].str.split(",").apply(lambda ts: task in ts)]


def q_top_reason(df: pd.DataFrame, sop: Sop, p: dict) -> str:
    """The refund reason with the most requests."""
    return _top(df["reason"])


def q_refund_total(df: pd.DataFrame, sop: Sop, p: dict) -> Decimal:
    """Money refunded (optionally for one reason), exact to the fen."""
    rows = df[df["refunded"]]
    if "reason" in p:
        rows = rows[rows["reason"] == p["reason"]]
    return sum(rows["refund"], Decimal("0.00"))


def q_count_action(df: pd.DataFrame, sop: Sop, p: dict) -> Decimal:
    """How many requests get a given action."""
    return Decimal(int((df["action"] == p["action"]).sum()))


def q_units_for_task(df: pd.DataFrame, sop: Sop, p: dict) -> Decimal:
    """Units (quantity) whose after-refund work includes the task (A1 relist, A2 stock)."""
    return Decimal(int(_due(df, p["task"])["quantity"].sum()))


def q_top_product_for_task(df: pd.DataFrame, sop: Sop, p: dict) -> str:
    """The product with the most units due for the task."""
    rows = _due(df, p["task"])
    units = rows.groupby("product")["quantity"].sum().sort_values(ascending=False)
    if len(units) > 1 and units.iloc[0] == units.iloc[1]:
        raise ValueError(f"no single top product: {units.index[0]!r} and {units.index[1]!r} tie")
    return str(units.index[0])


# query name -> (function, answer form)
QUERIES: dict[str, tuple[Callable[[pd.DataFrame, Sop, dict], Any], str]] = {
    "top_reason": (q_top_reason, "choice"),
    "refund_total": (q_refund_total, "number"),
    "count_action": (q_count_action, "number"),
    "units_for_task": (q_units_for_task, "number"),
    "top_product_for_task": (q_top_product_for_task, "choice"),
}

_DECIDED: dict[tuple[int, str, datetime], tuple[Sop, pd.DataFrame]] = {}


def records_for(sop: Sop, now: datetime) -> pd.DataFrame:
    """decided_records of the shipped sample, cached per SOP object and clock."""
    key = (id(sop), sop.version, now)
    if key not in _DECIDED:
        # Keep the SOP alive with its entry, so its id cannot be reused by another SOP.
        _DECIDED[key] = (sop, decided_records(sample_records(), sop, now))
    return _DECIDED[key][1]


_EXPORTS: dict[tuple[int, str, datetime], tuple[Sop, pd.DataFrame]] = {}


def export_tickets(sop: Sop, now: datetime) -> pd.DataFrame:
    """Every ticket of the sample shop export (refundkit.triage): open ones with the SOP's decision
    (`open` True, columns action, after_refund, refund_fen ...), finished ones for statistics."""
    key = (id(sop), sop.version, now)
    if key not in _EXPORTS:
        from ..triage import load_exports, triage

        result = triage(load_exports([EXPORT_PATH], sop), sop, now)
        frame = pd.concat([result.decided.assign(open=True), result.finished.assign(open=False)],
                          ignore_index=True)
        frame["reason"] = frame["reason"].astype(str)
        _EXPORTS[key] = (sop, frame.drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns]))
    return _EXPORTS[key][1]


def dataset(name: str | None, sop: Sop, now: datetime) -> pd.DataFrame:
    """The frame a data question is asked on: the exercise sample (default) or the shop export."""
    if name in (None, "sample"):
        return records_for(sop, now)
    if name == "export":
        return export_tickets(sop, now)
    raise ValueError(f"unknown dataset {name!r} (expected sample or export)")


def product_label(product: str, lang: str = "zh") -> str:
    """A product's name in the learner's language, from the sample's own columns."""
    if lang == "zh":
        return product
    df = sample_records()
    names = dict(zip(df["product"], df["product_en"]))
    return names.get(product, product)
