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

import re
import unicodedata
import zipfile
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


_RISKY_START = re.compile("\n[=+\\-@\t\r]")
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
        try:  # the usual case, a column with nothing risky, seen in one pass over one joined text
            if not _RISKY_START.search("\n" + "\n".join(arr.tolist())):
                return col
        except TypeError:  # numbers or blanks among the texts: look cell by cell
            pass
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


_ILLEGAL = {i: None for i in list(range(0, 9)) + [11, 12] + list(range(14, 32))}  # not allowed in XML 1.0
_ESCAPE = str.maketrans({**_ILLEGAL, "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _letter(j: int) -> str:
    out, j = "", j + 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _is_number(v) -> bool:
    return isinstance(v, (int, float, Decimal, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


_NEEDS_ESCAPE = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f]')
_TEXT_CELL = '" t="inlineStr"><is><t xml:space="preserve">'


def _column_cells(col: pd.Series, letter: str, rows: np.ndarray) -> tuple[list[str], bool]:
    """The <c> elements of one column (each distinct value made once); money?"""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, uniques = col.cat.codes.to_numpy(), col.cat.categories.tolist()
    else:
        codes, found = pd.factorize(pd.Series(col.to_numpy(dtype=object), dtype=object), use_na_sentinel=True)
        uniques = found.tolist()
    money = False
    if uniques and pd.api.types.infer_dtype(uniques, skipna=False) == "string":  # texts only: no test per value
        if _NEEDS_ESCAPE.search("".join(uniques)):
            uniques = [u.translate(_ESCAPE) for u in uniques]
        parts = [_TEXT_CELL + u + "</t></is></c>" for u in uniques]
    else:
        parts = []
        for u in uniques:
            if _is_number(u):
                f = float(u)
                if f != f or f in (float("inf"), float("-inf")):
                    parts.append(None)
                    continue
                text = str(u) if isinstance(u, Decimal) else repr(f)
                two = isinstance(u, (Decimal, float, np.floating))
                money |= two
                parts.append(('" s="1"><v>' if two else '"><v>') + text + "</v></c>")
            else:
                parts.append(_TEXT_CELL + str(u).translate(_ESCAPE) + "</t></is></c>")
    table = np.array(parts + [""], dtype=object)
    blank = np.array([p is None for p in parts] + [True])
    table[blank] = ""
    idx = np.where(codes < 0, len(uniques), codes)
    # '<c r="B' + row + rest, concatenated in C over object arrays; a blank cell is written as nothing.
    cells = np.where(blank[idx], "", ('<c r="' + letter) + rows + table[idx])
    return cells.tolist(), money


_NS = "http://schemas.openxmlformats.org"
_STATIC = {
    "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_NS}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{_NS}/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
}


def _sheet_xml(df: pd.DataFrame) -> str:
    df = safe_frame(df)
    n = len(df)
    rows = np.arange(2, n + 2).astype(str).astype(object)
    cols, widths = [], []
    for j, name in enumerate(df.columns):
        col = df.iloc[:, j]
        cells, _ = _column_cells(col, _letter(j), rows)
        cols.append(cells)
        head = col.iloc[:200].to_numpy(dtype=object)
        width = max([text_width(str(name))] + [text_width(str(v)) for v in head if v is not None]) + 2
        widths.append(min(max(width, 8), 60))
    head = "".join(f'<c r="{_letter(j)}1" t="inlineStr"><is><t xml:space="preserve">{str(h).translate(_ESCAPE)}</t></is></c>'
                   for j, h in enumerate(df.columns))
    body = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in zip(rows, zip(*cols))) if cols else ""
    col_xml = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_NS}/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" '
            'state="frozen"/></sheetView></sheetViews>'
            + (f"<cols>{col_xml}</cols>" if col_xml else "")
            + f'<sheetData><row r="1">{head}</row>{body}</sheetData></worksheet>')


def _sheet_title(title: str, taken: list[str]) -> str:
    base = "".join("-" if ch in '[]:*?/\\' else ch for ch in str(title))[:31] or "Sheet"
    name, k = base, 2
    while name in taken:
        name = f"{base[:28]}-{k}"
        k += 1
    return name


def write_sheets(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Several tables as the sheets of one .xlsx.

    Written as the file format's XML directly, a column at a time (each distinct text escaped
    once): a 20,000-row worklist in about a second, where openpyxl takes over fifteen. Text
    cells are inline strings, so nothing in them is ever a formula; numbers are numbers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for title in tables:
        names.append(_sheet_title(title, names))
    files = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{_NS}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(names)))
        + "</Types>",
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_NS}/spreadsheetml/2006/main" '
        f'xmlns:r="{_NS}/officeDocument/2006/relationships"><sheets>'
        + "".join(f'<sheet name="{n.translate(_ESCAPE)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_NS}/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="{_NS}/officeDocument/2006/relationships/worksheet" '
                  f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))
        + f'<Relationship Id="rId{len(names) + 1}" Type="{_NS}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>",
        **_STATIC,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in files.items():
            z.writestr(name, text)
        for i, df in enumerate(tables.values()):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(df))
    return path


def _text(v) -> str:
    """One cell as pandas writes it to CSV (blank for a missing value), text neutralised."""
    kind = type(v)
    if kind is str:
        return "'" + v if v.startswith(RISKY) else v
    if kind is Decimal:  # money in the worklist
        return "" if v.is_nan() else str(v)
    if isinstance(v, str):
        return neutralise(v)
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and v != v):
        return ""
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)


def _quote(texts: list[str], joined: str | None = None) -> list[str]:
    """CSV quoting as the csv module's QUOTE_MINIMAL does it: a field holding a comma, a quote,
    CR or LF is quoted (quotes doubled). `joined`: the texts joined by LF, if already made."""
    joined = "\n".join(texts) if joined is None else joined
    if not ("," in joined or '"' in joined or "\r" in joined or joined.count("\n") > len(texts) - 1):
        return texts
    return ['"' + t.replace('"', '""') + '"' if ("," in t or '"' in t or "\r" in t or "\n" in t) else t for t in texts]


def _csv_ready(dtype) -> bool:
    """A column kind `_csv_texts` writes as pandas would (others, dates say, go through pandas)."""
    return (isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)) or dtype == object
            or getattr(dtype, "kind", "") in "iubf")


def _csv_texts(col: pd.Series, made: dict | None = None) -> list[str]:
    """A column as the texts of its CSV cells, neutralised and quoted.

    Texts that repeat (categoricals) are formatted once (`made` keeps them for the next block
    of rows and for other columns of the same categories); a column of texts with nothing
    risky is passed as it is (checked in one pass over one joined text)."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        made = {} if made is None else made
        if id(dtype) not in made:
            made[id(dtype)] = (dtype, np.asarray(_quote([_text(c) for c in dtype.categories.tolist()] + [""]), dtype=object))
        return made[id(dtype)][1][col.cat.codes.to_numpy()].tolist()
    if dtype.kind in "iubf" and not isinstance(dtype, pd.StringDtype):
        if col.hasnans:
            return [_text(v) for v in col.astype(object).tolist()]
        return list(map(repr if dtype.kind == "f" else str, col.tolist()))
    vals = col.to_numpy(dtype=object).tolist()
    try:
        joined = "\n".join(vals)
    except TypeError:  # not all texts: numbers, Decimals, blanks
        return _quote([_text(v) for v in vals])
    if _RISKY_START.search("\n" + joined):
        return _quote([_text(v) for v in vals])
    return _quote(vals, joined)


CSV_ROWS_AT_ONCE = 20_000  # rows turned into text at a time: a large worklist never sits in memory twice


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM, so that Excel on Chinese Windows reads it right.

    Rows end in CRLF: a field holding a lone CR or LF is then quoted (Excel reads it as one
    cell). A block of rows at a time, each column is turned into its cells' texts at once
    (neutralised as `safe_frame` does, quoted as the csv module does), then the rows are
    joined: the bytes pandas' to_csv writes, several times faster. A frame with a column of
    another kind (dates, say), or of one column, goes through pandas."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if df.shape[1] < 2 or not all(_csv_ready(t) for t in df.dtypes):
        safe_frame(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        return path
    with open(path, "wb") as f:
        f.write(("\ufeff" + ",".join(_quote([neutralise(str(c)) for c in df.columns])) + "\r\n").encode("utf-8"))
        made: dict = {}
        for start in range(0, len(df), CSV_ROWS_AT_ONCE):
            part = df.iloc[start: start + CSV_ROWS_AT_ONCE]
            cols = [_csv_texts(part.iloc[:, j], made) for j in range(part.shape[1])]
            f.write("\r\n".join(map(",".join, zip(*cols))).encode("utf-8"))
            f.write(b"\r\n")  # not added to the block's text: that would copy it whole once more
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
