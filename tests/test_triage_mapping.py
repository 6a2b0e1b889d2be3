"""Export texts -> SOP facts, as sop/export_mapping.yaml says; the mapping itself is checked."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from refundkit.triage import TriageError, load_mapping, to_cases, triage
from refundkit.triage.mapping import DEFAULT_MAPPING_PATH

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def row(**over):
    base = {"售后单号": "7300000000000000001", "商品发货状态": "1/1已发货", "售后类型": "退货退款", "售后状态": "待商家处理",
            "售后申请时间": "2026-11-18 09:00:00", "退商品金额（元）": "99.00", "退运费金额（元）": "0.00"}
    base.update(over)
    return base


def frame(*rows):
    return pd.DataFrame([dict(r, 售后单号=str(7300000000000012345 + i)) for i, r in enumerate(rows)])


def test_texts_are_read_whatever_the_punctuation_width(sop):
    cf = to_cases(frame(row(售后状态="同意退款，退款成功"), row(售后状态="同意退款,退款成功"), row(售后状态=" 售后关闭 ")), sop)
    assert list(cf.finished["finished"]) == ["refunded", "refunded", "closed"] and len(cf.cases) == 0


@pytest.mark.parametrize("text,state", [("未发货", "not_shipped"), ("0/1已发货", "not_shipped"), ("1/1已发货", "shipped"),
                                        ("1/2已发货", "shipped"), ("2/2已签收", "received")])
def test_shipping_state_counts(sop, text, state):
    cf = to_cases(frame(row(商品发货状态=text)), sop)
    assert cf.cases["order_state"].iat[0] == state


def test_states_map_to_the_facts_the_sop_tests(sop):
    rows = [row(售后状态="待商家处理"), row(售后状态="待买家退货"), row(售后状态="待商家收货"),
            row(售后状态="商家一次拒绝"), row(售后状态="平台处理中"),
            row(售后状态="待商家处理", 仲裁状态="待商家举证"), row(售后类型="未发货仅退款", 商品发货状态="未发货", 售后状态="待商家处理")]
    result = triage(frame(*rows), sop, NOW)
    got = result.decided.sort_values("ticket")["action"].tolist()
    assert got == ["negotiate_first", "wait_for_return", "wait_for_return", "refuse_with_explanation",
                   "await_platform", "await_platform", "negotiate_first"]


def test_money_columns_sum_into_the_sop_components(sop):
    cf = to_cases(frame(row(**{"退商品金额（元）": "1,290.50", "退运费金额（元）": "0", "退支付优惠（元）": "10", "实付金额（元）": "1280.50"})), sop)
    c = cf.cases.iloc[0]
    # goods value = goods part + payment-discount part; the discount is then deducted (S07).
    assert (c["goods_fen"], c["shipping_fen"], c["discount_fen"], c["coupon_fen"]) == (130050, 0, 1000, 0)
    assert c["export_refund_fen"] == 130050 and c["paid_fen"] == 128050
    # A blank optional part is 0; a blank required amount rejects the row (never a refund of the shipping alone).
    cf = to_cases(frame(row(**{"退支付优惠（元）": ""}), row(**{"退商品金额（元）": "", "退运费金额（元）": "6.00"})), sop)
    assert cf.cases["discount_fen"].tolist() == [0]
    assert cf.rejected["reject_reason"].tolist() == ["退商品金额（元）: empty, but the refund needs it (0 if nothing; a formula "
                                                     "without a saved value reads as empty too: open the file in Excel, let it "
                                                     "calculate, save, export again)"]


def test_an_amount_cell_is_read_as_a_typed_amount_is(sop):
    """An export re-saved by a person carries amounts as people write them: what the calculator takes
    (typed_input) the export reader takes too, and what it refuses (a comma that is not a thousands
    comma, 1_000, a word) rejects the row. Unlike typing, a spreadsheet's 1.5E+2 is a number."""
    from refundkit.typed_input import InputError, amount

    written = ["¥59.90", "￥59.90", "59.90元", "RMB 59.90", "CNY59.90", "５９．９０", "59。90", "1,059.90", "1.5E+2"]
    refused = ["59,9", "1_000", "五十九", "59.90 dollars", "--59.90"]
    cf = to_cases(frame(*[row(**{"退商品金额（元）": t}) for t in written + refused]), sop)
    read = dict(zip(cf.cases["ticket"], cf.cases["goods_fen"]))
    tickets = [str(7300000000000012345 + i) for i in range(len(written + refused))]
    assert [read.get(t) for t in tickets[:len(written)]] == [5990] * 7 + [105990, 15000]
    assert [t in read for t in tickets[len(written):]] == [False] * len(refused)
    assert set(cf.rejected["reject_reason"]) == {"退商品金额（元）: not an amount in yuan (expected e.g. 12.50)"}
    for t in written[:-1]:  # the same texts typed into the calculator
        assert amount(t) * 100 == read[tickets[written.index(t)]]
    for t in refused:
        with pytest.raises(InputError):
            amount(t)


def test_a_ticket_is_judged_by_how_it_was_stored_never_by_its_digits(sop):
    """Text of digits is the id as exported, even ending in zeros (about 1 real id in 10,000);
    a number, or text in scientific notation or with a decimal point, is refused."""
    ids = ["7300000000032580000", "7300000000000000000", "7.3E+18", "7300000000000120000.0", 7.3e18, 7300000000032580000]
    df = pd.DataFrame([row() for _ in ids])
    df["售后单号"] = pd.Series(ids, dtype=object)
    cf = to_cases(df, sop)
    assert cf.cases["ticket"].tolist() == ["7300000000032580000", "7300000000000000000"]
    reasons = cf.rejected["reject_reason"].tolist()
    assert [r.split(";")[0] for r in reasons] == [
        "售后单号: stored as a number (scientific notation such as 7.3E+18: digits lost)",
        "售后单号: stored as a number with a decimal point, so digits may be lost",
        "售后单号: stored as a number, so digits may be lost (Excel keeps 15)",
        "售后单号: stored as a number, so digits may be lost (Excel keeps 15)"]
    assert all("export the ticket numbers as text" in r for r in reasons)


def test_unknowns_stay_unknown(sop):
    cf = to_cases(frame(row()), sop)
    c = cf.cases.iloc[0]
    assert pd.isna(c["address_checked"]) and pd.isna(c["customer_info_verified"]) and pd.isna(c["balance_fen"])
    assert pd.isna(c["paid_fen"])  # no 实付金额 column: what was paid is not known


def test_duplicate_ticket_in_one_file_is_kept_once(sop, tmp_path):
    from refundkit.triage import load_exports

    p = tmp_path / "e.csv"
    pd.DataFrame([row(售后状态="待商家处理"), row(售后状态="待买家退货")]).to_csv(p, index=False)
    exp = load_exports([p], sop)
    assert exp.rows_read == 2 and exp.rows_in == 1 and len(exp.duplicates) == 1
    assert exp.frame["售后状态"].tolist() == ["待买家退货"]  # the later row wins


def test_mapping_values_are_checked_against_the_sop(sop, tmp_path):
    text = DEFAULT_MAPPING_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "m.yaml"
    bad.write_text(text.replace("待买家退货: {return_progress: awaiting_buyer", "待买家退货: {return_progress: awaiting_bus"), encoding="utf-8")
    with pytest.raises(TriageError) as err:
        load_mapping(sop, bad)
    assert "m.yaml" in str(err.value) and "awaiting_bus" in str(err.value) and "return_progress" in str(err.value)
    assert load_mapping(sop).status  # the shipped mapping loads


def test_in_memory_frame_without_files(sop):
    result = triage(frame(row(), row(售后申请时间="not a time")), sop, NOW)
    assert result.counts == {"rows_read": 2, "rows_in": 2, "triaged": 1, "open": 1, "finished": 0, "rejected": 1,
                             "duplicates": 0}
    assert "not a time" in result.rejected["reject_reason"].iat[0]


def test_corrupt_xlsx_is_named(sop, tmp_path):
    from refundkit.triage import load_exports

    p = tmp_path / "售后单导出.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(TriageError, match="售后单导出.xlsx"):
        load_exports([p], sop)
