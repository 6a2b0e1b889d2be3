"""`refundkit triage` as a shop manager runs it: worklist, files, masking, summary charts, errors."""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from refundkit.cli import main
from refundkit.masking import mask_address, mask_name, mask_phone, mask_text

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample_export"
BAD = REPO / "data" / "sample_export_bad"
XLSX = SAMPLE / "售后单导出-2026-11-20-10-00-00.xlsx"
NOW = "2026-11-20T10:00:00+08:00"


@pytest.fixture(scope="module")
def worklist(tmp_path_factory, sop):
    out = tmp_path_factory.mktemp("wl") / "worklist.xlsx"
    assert main(["triage", str(SAMPLE), "-o", str(out), "--now", NOW]) == 0
    return pd.read_excel(out, dtype=str, engine="calamine")


def test_worklist_is_sorted_most_urgent_first_with_sop_labels(worklist, sop):
    hours = worklist["剩余小时"].astype(float)
    assert hours.is_monotonic_increasing
    labels = {a.zh for a in sop.actions}
    assert set(worklist["应采取的操作"]) <= labels
    # Overdue rows say so and come first; the due-soon column is named from the SOP's hours.
    overdue = worklist["已逾期"].fillna("") == "是"
    assert overdue.any() and overdue[: overdue.sum()].all()
    due_col = f"{sop.parameters.due_soon_hours}小时内到期"
    soon = worklist[due_col].fillna("") == "是"
    assert ((hours[soon] > 0) & (hours[soon] <= sop.parameters.due_soon_hours)).all()
    # Every open ticket once; finished tickets are not on the worklist.
    assert worklist["售后单号"].is_unique
    assert not worklist["售后状态"].isin(["售后成功", "售后关闭"]).any()


def test_worklist_never_guesses_what_the_export_lacks(worklist):
    """Rows that would pay out, or were approved by the system, list the balance check as to check."""
    approved = worklist[worklist["应采取的操作"] == "系统已默认同意退款"]
    assert len(approved) and approved["待核实"].str.contains("C3").all()


def test_amount_checks_flag_refund_above_paid_and_discounts(worklist):
    sop_refund = worklist["退款金额"].astype(float)
    paid = pd.to_numeric(worklist["实付金额"], errors="coerce")
    export = worklist["导出退款合计"].astype(float)
    checks = worklist["金额核对"].fillna("")
    above = checks.str.contains("退款高于实付金额")
    assert above.any()
    assert (above == (paid.notna() & (sop_refund > paid))).all()
    disc = checks.str.contains("优惠/折扣")
    assert disc.any() and (export[disc] > sop_refund[disc]).all()
    assert (export[~disc] == sop_refund[~disc]).all()


def test_personal_data_is_masked_by_default(worklist):
    raw = pd.read_excel(XLSX, dtype=str, engine="calamine")
    phones = set(raw["联系电话"])
    shown = worklist["联系电话"].dropna()
    assert len(shown) and not (set(shown) & phones)
    assert shown.str.fullmatch(r"1\d\d\*{4}\d{4}").all()
    assert not (set(worklist["收货人"].dropna()) & set(raw["收货人"]))
    assert worklist["收货地址"].dropna().str.endswith("****").all()
    for text in worklist["用户售后说明"].dropna():
        assert not any(p in text for p in phones)


def test_no_mask_keeps_personal_data(tmp_path):
    out = tmp_path / "wl.csv"
    assert main(["triage", str(XLSX), "-o", str(out), "--now", NOW, "--no-mask"]) == 0
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"  # Excel on Chinese Windows opens it right
    df = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    raw = pd.read_excel(XLSX, dtype=str, engine="calamine")
    assert set(df["联系电话"]) <= set(raw["联系电话"])


def test_maskers():
    assert mask_name("王小明") == "王**" and mask_name("") == ""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_address("浙江省杭州市西湖区文三路12号3栋201室") == "浙江省杭州市西湖区****"
    assert mask_text("请联系13812345678谢谢") == "请联系138****5678谢谢"


def test_terminal_summary_counts_add_up(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["triage", str(SAMPLE), "--now", NOW, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "By action / By urgency" in out and "Money at stake" in out and "The 20 most urgent" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("Rows read ") and "=" in ln)
    nums = [int(x) for x in line.replace("(", " ").replace(")", " ").split() if x.isdigit()]
    rows_read, open_, finished, rejected, duplicates = nums
    assert rows_read == open_ + finished + rejected + duplicates and rejected == 0 and duplicates > 0
    assert (tmp_path / "triage_duplicates.csv").exists()
    assert "Customer personal data is masked" in out
    assert not (tmp_path / "triage_rejected.csv").exists()


def test_bad_rows_go_to_their_own_file_and_the_rest_is_triaged(capsys, tmp_path):
    out = tmp_path / "wl.xlsx"
    assert main(["triage", str(BAD / "售后单导出-坏行.csv"), "-o", str(out), "--now", NOW]) == 0
    text = capsys.readouterr().out
    assert "读取行数 15 = 待处理(工作清单) " in text and "无法读取 9 + 重复 0" in text
    rej = tmp_path / "wl_rejected.csv"
    df = pd.read_csv(rej, dtype=str, encoding="utf-8-sig")
    assert len(df) == 9 and df["无法读取的原因"].notna().all()
    assert df["来源(文件:行)"].iloc[0].startswith("售后单导出-坏行.csv:")
    assert len(pd.read_excel(out, engine="calamine")) == 6


def test_missing_column_is_one_line_exit_2(capsys):
    assert main(["triage", str(BAD / "售后单导出-缺少售后状态列.csv"), "--now", NOW]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("refundkit triage: ") and "missing required column 售后状态" in err
    assert "columns found: 售后单号" in err and "\n" not in err


@pytest.mark.parametrize("args,expect", [
    (["nope.xlsx"], "no such file"),
    ([str(XLSX), "--now", "yesterday"], "--now"),
    ([str(XLSX), "-o", "worklist.txt"], ".xlsx or .csv"),
])
def test_user_errors_are_one_line(capsys, tmp_path, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    assert main(["triage", *args]) == 2
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err


def test_summary_tables_and_charts_with_chinese(tmp_path, capsys, sop, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the duplicates list goes to the current folder
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")  # Chinese drawn as boxes
        assert main(["triage", str(SAMPLE), "--summary", "--charts", str(tmp_path), "--now", NOW]) == 0
    out = capsys.readouterr().out
    for title in ("按售后原因", "按商品", "按周(周一起)", "需要检查的商品"):
        assert title in out
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in pngs] == ["summary_by_product.png", "summary_by_reason.png", "summary_by_week.png", "summary_inspect.png"]
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    sheets = pd.read_excel(tmp_path / "summary.xlsx", sheet_name=None, engine="calamine")
    assert len(sheets) == 4
    by_week = pd.read_csv(tmp_path / "summary_by_week.csv", encoding="utf-8-sig")
    by_reason = pd.read_csv(tmp_path / "summary_by_reason.csv", encoding="utf-8-sig")
    by_product = pd.read_csv(tmp_path / "summary_by_product.csv", encoding="utf-8-sig")
    # Every ticket counted once in each breakdown.
    assert by_week["售后单数"].sum() == by_reason["售后单数"].sum() == by_product["售后单数"].sum()
    assert pd.to_datetime(by_week["周"]).dt.day_of_week.eq(0).all()
    inspect = pd.read_csv(tmp_path / "summary_inspect.csv", encoding="utf-8-sig")
    assert inspect["商品问题单数"].is_monotonic_decreasing


def test_cjk_font_is_used_for_charts():
    from refundkit.plotting import use_cjk_font

    assert use_cjk_font() is not None, "install fonts-noto-cjk (.ci/run does)"
