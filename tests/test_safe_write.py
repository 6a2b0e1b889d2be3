"""The one writer of the kit's CSV and .xlsx files: what Excel would run is written as text."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pandas as pd
from openpyxl import load_workbook

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
