"""The one writer of the kit's CSV and .xlsx files: what Excel would run is written as text."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pandas as pd

from refundkit.safe_write import RISKY, neutralise, safe_frame, write_sheets, write_table

HOSTILE = ["=1+1", "+86 139", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\tx", "\rx", "normal", "1/1已发货", ""]


def test_neutralise_each_risky_start_and_nothing_else():
    assert [neutralise(v) for v in HOSTILE] == ["'=1+1", "'+86 139", "'-2+3", "'@SUM(1+1)*cmd|' /C calc'!A0", "'\tx", "'\rx",
                                                "normal", "1/1已发货", ""]
    assert neutralise(-5) == -5 and neutralise(Decimal("-1.50")) == Decimal("-1.50")  # numbers stay numbers


def test_frame_columns_of_every_kind_and_headers():
    df = pd.DataFrame({"=head": HOSTILE, "cat": pd.Categorical(HOSTILE), "n": range(len(HOSTILE))})
    out = safe_frame(df)
    assert list(out.columns) == ["'=head", "cat", "n"]
    for col in ("'=head", "cat"):
        assert not any(isinstance(v, str) and v.startswith(RISKY) for v in out[col])
    assert out["n"].tolist() == list(range(len(HOSTILE)))


def test_xlsx_holds_text_cells_and_numbers(tmp_path):
    from openpyxl import load_workbook  # here: a test process that runs no xlsx test does not import it

    df = pd.DataFrame({"售后单号": ["7300000000000012345", "=HYPERLINK(\"http://x\")"], "退款金额": [Decimal("12.50"), Decimal("-3.00")],
                       "说明": ["a & b < c", "x\x01y"]})
    path = write_sheets({"工作清单": df, "second/sheet": df.head(1)}, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["工作清单", "second-sheet"]
    ws = wb["工作清单"]
    assert ws.freeze_panes == "B2"
    assert [c.data_type for c in ws["A"]] == ["s", "s", "s"]
    assert ws["A2"].value == "7300000000000012345" and ws["A3"].value.startswith("'=HYPERLINK")
    assert ws["B2"].value == 12.5 and ws["B2"].number_format == "#,##0.00" and ws["B3"].value == -3
    assert ws["C2"].value == "a & b < c" and ws["C3"].value == "xy"  # a control character XML cannot hold is dropped


def test_csv_is_utf8_with_bom_and_neutralised(tmp_path):
    path = write_table(pd.DataFrame({"x": HOSTILE}), tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    cells = [r[0] for r in csv.reader(io.StringIO(raw.decode("utf-8-sig")))][1:]
    assert not any(c.startswith(RISKY) for c in cells)


def test_progress_export_goes_through_the_safe_writer(tmp_path, monkeypatch, capsys):
    from openpyxl import load_workbook
    from refundkit.cli import main
    from refundkit.progress import Attempt, ProgressStore
    from datetime import datetime
    from zoneinfo import ZoneInfo

    db = tmp_path / "p.sqlite3"
    store = ProgressStore(db)
    at = datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    store.record(Attempt("=cmd|' /C calc'!A0", "ex01", "ex01.q01", "refund_now", False, "1.0.0", at))
    assert main(["progress", "export", "--format", "xlsx", "-o", str(tmp_path / "p.xlsx"), "--db", str(db)]) == 0
    assert main(["progress", "export", "--format", "csv", "-o", str(tmp_path / "csv"), "--db", str(db)]) == 0
    for ws in load_workbook(tmp_path / "p.xlsx").worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f" and not (isinstance(c.value, str) and c.value.startswith(RISKY)), c.value
    for f in (tmp_path / "csv").iterdir():
        for r in csv.reader(io.StringIO(f.read_text(encoding="utf-8-sig"))):
            assert not any(v.startswith(RISKY) for v in r), (f.name, r)


def test_csv_bytes_are_what_pandas_writes_for_every_kind_of_column(tmp_path):
    """The writer joins rows itself (fast); a spreadsheet must read exactly what pandas' to_csv
    (the csv module) would have written: quoting, blanks, numbers, money, categories."""
    import numpy as np

    texts = HOSTILE[:8] + ['say "hi", then go', "two\nlines", "cr\rhere", None, "逗号，全角"]
    n = len(texts)
    df = pd.DataFrame({
        "=head, quoted": texts,
        "cat": pd.Categorical(texts),
        "float": [1.0, -72.0, np.nan, 0.1 + 0.2, 1e16, 3.5, -0.0, 1.25, 2.0, 7.5, 0.5, 9.0, 1e-7],
        "int": np.arange(n), "bool": [True, False] * 6 + [True],
        "Int64": pd.array([1, None] + list(range(n - 2)), dtype="Int64"),
        "boolean": pd.array([True, None] + [False] * (n - 2), dtype="boolean"),
        "money": [Decimal("12.50"), Decimal("-3.00"), None, Decimal("0.00")] + [Decimal(k) for k in range(n - 4)],
        "mixed": [Decimal("1.10"), 2, 3.5, "=x", None, np.nan, pd.NA, "", "a", "b", "c", "d", "e"],
        "str": pd.array(texts, dtype="str"),
    })
    ours = write_table(df, tmp_path / "ours.csv").read_bytes()
    safe_frame(df).to_csv(tmp_path / "pandas.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    assert ours == (tmp_path / "pandas.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(ours.decode("utf-8-sig"), newline="")))
    assert len(rows) == n + 1 and rows[10][0] == "two\nlines" and rows[9][0] == 'say "hi", then go'
