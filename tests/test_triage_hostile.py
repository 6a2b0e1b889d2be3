"""A hostile export: every row accounted for, nothing live in any output, no personal value shown.

The export is built here (openpyxl, then the sheet's XML patched where a formula needs a saved
value), as a staff member's copy that went through Excel: ids stored as numbers, formulas,
formulas never calculated, empty and absurd amounts, personal data in the buyer's note, and
cells that Excel would run (`=`, `+`, `-`, `@`).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from refundkit.cli import main
from refundkit.safe_write import RISKY

NOW = "2026-11-20T10:00:00+08:00"
HEAD = ["售后单号", "订单号", "商品ID", "商品名称", "商品发货状态", "售后类型", "售后状态", "售后申请时间", "售后原因",
        "退款方式", "退商品金额（元）", "退运费金额（元）", "实付金额（元）", "收货人", "联系电话", "收货地址", "用户售后说明"]
PERSONAL = ["13912345678", "张伟", "建国路88号", "110101199003071234", "李娜", "13700001234", "文三路478号"]
NOTE = "张伟 13912345678 北京市朝阳区建国路88号 身份证110101199003071234"
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


def row(ticket, **over):
    base = {"售后单号": ticket, "订单号": "6900000000000012345", "商品ID": "3600000000000000341", "商品名称": "保温杯",
            "商品发货状态": "1/1已发货", "售后类型": "退货退款", "售后状态": "待商家处理", "售后申请时间": "2026-11-18 09:00:00",
            "售后原因": "七天无理由退货", "退款方式": "原路退款", "退商品金额（元）": "59.90", "退运费金额（元）": "0",
            "实付金额（元）": "59.90", "收货人": "李娜", "联系电话": "13700001234", "收货地址": "浙江省杭州市西湖区文三路478号",
            "用户售后说明": ""}
    base.update(over)
    return [base[h] for h in HEAD]


# (sheet row, cells, what happens to the row)
ROWS = [
    (2, row("7300000000000012345", 用户售后说明=NOTE, 商品名称="=1+1"), "open"),
    (3, row("7300000000000012346", 商品名称=DDE, 售后原因="-2+3"), "open"),
    (4, row("7300000000000012347", 售后状态="售后成功", 用户售后说明="+86 139 1234 5678"), "finished"),
    (5, row(7.3e18), "stored as a number (scientific notation"),
    (6, row(7.3e18, 售后状态="待买家退货"), "stored as a number (scientific notation"),
    (7, row(7.3e18, 售后状态="售后成功"), "stored as a number (scientific notation"),
    (8, row("7.3E+18"), "stored as a number (scientific notation"),
    (9, row(7300000000000120000.0), "stored as a number (scientific notation"),  # Excel rounded it: 15 digits, then zeros
    (10, row("7300000000000012350", **{"退商品金额（元）": ""}), "退商品金额（元）: empty, but the refund needs it"),
    (11, row("7300000000000012351", **{"退商品金额（元）": "FORMULA_NO_VALUE"}), "退商品金额（元）: a formula with no saved value"),
    (12, row("7300000000000012352", **{"退商品金额（元）": "FORMULA_WITH_VALUE"}), "open"),
    (13, row("7300000000000012353", **{"退商品金额（元）": "inf"}), "退商品金额（元）: not an amount in yuan"),
    (14, row("7300000000000012354", **{"退商品金额（元）": 1e30}), "退商品金额（元）: above the SOP's limit for one refund"),
    (15, row("7300000000000012355", **{"退运费金额（元）": "99999999999999999999"}), "退运费金额（元）: above the SOP's limit"),
    (16, row("7300000000000012356", 售后状态="待平台确认", 用户售后说明=NOTE, 商品名称="=1+1"), "售后状态: unknown state"),
    (17, row("7300000000000012345", 用户售后说明=NOTE), "duplicate"),  # the same ticket as row 2, later: kept
    (18, row("7300000000032580000"), "open"),  # a real id that ends in zeros, stored as text: an id like any other
    (19, row("7300000000000012359", **{"退商品金额（元）": "59,9"}), "退商品金额（元）: not an amount in yuan"),  # 599 or 59.9?
]


def build(path: Path) -> Path:
    from openpyxl import Workbook  # here: a test process that runs no xlsx test does not import it

    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    for _, cells, _ in ROWS:
        ws.append(["=SUM(1,2)" if c in ("FORMULA_NO_VALUE", "FORMULA_WITH_VALUE") else c for c in cells])
        for c in ws[ws.max_row]:
            if c.value == "=1+1":
                c.data_type = "s"  # text a buyer typed, stored as text (as the backend writes it)
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl writes formulas without a saved value; give row 12's formula one, as Excel would.
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<c r="K12"[^>]*><f>SUM\(1,2\)</f>)<v\s*/>', rb"\g<1><v>66.5</v>", data)
                assert b"<v>66.5</v>" in data
            dst.writestr(info, data)
    return path


def _texts_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    return path.read_text(encoding="utf-8-sig")


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    export = build(tmp / "售后单导出-2026-11-20-10-00-00.xlsx")
    outs = {}
    for fmt in ("xlsx", "csv"):
        out = tmp / fmt / f"worklist.{fmt}"
        out.parent.mkdir()
        import contextlib

        so, se = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            rc = main(["triage", str(export), "-o", str(out), "--now", NOW, "--lang", "en", "--top", "50"])
        outs[fmt] = (rc, so.getvalue(), se.getvalue(), out)
    return outs


def test_every_row_is_accounted_for_exactly(run):
    rc, out, err, path = run["csv"]
    assert rc == 0, err
    want = {k: sum(1 for *_, what in ROWS if what == k) for k in ("open", "finished", "duplicate")}
    rejected = len(ROWS) - sum(want.values())
    assert f"Rows read {len(ROWS)} = Open (on the worklist) {want['open']} + Already over (statistics only) " \
           f"{want['finished']} + Rejected {rejected} + duplicates {want['duplicate']}" in out
    import pandas as pd

    rej = pd.read_csv(path.with_name("worklist_rejected.csv"), dtype=str, encoding="utf-8-sig")
    reasons = dict(zip(rej["Source (file:row)"].str.rsplit(":", n=1).str[1].astype(int), rej["Why the row was rejected"]))
    for sheet_row, _, what in ROWS:
        if what not in ("open", "finished", "duplicate"):
            assert what in reasons[sheet_row], (sheet_row, reasons.get(sheet_row))
    assert "export the ticket numbers as text" in reasons[5]
    # Three tickets Excel turned into the same number are three rejections, not one ticket and two duplicates.
    assert {5, 6, 7} <= set(reasons)
    dups = pd.read_csv(path.with_name("worklist_duplicates.csv"), dtype=str, encoding="utf-8-sig")
    assert dups.values.tolist() == [["7300000000000012345", f"售后单导出-2026-11-20-10-00-00.xlsx:2",
                                     "售后单导出-2026-11-20-10-00-00.xlsx:17"]]
    wl = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert len(wl) == want["open"]
    # The formula's saved value is the amount (66.50), not 0.
    assert wl.loc[wl["Ticket"] == "7300000000000012352", "Refund amount"].tolist() == ["66.50"]


def test_no_live_formula_in_any_output(run):
    from openpyxl import load_workbook

    for fmt in ("xlsx", "csv"):
        path = run[fmt][3]
        files = sorted(path.parent.iterdir())
        assert len(files) == 3  # worklist, rejected rows, duplicates
        for f in files:
            if f.suffix == ".xlsx":
                wb = load_workbook(f)
                for ws in wb.worksheets:
                    for r in ws.iter_rows():
                        for c in r:
                            assert c.data_type != "f", (f.name, c.coordinate, c.value)
                            assert not (isinstance(c.value, str) and c.value.startswith(RISKY)), (f.name, c.coordinate)
            else:
                for r in csv.reader(io.StringIO(f.read_text(encoding="utf-8-sig"))):
                    for v in r:
                        assert not v.startswith(RISKY), (f.name, v)
        text = "".join(_texts_of(f) for f in files)
        text = text.replace("&apos;", "'").replace("&#39;", "'")
        assert "'=1+1" in text and "'@SUM(1+1)*cmd" in text and "'-2+3" in text  # shown as text, with the apostrophe


def test_no_personal_value_in_any_output_or_message(run):
    for fmt in ("xlsx", "csv"):
        rc, out, err, path = run[fmt]
        text = out + err + "".join(_texts_of(f) for f in path.parent.iterdir())
        for secret in PERSONAL:
            assert secret not in text, (fmt, secret)
            if secret.isdigit():
                assert secret not in _digits(text.replace("7300000000000012345", "")), (fmt, secret)


def test_rejected_file_keeps_only_mapped_columns(run):
    import pandas as pd

    rej = pd.read_csv(run["csv"][3].with_name("worklist_rejected.csv"), dtype=str, encoding="utf-8-sig")
    assert not {"收货人", "联系电话", "收货地址", "用户售后说明"} & set(rej.columns)
    assert {"售后单号", "退商品金额（元）", "售后状态"} <= set(rej.columns)


def test_mixed_encodings_name_the_line(tmp_path, sop):
    from refundkit.triage import TriageError, load_exports

    good = ",".join(HEAD) + "\n" + ",".join(str(c) for c in row("7300000000000012345")) + "\n"
    gbk_line = ",".join(str(c) for c in row("7300000000000012346")) + "\n"
    utf8_then_gbk = tmp_path / "a.csv"
    utf8_then_gbk.write_bytes(good.encode("utf-8") + gbk_line.encode("gbk"))
    with pytest.raises(TriageError, match=r"a.csv: line 3, byte \d+: not UTF-8 although the lines before are UTF-8"):
        load_exports([utf8_then_gbk], sop)
    gbk_then_utf8 = tmp_path / "b.csv"
    gbk_then_utf8.write_bytes(good.encode("gbk") + gbk_line.encode("utf-8"))
    with pytest.raises(TriageError, match=r"b.csv: line 3, byte \d+: this line is UTF-8 while the lines before are GBK"):
        load_exports([gbk_then_utf8], sop)
    bom = tmp_path / "c.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + good.encode("utf-8") + gbk_line.encode("gbk"))
    with pytest.raises(TriageError, match=r"c.csv: line 3, byte \d+: not UTF-8"):
        load_exports([bom], sop)


def test_several_files_read_in_parallel_give_the_same_result(tmp_path, sop):
    from refundkit.triage import load_exports, triage
    from refundkit.triage.io import expand_paths
    from datetime import datetime
    from zoneinfo import ZoneInfo

    sample = Path(__file__).resolve().parent.parent / "data" / "sample_export"
    now = datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    one = triage(load_exports([sample], sop, workers=1), sop, now)
    two = triage(load_exports(expand_paths([sample]), sop, workers=2), sop, now)
    assert one.counts == two.counts
    assert one.decided["ticket"].tolist() == two.decided["ticket"].tolist()
