"""Reading the shop's exports: every format and encoding, merged folders, duplicates, bad input."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from refundkit.triage import TriageError, load_exports, triage

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample_export"
BAD = REPO / "data" / "sample_export_bad"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
XLSX = SAMPLE / "售后单导出-2026-11-20-10-00-00.xlsx"
GBK = SAMPLE / "售后单导出-2026-11-13-18-30-05.csv"
BOM = SAMPLE / "售后单导出-2026-11-20-09-52-37.csv"


def test_sample_files_are_the_formats_they_claim():
    assert XLSX.read_bytes()[:2] == b"PK"
    assert BOM.read_bytes()[:3] == b"\xef\xbb\xbf"
    raw = GBK.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "售后单号" in raw.decode("gbk")


@pytest.mark.parametrize("path,kind", [(XLSX, "xlsx"), (GBK, "csv gbk"), (BOM, "csv utf-8-sig")])
def test_each_format_reads_to_the_same_columns_and_exact_values(sop, path, kind):
    exp = load_exports([path], sop)
    assert exp.files[0][1] == kind
    result = triage(exp, sop, NOW)
    assert result.counts["rejected"] == 0, result.rejected["reject_reason"].tolist()
    cases = pd.concat([result.decided, result.finished])
    # 19-digit ticket numbers survive every format (no float, no leading tab, no scientific notation).
    assert cases["ticket"].str.fullmatch(r"73\d{17}").all()
    # Chinese texts decoded: every product name is one of the shop's names.
    assert cases["product_name"].str.contains(r"[\u4e00-\u9fff]").all()
    assert (cases["goods_fen"] > 0).all()


def test_same_ticket_in_different_formats_gives_identical_facts(sop):
    """A ticket exported to xlsx (numbers) and to the BOM csv (1,299.00 text, 2026/11/18 9:05) reads the same."""
    a = triage(load_exports([XLSX], sop), sop, NOW)
    c = triage(load_exports([BOM], sop), sop, NOW)
    cols = ["ticket", "goods_fen", "shipping_fen", "discount_fen", "order_state", "request_type", "requested_at"]
    both = pd.concat([a.decided, a.finished])[cols].merge(pd.concat([c.decided, c.finished])[cols], on="ticket", suffixes=("_x", "_c"))
    assert len(both) > 10
    # The re-saved csv keeps minutes only.
    both["requested_at_x"] = both["requested_at_x"].dt.floor("min")
    for col in cols[1:]:
        assert (both[f"{col}_x"].astype(str) == both[f"{col}_c"].astype(str)).all(), col


def test_folder_merges_files_and_reports_duplicates_once(sop):
    files = load_exports([SAMPLE], sop)
    singles = [load_exports([p], sop) for p in (XLSX, GBK, BOM)]
    assert files.rows_read == sum(s.rows_read for s in singles)
    assert len(files.duplicates) > 0
    assert files.rows_in == files.rows_read - len(files.duplicates)
    assert not files.frame["售后单号"].str.strip().duplicated().any()
    # The newest export's copy is the one kept.
    assert set(files.duplicates["kept_file"]) <= {XLSX.name, BOM.name}
    assert files.exported_at == NOW
    result = triage(files, sop, NOW)
    c = result.counts
    assert c["rows_in"] == files.rows_in == c["triaged"] + c["rejected"]


def test_missing_required_column_names_it_and_the_columns_found(sop):
    with pytest.raises(TriageError) as err:
        load_exports([BAD / "售后单导出-缺少售后状态列.csv"], sop)
    msg = str(err.value)
    assert "missing required column 售后状态" in msg and "columns found: 售后单号, 订单号" in msg and "缺少售后状态列.csv" in msg


def test_bad_cells_reject_their_row_with_a_reason_and_the_rest_go_on(sop):
    exp = load_exports([BAD / "售后单导出-坏行.csv"], sop)
    result = triage(exp, sop, NOW)
    c = result.counts
    assert c == {"rows_read": 15, "rows_in": 15, "triaged": 6, "open": c["open"], "finished": c["finished"], "rejected": 9,
                 "duplicates": 0}
    reasons = dict(zip(result.rejected["_row"], result.rejected["reject_reason"]))
    assert reasons[8] == "售后申请时间: not a time (expected e.g. 2026-11-20 10:00:00)"
    assert reasons[9] == "退商品金额（元）: negative (an amount refunded is 0 or more)"
    assert reasons[10] == "退商品金额（元）: not an amount in yuan (expected e.g. 12.50)"
    assert reasons[11].startswith("售后状态: unknown state (expected one of 待商家处理")
    assert reasons[12].startswith("售后类型: not a refund request (价保, 换货, 维修, 补寄)")
    assert reasons[13].startswith("售后类型: unknown type (expected one of 退货退款")
    assert reasons[14] == "退运费金额（元）: more than two decimals (amounts are whole fen)"
    assert reasons[15] == "售后单号: empty (every row needs a ticket number)"
    assert reasons[16].startswith("商品发货状态: unknown shipping state")
    # Reasons name the column and the problem, never the cell's value.
    for bad in ("2026-13-40", "-5.00", "十元", "待平台确认", "退款不退货", "12.345", "已出库"):
        assert not any(bad in r for r in reasons.values()), bad


def test_undecodable_csv_and_wrong_paths_are_named(sop, tmp_path):
    junk = tmp_path / "x.csv"
    junk.write_bytes(b"\xff\xfe\x00\x81\x30" * 10)
    with pytest.raises(TriageError, match="x.csv"):
        load_exports([junk], sop)
    with pytest.raises(TriageError, match="no such file"):
        load_exports([tmp_path / "nope.xlsx"], sop)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TriageError, match="no .xlsx or .csv"):
        load_exports([tmp_path / "empty"], sop)


def test_progress_reports_bytes_read_up_to_the_whole(sop):
    seen = []
    load_exports([SAMPLE], sop, progress=lambda name, done, total: seen.append((name, done, total)))
    total = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert seen[-1][1:] == (total, total)
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)
    assert {n for n, _, _ in seen[:-1]} == {p.name for p in SAMPLE.iterdir()}


def test_progress_bar_draws_on_a_terminal():
    import io

    from refundkit.triage.report import Progress

    buf = io.StringIO()
    bar = Progress(enabled=True, stream=buf)
    bar("读取 a.xlsx", 50, 100)
    bar("", 100, 100)
    assert "50%" in buf.getvalue() and "100%" in buf.getvalue() and buf.getvalue().endswith("\n")
    quiet = io.StringIO()
    Progress(stream=quiet)("x", 1, 2)  # not a terminal: nothing drawn
    assert quiet.getvalue() == ""


def test_files_mapped_one_at_a_time_give_what_the_merged_export_gives(sop, tmp_path):
    """`read_cases` (the command's path: each file mapped as it arrives) and `to_cases` over the
    merged export agree row for row: cases in the same order, the same rejections and duplicates."""
    from refundkit.triage import load_exports, load_mapping, read_cases, to_cases

    mapping = load_mapping(sop)
    for workers in (1, 2):
        merged = load_exports([SAMPLE], sop, mapping, workers=workers)
        want = to_cases(merged.frame, sop, mapping, sort_by_time=True)
        got, export = read_cases([SAMPLE], sop, mapping, workers=workers)
        assert export.rows_read == merged.rows_read and export.files == merged.files
        pd.testing.assert_frame_equal(export.duplicates, merged.duplicates)
        for part in ("cases", "finished"):
            a, b = getattr(got, part), getattr(want, part).reset_index(drop=True)
            assert sorted(a.columns) == sorted(b.columns)  # a column one file lacks comes last, blank there
            for c in a.columns:
                assert a[c].astype(object).fillna("").tolist() == b[c].astype(object).fillna("").tolist(), (part, c)
        a, b = got.rejected, want.rejected
        assert a[["_file", "_row", "reject_reason"]].astype(str).values.tolist() == \
            b[["_file", "_row", "reject_reason"]].astype(str).values.tolist()
