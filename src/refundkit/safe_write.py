"""The one writer of every CSV and .xlsx the kit produces: nothing in them can run in Excel.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel (and
LibreOffice) read as a formula, or as a command through DDE (`@SUM(1+1)*cmd|' /C calc'!A0`).
Such cells, and such headers, get the usual leading apostrophe, so the cell shows its text and
nothing runs. In .xlsx every text cell is a text cell (never a formula), numbers stay numbers
(money with two decimals), and long ids written as text keep all their digits.

    write_table(df, "worklist.xlsx", sheet="工作清单")   # or .csv (UTF-8 with BOM, for Excel)
    write_sheets({"by reason": df1, "by week": df2}, "summary.xlsx")

Bottom layer: imports nothing of the kit.
"""
from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

RISKY = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """One value: text that Excel would run gets a leading apostrophe; anything else as is."""
    if isinstance(value, str) and value.startswith(RISKY):
        return "'" + value
    return value


_is_risky = np.frompyfunc(lambda v: isinstance(v, str) and v.startswith(RISKY), 1, 1)


def _neutralise_column(col: pd.Series) -> pd.Series:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
            fixed = [neutralise(c) for c in cats]
            if any(a is not b for a, b in zip(fixed, cats)):
                # Two categories may become one text; rebuild from values rather than rename.
                return pd.Series(np.asarray(fixed, dtype=object)[col.cat.codes.to_numpy()], index=col.index).where(
                    col.cat.codes.to_numpy() >= 0, None)
        return col
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        arr = col.to_numpy(dtype=object, na_value=None)
        # One C-level pass over the column; only the risky cells are rewritten.
        risky = _is_risky(arr).astype(bool) if len(arr) else np.zeros(0, dtype=bool)
        if risky.any():
            arr = arr.copy()
            arr[risky] = ["'" + v for v in arr[risky]]
            return pd.Series(arr, index=col.index, name=col.name)
    return col


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and headers cannot run as formulas (numbers untouched)."""
    out = pd.DataFrame({i: _neutralise_column(df.iloc[:, i]) for i in range(df.shape[1])}, index=df.index)
    out.columns = [neutralise(str(c)) for c in df.columns]
    return out


def text_width(s: str) -> int:
    """Columns a text takes in a fixed-width font (Chinese characters count double)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cell(v):
    """A value as openpyxl should store it: NA -> empty, numpy scalars -> Python."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.tz_localize(None).to_pydatetime() if v.tzinfo else v.to_pydatetime()
    return v


def _write_sheet(wb, df: pd.DataFrame, title: str) -> None:
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet(title=_sheet_title(title, wb.sheetnames))
    df = safe_frame(df)
    money = []
    for i, name in enumerate(df.columns):
        sample = df.iloc[:, i].dropna().head(1)
        if len(sample) and isinstance(sample.iloc[0], (Decimal, float, np.floating)):
            money.append(i)
        width = max([text_width(str(name))] + [text_width(str(v)) for v in df.iloc[:200, i]]) + 2
        from openpyxl.utils import get_column_letter

        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(width, 8), 60)
    ws.freeze_panes = "B2"
    ws.append(list(df.columns))
    cols = [df.iloc[:, i].to_numpy(dtype=object) for i in range(df.shape[1])]
    for r in range(len(df)):
        row = [_cell(c[r]) for c in cols]
        for i in money:
            if row[i] is not None:
                cell = WriteOnlyCell(ws, value=row[i])
                cell.number_format = "#,##0.00"
                row[i] = cell
        ws.append(row)


def _sheet_title(title: str, taken: list[str]) -> str:
    base = "".join("-" if ch in '[]:*?/\\' else ch for ch in str(title))[:31] or "Sheet"
    name, k = base, 2
    while name in taken:
        name = f"{base[:28]}-{k}"
        k += 1
    return name


def write_sheets(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Several tables as the sheets of one .xlsx (streamed: memory stays flat)."""
    from openpyxl import Workbook

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    for title, df in tables.items():
        _write_sheet(wb, df, title)
    wb.save(path)
    return path


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM, so that Excel on Chinese Windows reads it right."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(df).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_table(df: pd.DataFrame, path: str | Path, sheet: str = "Sheet1") -> Path:
    """One table as .xlsx or .csv, chosen by the file name; ValueError for any other name."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        return write_sheets({sheet: df}, path)
    if suffix == ".csv":
        return write_csv(df, path)
    raise ValueError(f"{path}: expected a .xlsx or .csv file name")


__all__ = ["RISKY", "neutralise", "safe_frame", "text_width", "write_csv", "write_sheets", "write_table"]
