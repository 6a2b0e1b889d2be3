"""What a shop manager reads: the labelled worklist, masking, the terminal summary, files.

Every header and word comes from the SOP's `ui:` table (zh/en); action labels and cautions
from the SOP itself. Customer personal data is masked unless the caller says otherwise.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..masking import mask_columns
from ..money import fmt
from ..safe_write import text_width
from ..safe_write import write_table as _safe_write_table
from ..sop import Sop
from ..words import time_left
from .mapping import Mapping, TriageError, load_mapping

def mask_frame(df: pd.DataFrame, mapping: Mapping, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy with every personal column present masked (see refundkit.masking), and
    `text_columns` masked as free text (a buyer can type a phone number anywhere)."""
    return mask_columns(df, mapping.personal, text_columns)


# -- the worklist -----------------------------------------------------------------------------

def _yuan(*columns) -> list[pd.Categorical]:
    """Fen -> exact Decimal yuan (12.50 stays 12.50 in CSV; a number in .xlsx); NA stays empty.

    One Decimal per distinct amount over all the columns given (a shop has a few thousand
    prices, and the refund, the export's refund and what was paid mostly agree): each column
    a categorical of those Decimals, so a writer formats each amount once."""
    from decimal import Decimal

    parts = [pd.Series(c).reset_index(drop=True) for c in columns]
    fen = np.concatenate([p.to_numpy(dtype=np.int64, na_value=0) for p in parts]) if parts else np.zeros(0, np.int64)
    known = ~np.concatenate([p.isna().to_numpy() for p in parts]) if parts else np.zeros(0, bool)
    codes = np.full(len(fen), -1, dtype=np.int64)
    codes[known], uniques = pd.factorize(fen[known])  # integers: hashed in C, in order of appearance
    amounts = pd.CategoricalDtype(pd.Index(np.array([Decimal(f).scaleb(-2) for f in uniques.tolist()], dtype=object),
                                           dtype=object))  # one dtype shared: its amounts checked once
    ends = np.cumsum([len(c) for c in columns])
    return [pd.Categorical.from_codes(part, dtype=amounts) for part in np.split(codes, ends[:-1])]


def _relabel(col: pd.Series, words: dict) -> pd.Series:
    """A categorical of ids (actions, urgencies) as their words, each word made once (still a
    categorical: a writer formats each word once, not once per row)."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return col.map(words)
    new = [words.get(c) for c in col.cat.categories.tolist()]
    labels = list(dict.fromkeys(w for w in new if w is not None))
    if not labels:
        return col.map(words)
    remap = np.array([labels.index(w) if w is not None else -1 for w in new] + [-1], dtype=np.int64)
    codes = col.cat.codes.to_numpy()
    return pd.Series(pd.Categorical.from_codes(remap[np.where(codes < 0, len(new), codes)],
                                               categories=pd.Index(labels, dtype=object)), index=col.index)


def _flag(mask, word: str) -> pd.Categorical:
    """Yes/no as the word or a blank (a categorical of two texts)."""
    return pd.Categorical.from_codes(np.asarray(mask, dtype=bool).astype(np.int8), categories=pd.Index(["", word], dtype=object))


def _minutes(times: pd.Series) -> np.ndarray:
    """Aware times as their wall-clock text, "2026-11-20 10:00" (a blank for none): each distinct
    minute formatted once (in C), then taken per row."""
    wall = times.dt.tz_localize(None).to_numpy().astype("datetime64[m]")
    codes, uniques = pd.factorize(wall.view(np.int64))
    text = np.array([t.replace("T", " ") for t in np.datetime_as_string(uniques.view("datetime64[m]")).tolist()],
                    dtype=object)
    return np.where(np.isnat(wall), None, text[codes] if len(text) else np.full(len(wall), None, dtype=object))


def _where(files, rows) -> np.ndarray:
    """"file:row" for each row (file names are few: each stored once)."""
    files = pd.Series(files)
    if isinstance(files.dtype, pd.CategoricalDtype) and len(files):
        heads = [f"{c}:" for c in files.cat.categories.tolist()] + ["nan:"]
        codes = files.cat.codes.to_numpy().tolist()
        return np.array([heads[k] + r for k, r in zip(codes, map(str, np.asarray(rows).tolist()))], dtype=object)
    names = np.asarray(files.astype(str), dtype=object)
    return names + ":" + np.asarray(rows).astype(str).astype(object) if len(names) else names


def amount_checks(decided: pd.DataFrame, sop: Sop, lang: str) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(refund above paid, deductions in the export's cash refund, the text for each row)."""
    paid = decided["paid_fen"].astype("Int64")
    above = (paid.notna() & (decided["refund_fen"] > paid.fillna(0))).to_numpy(dtype=bool)
    deducted = sum((decided[f"{c.id}_fen"].to_numpy(dtype=np.int64) for c in sop.parameters.amount.components
                    if c.treatment == "deduct"), np.zeros(len(decided), dtype=np.int64))
    in_cash = deducted > 0
    t = lambda k: sop.t(k, lang)  # noqa: E731
    txt = np.full(len(decided), "", dtype=object)
    txt[above] = t("triage_check_above_paid")
    if in_cash.any():
        # One text per distinct deduction, taken per row (only the rows that have one).
        amounts, where = np.unique(deducted[in_cash], return_inverse=True)
        words = np.array([t("triage_check_discount").format(amount=fmt(_dec(d))) for d in amounts.tolist()], dtype=object)
        disc = words[where.reshape(-1)]
        first = txt[in_cash]
        txt[in_cash] = np.where(above[in_cash], first + "; " + disc, disc)
    return above, in_cash, pd.Series(txt, index=decided.index)


def _dec(fen: int):
    from decimal import Decimal

    return Decimal(int(fen)) / 100


def worklist_table(result, sop: Sop, lang: str = "zh", mask: bool = True, mapping: Mapping | None = None) -> pd.DataFrame:
    """The worklist as a labelled table, most urgent first (the order of `result.decided`)."""
    mapping = mapping or load_mapping(sop)
    d = result.decided
    t = lambda k: sop.t(k, lang)  # noqa: E731
    actions = {a.id: a(lang) for a in sop.actions}
    cautions = {c.id: c(lang) for c in sop.cautions}
    above, in_cash, checks = amount_checks(d, sop, lang)
    out = pd.DataFrame(index=d.index)
    out[t("triage_ticket")] = d["ticket"]
    for key, col in (("triage_order", "order_id"), ("triage_product_id", "product_id"), ("triage_product", "product_name"),
                     ("triage_type", "aftersale_type"), ("triage_state", "status")):
        if col in d.columns:
            out[t(key)] = d[col]
    out[t("triage_requested")] = _minutes(d["requested_at"])
    out[t("action")] = _relabel(d["action"], actions)
    held = d["held_action"].map(lambda a: actions.get(a, "") if a else "")
    if held.astype(bool).any():
        out[t("held")] = held + d["blocked_by"].map(lambda b: f" ← {b}" if b else "")
    out[t("triage_rule")] = d["rule"]
    out[t("triage_todo")] = _relabel(d["action"], {a.id: a.todo(lang) for a in sop.actions})
    out[t("deadline")] = _minutes(d["due"])
    out[t("triage_hours_left")] = d["hours_left"].round(1)
    urg = {u: t(u) for u in ("overdue", "due_soon", "on_time")}
    out[t("triage_urgency")] = _relabel(d["urgency"], urg)
    out[t("overdue")] = _flag(d["overdue"], t("triage_yes"))
    out[t("triage_due_within").format(hours=sop.parameters.due_soon_hours)] = _flag(d["due_soon"], t("triage_yes"))
    paid_known = d["paid_fen"].notna().any()
    money = _yuan(d["refund_fen"], d["export_refund_fen"], *([d["paid_fen"]] if paid_known else []))
    out[t("refund_amount")] = money[0]
    out[t("triage_export_refund")] = money[1]
    if paid_known:
        out[t("triage_paid")] = money[2]
    out[t("triage_amount_checks")] = checks
    out[t("triage_to_check")] = d["to_check"].map(
        lambda s: "; ".join(f"{c} {cautions[c]}" for c in s.split(",") if c) if s else "")
    if "reason_text" in d.columns:
        out[t("triage_reason")] = d["reason_text"]
    if "_file" in d.columns:
        out[t("triage_source")] = _where(d["_file"], d["_row"])
    personal = [h for hs in mapping.personal.values() for h in hs if h in d.columns]
    if personal:
        extra = mask_frame(d[personal], mapping) if mask else d[personal]
        for h in personal:
            out[h] = extra[h]
    return out.reset_index(drop=True)


def rejected_table(result, sop: Sop, lang: str = "zh", mask: bool = True, mapping: Mapping | None = None) -> pd.DataFrame:
    """The rejected rows: file:row and the reason first, then only the columns the mapping reads
    (masked). Personal columns and free text the kit does not read are left out."""
    from .mapping import find_columns

    mapping = mapping or load_mapping(sop)
    r = result.rejected
    t = lambda k: sop.t(k, lang)  # noqa: E731
    try:
        mapped = list(dict.fromkeys(find_columns(r, mapping, "rejected").values()))
    except TriageError:  # rows from an in-memory frame: keep what is there of the mapping
        mapped = [c.column for c in mapping.columns.values() if c.column in r.columns]
    body = r[mapped].astype(object)
    if mask:
        body = mask_frame(body, mapping, text_columns=tuple(mapped))
    n = len(r)
    src = (r["_file"].astype(str) + ":" + r["_row"].astype(str)) if "_file" in r.columns else pd.Series([""] * n)
    head = pd.DataFrame({t("triage_source"): np.asarray(src, dtype=object),
                         t("triage_reject_reason"): np.asarray(r["reject_reason"], dtype=object)})
    return pd.concat([head.reset_index(drop=True), body.reset_index(drop=True)], axis=1)


def duplicates_table(result, sop: Sop, lang: str = "zh") -> pd.DataFrame:
    """Each dropped copy of a ticket: where it was, and where the copy that was kept is."""
    t = lambda k: sop.t(k, lang)  # noqa: E731
    cols = ["ticket", "_file", "_row", "kept_file", "kept_row"]
    d = result.export.duplicates if result.export is not None else pd.DataFrame(columns=cols)
    return pd.DataFrame({
        t("triage_ticket"): d["ticket"].astype(object).to_numpy(),
        t("triage_source"): (d["_file"].astype(str) + ":" + d["_row"].astype(str)).to_numpy(dtype=object),
        t("triage_kept"): (d["kept_file"].astype(str) + ":" + d["kept_row"].astype(str)).to_numpy(dtype=object),
    })


def write_table(df: pd.DataFrame, path: str | Path, sheet: str = "Sheet1") -> Path:
    """.xlsx or .csv through the kit's safe writer (nothing in a cell can run in Excel)."""
    return _safe_write_table(df, path, sheet)


# -- terminal text --------------------------------------------------------------------------

def pad(s: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - text_width(s))
    return gap + s if right else s + gap


def text_table(rows: list[list[str]], header: list[str], right: set[int] = frozenset()) -> str:
    widths = [max(text_width(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(pad(str(h), w, i in right) for i, (h, w) in enumerate(zip(header, widths))).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(pad(str(x), w, i in right) for i, (x, w) in enumerate(zip(r, widths))).rstrip())
    return "\n".join(lines)


def terminal_report(result, sop: Sop, lang: str = "zh", top: int = 20, clock_note: str = "", output: str = "") -> str:
    """Counts, money at stake and the most urgent tickets, as plain text."""
    t = lambda k: sop.t(k, lang)  # noqa: E731
    d = result.decided
    c = result.counts
    note, _, warn = clock_note.partition("\n")
    out = [f"== {t('triage_title')} ==", f"{t('triage_clock')}: {result.now:%Y-%m-%d %H:%M %z}" + (f" ({note})" if note else "")]
    if warn:
        out.append(warn)
    if result.export is not None:
        exp = result.export
        out.append(f"{t('triage_files')}: {len(exp.files)}  " + ", ".join(f"{Path(f).name} [{k}, {n}]" for f, k, n in exp.files))
        out.append(f"{t('triage_rows_read')}: {exp.rows_read}   {t('triage_duplicates')}: {len(exp.duplicates)}")
    out.append("")
    acts = {a.id: a(lang) for a in sop.actions}
    urg_names = ["overdue", "due_soon", "on_time"]
    # Tickets and money per action, and per action and urgency: counted over the codes (exact
    # integer sums of fen), not through a groupby.
    action = pd.Categorical(d["action"])
    a_codes = action.codes.astype(np.int64)
    u_codes = pd.Categorical(d["urgency"], categories=urg_names).codes.astype(np.int64)
    n_act = len(action.categories)
    counted = a_codes >= 0
    per_action = np.bincount(a_codes[counted], minlength=n_act)
    fen = np.zeros(n_act, dtype=np.int64)
    np.add.at(fen, a_codes[counted], d["refund_fen"].to_numpy(dtype=np.int64)[counted])
    both = counted & (u_codes >= 0)
    per_urg = np.bincount(a_codes[both] * len(urg_names) + u_codes[both], minlength=n_act * len(urg_names))
    per_urg = per_urg.reshape(n_act, len(urg_names))
    where = {a: k for k, a in enumerate(action.categories.tolist())}
    order = [a.id for a in sop.actions if a.id in where and per_action[where[a.id]]]
    rows = [[acts[a], str(per_action[where[a]]), *(str(x) for x in per_urg[where[a]].tolist()), fmt(_dec(fen[where[a]]))]
            for a in order]
    tot_urg = [str(int(x)) for x in np.bincount(u_codes[u_codes >= 0], minlength=len(urg_names)).tolist()]
    rows.append([t("total"), str(len(d)), *tot_urg, fmt(_dec(int(d["refund_fen"].sum())))])
    out.append(f"{t('triage_by_action')} / {t('triage_by_urgency')}")
    out.append(text_table(rows, [t("action"), t("triage_count"), *(t(u) for u in urg_names), t("triage_money_at_stake")],
                          right={1, 2, 3, 4, 5}))
    above, in_cash, _ = amount_checks(d, sop, lang)
    out.append(f"{t('triage_amount_checks')}: {t('triage_check_above_paid_short')} {int(above.sum())}; "
               f"{t('triage_check_discount_short')} {int(in_cash.sum())}")
    out.append("")
    if len(d):
        n = min(top, len(d))
        out.append(t("triage_top").format(n=n))
        rows = []
        head = d.iloc[:n]
        cols = ("ticket", "action", "urgency", "hours_left", "due", "refund_fen", "to_check")
        for i, r in enumerate(dict(zip(cols, v)) for v in zip(*(head[c].tolist() for c in cols))):  # not a row at a time
            flag = t(r["urgency"]) if r["urgency"] != "on_time" else ""
            left = time_left(pd.Timedelta(hours=float(r["hours_left"])).to_pytimedelta(), sop, lang)
            checks = []
            if above[i]:
                checks.append(t("triage_check_above_paid_short"))
            if in_cash[i]:
                checks.append(t("triage_check_discount_short"))
            rows.append([r["ticket"], acts[r["action"]], f"{r['due']:%m-%d %H:%M}", left, flag,
                         fmt(_dec(r["refund_fen"])), " ".join(checks), r["to_check"].replace(",", " ")])
        out.append(text_table(rows, [t("triage_ticket"), t("action"), t("deadline"), t("time_left"), t("triage_urgency"),
                                     t("refund_amount"), t("triage_amount_checks"), t("triage_to_check")], right={5}))
        if len(d) > n:
            out.append(t("triage_more_in_file" if output else "triage_more").format(n=len(d) - n))
    out.append("")
    out.append(f"{t('triage_rows_read')} {c['rows_read']} = {t('triage_open')} {c['open']} + {t('triage_finished')} "
               f"{c['finished']} + {t('triage_rejected')} {c['rejected']} + {t('triage_duplicates_short')} {c['duplicates']}")
    return "\n".join(out)


def frame_text(df: pd.DataFrame, max_rows: int = 15) -> str:
    """A DataFrame as an aligned text table (Chinese characters count double)."""
    head = df.head(max_rows)
    numeric = {i for i, c in enumerate(head.columns) if pd.api.types.is_numeric_dtype(head[c].dtype)}

    def cell(v) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) >= 1 or v == 0 else f"{v:.3f}"
        return str(v)

    rows = [[cell(v) for v in r] for r in head.itertuples(index=False)]
    return text_table(rows, [str(c) for c in head.columns], right=numeric)


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal (large inputs take a while)."""

    def __init__(self, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        share = min(1.0, done / total) if total else 1.0
        fill = int(width * share)
        end = "\n" if share >= 1.0 else ""
        self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {share:4.0%} {label[:60]:<60}{end}")
        self.stream.flush()
