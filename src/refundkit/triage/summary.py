"""Records and statistics of the SOP's "after the refund" (P08, A3) and "avoiding refunds" (P07, P12).

Every ticket of the export counts, open or over: requests by reason, by product, by week, and
the products to inspect (most requests whose reason points at the product itself; the reasons
are listed under `inspect_reasons` in sop/export_mapping.yaml). Refunded money is what the
export records for tickets already refunded; open money is what the SOP would refund (S07).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..safe_write import write_csv, write_sheets
from ..sop import Sop
from .mapping import Mapping, load_mapping
from .vectorised import refund_fen

KEYS = ("by_reason", "by_product", "by_week", "inspect")


def all_tickets(result, sop: Sop) -> pd.DataFrame:
    """Open and finished tickets together, with `outcome` (open/refunded/closed) and money in fen."""
    cols = ["ticket", "product_id", "product_name", "reason", "reason_text", "requested_at", "export_refund_fen"]
    open_ = result.decided.reindex(columns=cols + ["refund_fen"]).assign(outcome="open")
    fin = result.finished.reindex(columns=cols).copy()
    fin["refund_fen"] = refund_fen(result.finished, sop) if len(fin) else np.zeros(0, dtype=np.int64)
    fin["outcome"] = result.finished["finished"].to_numpy() if len(fin) else []
    frames = [f for f in (open_, fin) if len(f)]
    df = pd.concat(frames, ignore_index=True) if frames else open_
    for c in ("product_id", "product_name", "reason_text"):
        df[c] = df[c].astype("string").fillna("")
    return df


def _reason_label(df: pd.DataFrame, sop: Sop, lang: str) -> pd.Series:
    labels = {r.id: r(lang) for r in sop.reasons}
    mapped = df["reason"].astype(object).map(lambda r: labels.get(r) if isinstance(r, str) else None)
    other = sop.t("summary_other", lang)
    raw = df["reason_text"].where(df["reason_text"] != "", other)
    return mapped.fillna(raw).astype(str)


def _counts(df: pd.DataFrame, by, sop: Sop, lang: str) -> pd.DataFrame:
    t = lambda k: sop.t(k, lang)  # noqa: E731
    refunded = df["outcome"] == "refunded"
    is_open = df["outcome"] == "open"
    g = df.assign(_ref=refunded, _ref_fen=np.where(refunded, df["export_refund_fen"], 0),
                  _open=is_open, _open_fen=np.where(is_open, df["refund_fen"], 0)).groupby(by, observed=True, sort=False)
    out = pd.DataFrame({
        t("summary_requests"): g.size(),
        t("summary_refunded"): g["_ref"].sum(),
        t("summary_refunded_amount"): g["_ref_fen"].sum() / 100,
        t("summary_open"): g["_open"].sum(),
        t("summary_open_amount"): g["_open_fen"].sum() / 100,
    })
    return out


def summary_tables(result, sop: Sop, lang: str = "zh", mapping: Mapping | None = None) -> dict[str, pd.DataFrame]:
    """Four tables keyed by their title in `lang`: by reason, by product, by week, products to inspect."""
    mapping = mapping or load_mapping(sop)
    t = lambda k: sop.t(k, lang)  # noqa: E731
    df = all_tickets(result, sop)
    df["_reason"] = _reason_label(df, sop, lang)
    df["_problem"] = df["reason"].astype(object).isin(mapping.inspect_reasons)

    by_reason = _counts(df, "_reason", sop, lang).sort_values(t("summary_requests"), ascending=False)
    by_reason.index.name = t("triage_reason")

    prod = _counts(df, ["product_id", "product_name"], sop, lang)
    prob = df.groupby(["product_id", "product_name"], observed=True, sort=False)["_problem"].sum()
    prod[t("summary_problems")] = prob
    prod[t("summary_problem_share")] = (prob / prod[t("summary_requests")]).round(3)
    prod = prod.sort_values([t("summary_requests"), t("summary_problems")], ascending=False)
    prod.index.names = [t("triage_product_id"), t("triage_product")]

    local = df["requested_at"].dt.tz_convert(sop.tz)
    week = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    by_week = _counts(df.assign(_week=week), "_week", sop, lang).sort_index()
    by_week.index.name = t("summary_week")

    inspect = prod[prod[t("summary_problems")] > 0].sort_values(
        [t("summary_problems"), t("summary_problem_share")], ascending=False).head(10)
    inspect = inspect[[t("summary_requests"), t("summary_problems"), t("summary_problem_share"), t("summary_refunded_amount")]]
    top = (df[df["_problem"]].groupby(["product_id", "product_name", "_reason"], observed=True).size()
           .reset_index(name="n").sort_values("n", ascending=False).drop_duplicates(["product_id", "product_name"])
           .set_index(["product_id", "product_name"])["_reason"])
    inspect[t("triage_reason")] = [top.get(k, "") for k in inspect.index]

    return {t("summary_by_reason"): by_reason.reset_index(), t("summary_by_product"): prod.reset_index(),
            t("summary_by_week"): by_week.reset_index(), t("summary_inspect"): inspect.reset_index()}


def charts(tables: dict[str, pd.DataFrame], sop: Sop, lang: str, folder: Path) -> list[Path]:
    """One PNG per table, labels in `lang` (Chinese drawn with a CJK font)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..plotting import use_cjk_font

    use_cjk_font()
    t = lambda k: sop.t(k, lang)  # noqa: E731
    req, ref, probs = t("summary_requests"), t("summary_refunded"), t("summary_problems")
    out = []
    for key, (title, df) in zip(KEYS, tables.items()):
        fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
        if key == "by_week":
            x = np.arange(len(df))
            ax.bar(x - 0.2, df[req], width=0.4, label=req)
            ax.bar(x + 0.2, df[ref], width=0.4, label=ref)
            ax.set_xticks(x, df[t("summary_week")], rotation=30, ha="right")
            ax.legend()
        else:
            top = df.head(12).iloc[::-1]
            label_col = t("triage_product") if key in ("by_product", "inspect") else t("triage_reason")
            labels = [s if len(s) <= 16 else s[:15] + "…" for s in top[label_col].astype(str)]
            y = np.arange(len(top))
            if key == "inspect":
                ax.barh(y, top[req], color="#cccccc", label=req)
                ax.barh(y, top[probs], color="#d62728", label=probs)
                ax.legend(loc="lower right")
            else:
                ax.barh(y, top[req], label=req)
                ax.barh(y, top[ref], label=ref, alpha=0.8)
                ax.legend(loc="lower right")
            ax.set_yticks(y, labels)
        ax.set_title(title)
        fig.tight_layout()
        path = folder / f"summary_{key}.png"
        fig.savefig(path)
        plt.close(fig)
        out.append(path)
    return out


def write_summary(tables: dict[str, pd.DataFrame], sop: Sop, lang: str, folder: str | Path) -> list[Path]:
    """summary.xlsx (a sheet per table), a CSV per table and a PNG chart per table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    xlsx = folder / "summary.xlsx"
    write_sheets({title: df for title, df in tables.items()}, xlsx)
    written.append(xlsx)
    for key, df in zip(KEYS, tables.values()):
        written.append(write_csv(df, folder / f"summary_{key}.csv"))
    written += charts(tables, sop, lang, folder)
    return written
