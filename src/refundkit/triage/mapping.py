"""Export rows -> case facts, column by column (vectorised), as `sop/export_mapping.yaml` says.

The result is a *case frame*: one row per ticket with the same facts a `refundkit.cases.Case`
carries (string facts as categoricals over the SOP's values, yes/no facts as nullable
booleans, money as integer fen, `requested_at` tz-aware), plus the ticket's descriptive
columns. A row whose cell cannot be read is rejected with a reason; the others go on.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ..safeyaml import YamlError, load_file as load_yaml_file
from ..cases import CASE_FACTS
from ..sop import REPO_ROOT, Sop
from ..typed_input import EXPONENT, NUMBER, InputError, money_text

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
        data = load_yaml_file(path)
    except OSError as exc:
        raise TriageError(f"{path}: cannot be read ({exc.strerror})") from None
    except YamlError as exc:
        raise TriageError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise TriageError(f"{path}: expected a mapping of export texts (columns, status, ...)")
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


class Texts:
    """A text column factorized: each distinct text is normalised and looked up once.

    `codes[i]` indexes `uniq` (normalised texts; the last entry "" stands for blank/NA), so a
    per-text answer `a` (an array over `uniq`) becomes a per-row answer as `a[codes]`.
    """

    def __init__(self, col: pd.Series):
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        self.col = col
        self.raw = list(uniques) + [""]
        self.uniq = [norm(u) for u in uniques] + [""]
        self.codes = np.where(codes < 0, len(uniques), codes)

    def per_row(self, values: list) -> np.ndarray:
        return np.asarray(values)[self.codes]

    def lookup(self, table: dict[str, Any]) -> tuple[list, np.ndarray]:
        """(value per distinct text, found mask per row)."""
        return [table.get(t) for t in self.uniq], self.per_row([t in table for t in self.uniq])

    def categorical(self) -> pd.Categorical:
        """The cells as written (trimmed), as a categorical; blank/NA read as ""."""
        cats = list(dict.fromkeys(str(r).strip() for r in self.raw))
        remap = np.array([cats.index(str(r).strip()) for r in self.raw])
        return pd.Categorical.from_codes(remap[self.codes], categories=pd.Index(cats, dtype=object))

    def blank(self) -> np.ndarray:
        return self.per_row([t == "" for t in self.uniq])

    def text(self, i: int) -> str:
        return str(self.raw[self.codes[i]])


def fact_codes_from(values: list, domain: list, codes: np.ndarray) -> np.ndarray:
    """Per-distinct-text fact values -> per-row index into the fact's domain (-1 = unknown)."""
    idx = np.array([domain.index(v) if v in domain else -1 for v in values] or [-1], dtype=np.int16)
    return idx[codes]


def _yuan_text_to_float(t: str) -> float:
    """A text cell in yuan; NaN (a rejected row) if it is none. Written as a typed amount is
    (typed_input.money_text: ¥, 元, RMB, full-width digits, commas between thousands only), except that
    an export's 1.5E+30 is read as the number it is (a spreadsheet writes large numbers so): the SOP's
    limit then refuses it."""
    try:
        raw = money_text(t)
    except InputError:
        return float("nan")
    return float(raw) if NUMBER.fullmatch(raw) or EXPONENT.fullmatch(raw) else float("nan")


def parse_fen(col: pd.Series, header: str, rejects: _Rejects, blanks: list | None = None,
              required: bool = False, limit_fen: int | None = None, limit_text: str = "") -> np.ndarray:
    """Yuan -> integer fen, exact. Blank = 0 (its mask appended to `blanks`) unless `required`;
    non-numeric, non-finite, negative, sub-fen or above the SOP's limit rejects the row. Text
    cells are parsed once per distinct text. Reasons name the column, never the cell."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype="float64", na_value=np.nan)
        blank = np.isnan(num)
        num = np.where(blank, 0.0, num)
    else:
        tx = Texts(col)
        parsed = [0.0 if t == "" else (float(r) if isinstance(r, (int, float)) and not isinstance(r, bool)
                                       else _yuan_text_to_float(t)) for t, r in zip(tx.uniq, tx.raw)]
        num = tx.per_row(np.array(parsed, dtype="float64"))
        blank = tx.blank()
    if required:
        rejects.add(blank, f"{header}: empty, but the refund needs it (0 if nothing; a formula without a saved "
                           "value reads as empty too: open the file in Excel, let it calculate, save, export again)")
    rejects.add(np.isnan(num), f"{header}: not an amount in yuan (expected e.g. 12.50)")
    rejects.add(np.isinf(num), f"{header}: not a finite amount (expected e.g. 12.50)")
    num = np.where(np.isfinite(num), num, 0.0)
    if blanks is not None:
        blanks.append(blank)
    rejects.add(num < 0, f"{header}: negative (an amount refunded is 0 or more)")
    scaled = num * 100
    if limit_fen is not None:
        rejects.add(scaled > limit_fen, f"{header}: {limit_text}")
        scaled = np.where(scaled > limit_fen, 0.0, scaled)
    fen = np.rint(scaled)
    # Exact for any amount under the limit: a float's error at 1e9 yuan is still far below a fen.
    rejects.add(np.abs(scaled - fen) > 1e-6, f"{header}: more than two decimals (amounts are whole fen)")
    return np.where(rejects.bad, 0, fen).astype(np.int64)


def parse_times(col: pd.Series, header: str, formats: list[str], tz, rejects: _Rejects) -> pd.Series:
    """Export times (Shanghai wall-clock, no zone) -> tz-aware; unreadable ones reject the row.

    The first format is tried on the whole column at once; only cells it cannot read are
    stripped and tried against the other formats.
    """
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        out = col.dt.tz_convert(tz)
    elif pd.api.types.is_datetime64_dtype(col.dtype):
        out = col.dt.tz_localize(tz)
    else:
        out = None
        try:  # numpy's ISO parser reads "2026-11-20 10:00:00" several times faster than strptime
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a time with a zone offset: leave it to the slow path
                parsed = np.asarray(col.to_numpy(dtype=object), dtype="datetime64[s]")
            out = pd.Series(parsed.astype("datetime64[ns]"), index=col.index)
        except (ValueError, TypeError, Warning):
            pass
        if out is None:
            out = pd.to_datetime(col, format=formats[0], errors="coerce") if formats else pd.Series(pd.NaT, index=col.index)
            out = out.astype("datetime64[ns]")
        todo = out.isna().to_numpy()
        if todo.any():
            rest = col[todo]
            rest = rest.map(lambda v: v.strip() if isinstance(v, str) else v)
            got = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[ns]")
            for fmt in formats:
                left = got.isna() & rest.notna()
                if not left.any():
                    break
                got[left] = pd.to_datetime(rest[left], format=fmt, errors="coerce")
            dt_cells = rest.map(lambda v: isinstance(v, datetime))  # datetime objects from a spreadsheet
            if dt_cells.any():
                got[dt_cells] = pd.to_datetime(rest[dt_cells].astype(object)).astype("datetime64[ns]")
            out[todo] = got
        out = out.dt.tz_localize(tz, nonexistent="NaT", ambiguous="NaT")
    rejects.add(out.isna().to_numpy(), f"{header}: not a time (expected e.g. 2026-11-20 10:00:00)")
    return out.dt.as_unit("ns")


def shipping_states(tx: Texts, table: dict[str, str]) -> list:
    """商品发货状态 -> order_state per distinct text; `1/1已发货` counts read as shipped unless 0 shipped."""
    values = []
    for t in tx.uniq:
        m = re.fullmatch(r"(\d+)/(\d+)(.*)", t)
        if m:
            v = "not_shipped" if int(m.group(1)) == 0 else table.get(m.group(3))
        else:
            v = table.get(t)
        values.append(v)
    return values


EXPORT_IDS_AS_TEXT = ("export the ticket numbers as text: download the export again and open it without "
                      "re-saving, or set the column to Text (文本) in Excel before pasting ids")


def ticket_problems(col: pd.Series) -> np.ndarray:
    """Per row: "" for a ticket number exported as text (its digits), else what is wrong.

    The decision is by how the cell was stored, never by its digits: a text of digits is the id
    as exported, whatever they are (a real id may end in zeros). A number is refused: Excel keeps
    15 significant digits, so a 19-digit ticket stored as a number (7.3E+18) has lost digits and
    six tickets may become one. Such ids are never used to merge rows. The .xlsx reader keeps a
    number in an id column in its float form (7.3e+18, 7.30000000000012e+18), as does text in
    scientific notation from a CSV: both are refused here. Checked once per distinct value.
    """
    arr = np.asarray(col, dtype=object)
    try:  # the usual column, every cell a text of ASCII digits: one check over one joined text
        joined = "".join(vals := arr.tolist())
        if joined.isascii() and joined.isdigit() and all(vals):
            return np.full(len(arr), "", dtype=object)
    except TypeError:  # numbers or blanks among the texts
        pass
    codes, uniques = pd.factorize(pd.Series(arr, dtype=object), use_na_sentinel=True)
    # The usual id (ASCII digits as text) is decided inline; anything else by _ticket_reason.
    reason = np.array([("" if type(x) is str and x.isascii() and x.isdigit() else _ticket_reason(x))
                       for x in uniques.tolist()] + [TICKET_EMPTY], dtype=object)
    return reason[np.where(codes < 0, len(uniques), codes)]


TICKET_EMPTY = "empty (every row needs a ticket number)"
_SCI = re.compile(r"[0-9.]+[eE][+-]?[0-9]+")
_DEC = re.compile(r"[0-9]+\.[0-9]*")


def _ticket_reason(x) -> str:
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)):
        return f"stored as a number, so digits may be lost (Excel keeps 15); {EXPORT_IDS_AS_TEXT}"
    t = str(x).strip()
    if t.isascii() and t.isdigit():  # padded text of digits (an in-memory frame not yet trimmed)
        return ""
    if not t:
        return TICKET_EMPTY
    if _SCI.fullmatch(t):
        return f"stored as a number (scientific notation such as 7.3E+18: digits lost); {EXPORT_IDS_AS_TEXT}"
    if _DEC.fullmatch(t):
        return f"stored as a number with a decimal point, so digits may be lost; {EXPORT_IDS_AS_TEXT}"
    return "not a ticket number (expected its digits, exported as text)"


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


def _unknown(n: int, dtype: str):
    """A column of unknowns (not in the export): shown as "to check", never guessed."""
    if dtype == "boolean":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))


def to_cases(rows: pd.DataFrame, sop: Sop, mapping: Mapping | None = None, where: str = "export",
             sort_by_time: bool = False) -> CaseFrame:
    """Read export rows as cases. Rejected rows keep their cells and get a `reject_reason`.

    Every text column is factorized and each distinct text looked up once, so the cost per
    row is a few array operations whatever the mapping holds. Cells are used as given:
    `load_exports` has already trimmed the ones read from files.
    """
    mapping = mapping or load_mapping(sop)
    cols = find_columns(rows, mapping, where)
    rows = rows.reset_index(drop=True)
    n = len(rows)
    rej = _Rejects(n)
    h = mapping.header
    src = Path(mapping.path).name
    facts = sop.facts

    def col(name: str) -> pd.Series:
        return rows[cols[name]]

    ticket = col("ticket")
    problems = ticket_problems(ticket)
    for reason in pd.unique(problems[problems != ""]):
        rej.add(problems == reason, f"{h('ticket')}: {reason}")
    if "_formula" in rows.columns:
        # A formula whose value was never saved reads as empty: say so rather than guess 0.
        formula = np.asarray(rows["_formula"], dtype=object)
        for where in pd.unique(formula[formula != ""]):
            rej.add(formula == where, f"{where.replace(',', ', ')}: a formula with no saved value (open the file in "
                                      "Excel, let it calculate and save, or export again)")

    types = Texts(col("aftersale_type"))
    rtype_vals, rtype_found = types.lookup(mapping.aftersale_type)
    rej.add(types.per_row([t in mapping.not_refund for t in types.uniq]),
            f"{h('aftersale_type')}: not a refund request ({', '.join(sorted(mapping.not_refund))}); the SOP covers "
            "refunds only (handle it in the backend)")
    rej.add(~rtype_found, f"{h('aftersale_type')}: unknown type (expected one of {', '.join(mapping.aftersale_type)}; "
                          f"see {src})")

    states = Texts(col("status"))
    st_vals, st_found = states.lookup(mapping.status)
    rej.add(~st_found, f"{h('status')}: unknown state (expected one of {', '.join(mapping.status)}; see {src})")
    fin_names = [(v or {}).get("finished") or "" for v in st_vals]
    finished = states.per_row(np.array(fin_names, dtype=object))

    ships = Texts(col("shipping_state"))
    os_vals = shipping_states(ships, mapping.shipping_state)
    os_found = ships.per_row([v is not None for v in os_vals])
    rej.add(~os_found & (finished == ""), f"{h('shipping_state')}: unknown shipping state (expected e.g. 未发货, "
                                          f"1/1已发货; see {src})")

    requested_at = parse_times(col("requested_at"), h("requested_at"), mapping.time_formats, sop.tz, rej)

    fen: dict[str, np.ndarray] = {}
    paid_blank: list = []
    limit = sop.parameters.amount_limit
    limit_fen = int(limit.max_yuan * 100) if limit is not None else None
    limit_text = limit.refused("en").format(max=f"{limit.max_yuan:,.2f}") if limit is not None else ""
    for name in ("goods_part", "shipping_part", "pay_discount_part", "tax_part", "paid"):
        if name in cols:
            fen[name] = parse_fen(col(name), h(name), rej, paid_blank if name == "paid" else None,
                                  required=mapping.columns[name].required, limit_fen=limit_fen, limit_text=limit_text)
    amounts = {}
    for comp in MONEY_FIELDS:
        total = np.zeros(n, dtype=np.int64)
        for f in mapping.amounts.get(comp, []):
            if f in fen:
                total = total + fen[f]
        amounts[comp] = total
    # The engine's own check (refundkit.cases.Amounts): deductions cannot exceed the goods.
    over = amounts["coupon"] + amounts["discount"] > amounts["goods"]
    rej.add(over, "coupon plus discount is larger than the goods value")

    fact_codes: dict[str, np.ndarray] = {}
    for fact in STATUS_FACTS:
        fact_codes[fact] = fact_codes_from([(v or {}).get(fact, CASE_DEFAULTS[fact]) for v in st_vals],
                                           facts[fact].domain(), states.codes)
    if "arbitration" in cols:
        arb = Texts(col("arbitration"))
        arb_vals, arb_found = arb.lookup(mapping.arbitration)
        rej.add(~arb_found & ~arb.blank(), f"{h('arbitration')}: unknown arbitration state "
                                           f"(expected one of {', '.join(mapping.arbitration)})")
        dom = facts["platform_intervention"].domain()
        in_arb = arb.per_row([v == "in_progress" for v in arb_vals])
        fact_codes["platform_intervention"] = np.where(in_arb, dom.index("in_progress"), fact_codes["platform_intervention"]).astype(np.int16)

    methods = list(sop.method_by_id)
    rt = None
    if "refund_type" in cols:
        rt = Texts(col("refund_type"))
        m_vals, m_found = rt.lookup(mapping.refund_type)
        rej.add(~m_found & ~rt.blank(), f"{h('refund_type')}: unknown refund type "
                                        f"(expected one of {', '.join(mapping.refund_type)})")
        method_codes = fact_codes_from([v or mapping.default_method for v in m_vals], methods, rt.codes)
    else:
        method_codes = np.full(n, methods.index(mapping.default_method), dtype=np.int16)

    reason_ids = [r.id for r in sop.reasons]
    if "reason" in cols:
        rs = Texts(col("reason"))
        r_vals, _ = rs.lookup(mapping.reasons)
        reason_codes = fact_codes_from(r_vals, reason_ids, rs.codes)
        reason_text = pd.Categorical([str(r).strip() for r in rs.raw])[rs.codes]
    else:
        reason_codes = np.full(n, -1, dtype=np.int16)
        reason_text = pd.Categorical([""] * n)

    def cat(codes: np.ndarray, domain: list) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=domain)

    def boolean(codes: np.ndarray) -> pd.arrays.BooleanArray:  # domain [True, False]; -1 unknown
        return pd.arrays.BooleanArray(codes == 0, codes < 0)

    # Text columns pass as the Series they are (no copy, no second look at every text).
    out = pd.DataFrame({"ticket": ticket}, index=rows.index, copy=False)
    out["order_state"] = cat(fact_codes_from(os_vals, facts["order_state"].domain(), ships.codes), facts["order_state"].domain())
    out["request_type"] = cat(fact_codes_from(rtype_vals, facts["request_type"].domain(), types.codes), facts["request_type"].domain())
    for fact in STATUS_FACTS:
        out[fact] = boolean(fact_codes[fact]) if facts[fact].is_bool else cat(fact_codes[fact], facts[fact].domain())
    # Not in the export: unknown, shown as "to check", never guessed.
    out["address_checked"] = _unknown(n, "boolean")
    out["customer_info_verified"] = _unknown(n, "boolean")
    out["balance_fen"] = _unknown(n, "Int64")
    out["requested_at"] = requested_at.array
    for comp in MONEY_FIELDS:
        out[f"{comp}_fen"] = amounts[comp]
    out["refund_method"] = cat(method_codes, methods)
    out["reason"] = cat(reason_codes, reason_ids)
    out["reason_text"] = reason_text
    out["export_refund_fen"] = sum((fen[f] for f in ("goods_part", "shipping_part", "pay_discount_part", "tax_part") if f in fen),
                                   np.zeros(n, dtype=np.int64))
    # What was paid is only known where the row says it (merged exports); blank = unknown.
    if "paid" in fen:
        out["paid_fen"] = pd.arrays.IntegerArray(fen["paid"], paid_blank[0] | rej.bad)
    else:
        out["paid_fen"] = _unknown(n, "Int64")
    out["finished"] = pd.Categorical(fin_names)[states.codes] if n else pd.Categorical([])
    # Descriptive columns pass through as they are (no copy, no conversion); the ones already
    # factorized become categoricals for free (cheaper to sort and to filter).
    texts = {"aftersale_type": types, "status": states, "refund_type": rt}
    for f in INFO_FIELDS:
        if f in cols:
            tx = texts.get(f)
            out[f] = tx.categorical() if tx is not None else col(f)
    for c in ("_file", "_row"):
        if c in rows.columns:
            out[c] = rows[c]
    for header in personal_columns(rows, mapping):
        out[header] = rows[header]

    bad = rej.bad
    rejected = rows[bad].copy()
    rejected["reject_reason"] = rej.reason[bad]
    done = finished != ""
    open_idx = np.flatnonzero(~bad & ~done)
    if sort_by_time:
        # Deadline = request time + a fixed window: oldest request = most urgent (stable on ties).
        req_ns = pd.DatetimeIndex(requested_at).as_unit("ns").asi8
        open_idx = open_idx[np.argsort(req_ns[open_idx], kind="stable")]
    if len(open_idx) == n and not sort_by_time:
        return CaseFrame(cases=out, rejected=rejected.reset_index(drop=True), finished=out.iloc[0:0])
    # One take for both parts (copying every column once), then two slices (views).
    both = out.take(np.concatenate([open_idx, np.flatnonzero(~bad & done)])).reset_index(drop=True)
    k = len(open_idx)
    return CaseFrame(cases=both.iloc[:k], rejected=rejected.reset_index(drop=True),
                     finished=both.iloc[k:].reset_index(drop=True))
