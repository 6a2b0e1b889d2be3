#!/usr/bin/env python3
"""Write the synthetic after-sales export samples under data/ (seeded: same files every run).

    python scripts/make_sample_export.py            # rewrites data/sample_export/ and data/sample_export_bad/
    python scripts/make_sample_export.py --out DIR  # writes DIR/sample_export/ and DIR/sample_export_bad/ instead

Every run writes the same bytes (seeded data, fixed times inside the .xlsx), so regenerating
changes nothing in git unless this script changed.

data/sample_export/ is what a shop would download from the backend over a few weeks:
  售后单导出-2026-11-20-10-00-00.xlsx   tickets of 6-17 Nov, state at the training clock; a merged
                                       export carrying 实付金额 and the buyer's contact details
  售后单导出-2026-11-13-18-30-05.csv    an older export (23 Oct-13 Nov) saved from Excel on Chinese
                                       Windows: GBK, ticket numbers with a leading tab
  售后单导出-2026-11-20-09-52-37.csv    15-20 Nov, UTF-8 with BOM, times as 2026/11/18 9:05, amounts
                                       over 1,000 written with a thousands separator
The exports overlap (the same ticket in two files, the older file with an older state), as
happens when staff export by date ranges. Every ticket is a refund request with valid cells.
data/sample_export_bad/ holds the broken inputs the tests and lessons use.
The people, phone numbers and addresses are made up.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "sample_export"
BAD = ROOT / "data" / "sample_export_bad"
TZ = ZoneInfo("Asia/Shanghai")
CLOCK = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)  # the training clock (data/scenarios.yaml)
SEED = 20261120

COLUMNS = ["售后单号", "订单号", "商品单号", "商品ID", "商品名称", "商家编码", "商品发货状态", "售后类型", "售后状态",
           "售后申请时间", "售后原因", "退款方式", "退商品金额（元）", "退运费金额（元）", "退支付优惠（元）", "退税费金额（元）",
           "商家退款时间", "售后完结时间"]
XLSX_EXTRA = ["实付金额（元）", "仲裁状态", "买家昵称", "收货人", "联系电话", "收货地址", "用户售后说明"]
GBK_EXTRA = ["买家昵称", "用户售后说明"]

# (name, merchant code, price in fen, share of quality-type complaints)
PRODUCTS = [
    ("加绒加厚连帽卫衣男冬季宽松外套", "WY-2301", 12900, 0.10),
    ("纯棉四件套全棉床单被套1.8m床", "SJT-18", 25900, 0.08),
    ("316不锈钢保温杯大容量500ml", "BWB-500", 5990, 0.05),
    ("无线蓝牙耳机入耳式降噪运动款", "EJ-X7", 19900, 0.35),
    ("儿童羽绒服男童女童中长款加厚", "ET-YR9", 32900, 0.12),
    ("氨基酸洗面奶温和清洁控油200g", "XMN-200", 6990, 0.20),
    ("不粘锅炒锅家用麦饭石少油烟32cm", "GL-32", 15900, 0.30),
    ("高腰阔腿牛仔裤女秋冬显瘦直筒", "NZK-88", 13900, 0.12),
    ("五常大米稻花香新米5kg", "DM-5K", 8990, 0.04),
    ("电热毯双人双控除螨加厚", "DRT-2", 16900, 0.28),
    ("iPhone15手机壳透明防摔磁吸", "SJK-15", 2990, 0.06),
    ("羊毛围巾女冬季百搭加厚保暖", "WJ-W1", 9900, 0.08),
    ("空气炸锅家用大容量5L智能", "KQZ-5L", 29900, 0.15),
    ("坚果礼盒每日坚果混合装750g", "JG-750", 12800, 0.05),
    ("保湿面霜补水修护敏感肌50g", "MS-50", 15800, 0.22),
    ("男士运动鞋跑步鞋透气软底", "YDX-42", 23900, 0.10),
    ("家用加湿器卧室静音大雾量", "JSQ-4", 8900, 0.18),
    ("手工红糖姜茶块独立包装", "HT-12", 3990, 0.03),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "婷婷", "子涵", "浩然", "雨萱"]
NICK = ["小鱼儿", "快乐每一天", "追风少年", "柠檬不酸", "木子李", "晴天", "momo", "阿杰的店铺粉", "用户7734", "一只猫", "奶茶续命", "陈陈"]
PLACES = [("浙江省", "杭州市", "西湖区", "文三路"), ("广东省", "深圳市", "南山区", "科技园南路"), ("江苏省", "南京市", "鼓楼区", "中山北路"),
          ("四川省", "成都市", "武侯区", "人民南路四段"), ("山东省", "青岛市", "市南区", "香港中路"), ("北京市", "北京市", "朝阳区", "建国路"),
          ("湖北省", "武汉市", "洪山区", "珞喻路"), ("河南省", "郑州市", "金水区", "花园路"), ("上海市", "上海市", "浦东新区", "张杨路")]

REASONS = {
    "未发货仅退款": [("多拍/错拍/不想要", 60), ("不想要了", 12), ("缺货", 10), ("地址填错了", 10), ("协商一致退款", 8)],
    "已发货仅退款": [("少件/漏发", 25), ("商品破损", 20), ("快递一直未送达", 30), ("多拍/错拍/不想要", 25)],
    "退货退款": [("七天无理由退货", 45), ("不喜欢/效果不好", 12), ("与商品描述不符", 12), ("商家发错货", 6), ("尺码不合适", 10)],
}
QUALITY = ["做工粗糙/有瑕疵", "质量问题", "使用后过敏"]


def pick(rng, weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights=weights)[0]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def timeline(rng, kind: str, t: datetime) -> list[tuple[datetime, str]]:
    """The states a ticket passes through, with the time each starts."""
    h = lambda lo, hi: timedelta(hours=rng.uniform(lo, hi))  # noqa: E731
    week = timedelta(days=7)
    ev = [(t, "待商家处理")]

    def platform(at: datetime) -> None:  # arbitration, then a verdict a few days later
        ev.append((at, "平台处理中"))
        ev.append((at + h(48, 140), "售后成功" if rng.random() < 0.6 else "售后关闭"))

    if rng.random() < 0.05:  # left unhandled: the system approves at the deadline (the export lags a little)
        ev.append((t + week + h(0, 30), "售后成功"))
        return ev
    if kind == "未发货仅退款":
        ev.append((t + h(0.2, 30), "售后成功" if rng.random() < 0.88 else "售后关闭"))
        return ev
    if kind == "已发货仅退款":
        r = rng.random()
        t2 = t + h(1, 60)
        if r < 0.70:
            ev.append((t2, "售后成功"))
        elif r < 0.88:
            ev.append((t2, "商家一次拒绝"))
            if rng.random() < 0.4:
                platform(t2 + h(6, 72))
            else:
                ev.append((t2 + h(24, 96), "售后关闭"))
        else:
            ev.append((t2, "售后关闭"))
        return ev
    # 退货退款
    if rng.random() < 0.08:
        t2 = t + h(2, 40)
        ev.append((t2, "商家一次拒绝"))
        if rng.random() < 0.5:
            platform(t2 + h(24, 100))
        else:
            ev.append((t2 + h(24, 120), "售后关闭"))
        return ev
    t2 = t + h(0.5, 36)
    ev.append((t2, "待买家退货"))
    if rng.random() < 0.10:
        ev.append((t2 + h(24, 96), "售后关闭"))
        return ev
    t3 = t2 + h(8, 70)
    ev.append((t3, "待商家收货"))
    t4 = t3 + h(30, 110)
    if rng.random() < 0.95:
        ev.append((t4, "售后成功"))
    else:
        ev.append((t4, "商家二次拒绝"))
        if rng.random() < 0.5:
            platform(t4 + h(12, 60))
        else:
            ev.append((t4 + h(48, 96), "售后关闭"))
    return ev


def state_at(ev, when: datetime) -> tuple[str, datetime | None]:
    current, finished = ev[0][1], None
    for t, s in ev:
        if t <= when:
            current = s
            finished = t if s in ("售后成功", "售后关闭") else None
    return current, finished


def make_tickets(rng) -> list[dict]:
    tickets = []
    start = datetime(2026, 10, 23, 0, 0, tzinfo=TZ)
    t = start
    serial = 0
    while True:
        t += timedelta(minutes=rng.expovariate(1 / 75))
        if t >= CLOCK - timedelta(minutes=8):
            break
        if t.hour < 7 and rng.random() < 0.8:  # few requests at night
            continue
        serial += 1
        name, code, price, qrate = rng.choice(PRODUCTS)
        pid = 3600000000000000000 + PRODUCTS.index((name, code, price, qrate)) * 7919 + 341
        qty = 2 if rng.random() < 0.12 else 1
        kind = pick(rng, [("未发货仅退款", 30), ("已发货仅退款", 18), ("退货退款", 52)])
        reason = pick(rng, REASONS[kind])
        if kind != "未发货仅退款" and rng.random() < qrate * 1.6:
            reason = rng.choice(QUALITY[:2] + (["使用后过敏"] if code in ("XMN-200", "MS-50") else []))
        goods = price * qty
        pay_discount = rng.choice([100, 200, 300, 500, 1000]) if rng.random() < 0.18 else 0
        pay_discount = min(pay_discount, goods // 4)
        goods_part = goods - pay_discount
        ship = rng.choice([600, 800, 1000, 1200]) if kind == "退货退款" and reason in ("商家发错货", "质量问题", "做工粗糙/有瑕疵") and rng.random() < 0.6 else 0
        paid = goods_part + ship
        if rng.random() < 0.03:  # the request asks for more than was paid: a shop red packet, a price change
            paid -= rng.choice([500, 1000, 2000])
        shipped = kind != "未发货仅退款"
        ship_state = (f"{qty}/{qty}已发货" if rng.random() > 0.05 or qty == 1 else f"1/{qty}已发货") if shipped else "未发货"
        p = rng.choice(PLACES)
        note = ""
        if rng.random() < 0.25:
            note = rng.choice(["拍错颜色了", "尺码偏小", "收到有划痕", "等太久了不想要了", "麻烦尽快处理", "和图片不一样"])
            if rng.random() < 0.3:
                note += f",电话{rng.choice('35789')}{rng.randrange(10**9):09d}"
        tickets.append({
            "售后单号": str(7300000000000000000 + serial * 104729 + rng.randrange(1000)),
            "订单号": str(6900000000000000000 + serial * 7727 + rng.randrange(7000)),
            "商品单号": str(6900000000000000000 + serial * 7727 + rng.randrange(7000) + 1),
            "商品ID": str(pid), "商品名称": name, "商家编码": code, "商品发货状态": ship_state,
            "售后类型": kind, "售后申请时间": t, "售后原因": reason, "退款方式": "原路退款",
            "goods_part": goods_part, "ship": ship, "pay_discount": pay_discount, "paid": paid,
            "timeline": timeline(rng, kind, t),
            "买家昵称": rng.choice(NICK), "收货人": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "联系电话": f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
            "收货地址": f"{p[0]}{p[1]}{p[2]}{p[3]}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室",
            "用户售后说明": note,
        })
    return tickets


def row_at(tk: dict, when: datetime, extra: list[str], time_fmt: str, money) -> dict:
    state, finished = state_at(tk["timeline"], when)
    out = {c: tk.get(c, "") for c in COLUMNS + extra}
    out["售后状态"] = state
    out["售后申请时间"] = tk["售后申请时间"].strftime(time_fmt)
    out["退商品金额（元）"] = money(tk["goods_part"])
    out["退运费金额（元）"] = money(tk["ship"])
    out["退支付优惠（元）"] = money(tk["pay_discount"]) if tk["pay_discount"] else ""
    out["退税费金额（元）"] = money(0)
    out["商家退款时间"] = finished.strftime("%Y-%m-%d %H:%M:%S") if state == "售后成功" and finished else ""
    out["售后完结时间"] = finished.strftime("%Y-%m-%d %H:%M:%S") if finished else ""
    if "实付金额（元）" in extra:
        out["实付金额（元）"] = money(tk["paid"])
    if "仲裁状态" in extra:
        out["仲裁状态"] = "仲裁中" if state == "平台处理中" else "无"
    return out


def write_xlsx(path: Path, rows: list[dict], columns: list[str]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "售后单"
    ws.append(columns)
    for r in rows:
        ws.append([r[c] for c in columns])
    fixed = datetime(2026, 11, 20, 10, 0)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    # Same bytes every run: the zip stores each member's write time, so fix it too.
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=fixed.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time as "modified"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-20T10:00:00Z", data)
            dst.writestr(member, data)


def write_csv(path: Path, rows: list[dict], columns: list[str], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([r[c] for c in columns])


def main(argv: list[str] | None = None) -> None:
    global OUT, BAD
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "data",
                    help="folder to write sample_export/ and sample_export_bad/ into (default: the kit's data/)")
    args = ap.parse_args(argv)
    OUT, BAD = args.out / "sample_export", args.out / "sample_export_bad"
    rng = random.Random(SEED)
    tickets = make_tickets(rng)
    OUT.mkdir(parents=True, exist_ok=True)
    BAD.mkdir(parents=True, exist_ok=True)
    for old in list(OUT.iterdir()) + list(BAD.iterdir()):
        old.unlink()
    day = lambda m, d: datetime(2026, m, d, tzinfo=TZ)  # noqa: E731

    # xlsx: numbers as numbers (as the backend writes them), the training clock's state.
    a = [row_at(t, CLOCK, XLSX_EXTRA, "%Y-%m-%d %H:%M:%S", lambda f: f / 100)
         for t in tickets if day(11, 6) <= t["售后申请时间"] < day(11, 18)]
    cols_a = COLUMNS + XLSX_EXTRA
    write_xlsx(OUT / "售后单导出-2026-11-20-10-00-00.xlsx", a, cols_a)

    # GBK csv, older export: the state as of 13 Nov 18:30; ticket numbers with a leading tab.
    when_b = datetime(2026, 11, 13, 18, 30, 5, tzinfo=TZ)
    b = [row_at(t, when_b, GBK_EXTRA, "%Y-%m-%d %H:%M:%S", yuan) for t in tickets if t["售后申请时间"] < when_b]
    b = [r for r in b if r]
    for r in b:
        r["售后单号"] = "\t" + r["售后单号"]
        r["订单号"] = "\t" + r["订单号"]
    write_csv(OUT / "售后单导出-2026-11-13-18-30-05.csv", b, COLUMNS + GBK_EXTRA, "gbk")

    # UTF-8 BOM csv, re-saved by Excel: 2026/11/18 9:05 times, 1,299.00 amounts.
    when_c = datetime(2026, 11, 20, 9, 52, 37, tzinfo=TZ)
    fmt_money = lambda f: f"{f / 100:,.2f}"  # noqa: E731
    c = [row_at(t, when_c, [], "%Y/%m/%d %H:%M", fmt_money) for t in tickets if t["售后申请时间"] >= day(11, 15)]
    for r in c:
        r["售后申请时间"] = r["售后申请时间"].replace("/0", "/").replace(" 0", " ")
    write_csv(OUT / "售后单导出-2026-11-20-09-52-37.csv", c, COLUMNS, "utf-8-sig")

    # Broken inputs: a few good rows, then one fault per row (the reason the tests expect).
    good = [row_at(t, CLOCK, [], "%Y-%m-%d %H:%M:%S", yuan) for t in tickets[-6:]]
    bad_rows = [dict(good[0]) for _ in range(9)]
    faults = [
        ("售后申请时间", "2026-13-40 25:00:00"), ("退商品金额（元）", "-5.00"), ("退商品金额（元）", "十元"),
        ("售后状态", "待平台确认"), ("售后类型", "换货"), ("售后类型", "退款不退货"), ("退运费金额（元）", "12.345"),
        ("售后单号", ""), ("商品发货状态", "已出库"),
    ]
    for i, (r, (col, val)) in enumerate(zip(bad_rows, faults)):
        r["售后单号"] = str(7399999999999991234 + i) if col != "售后单号" else val
        r[col] = val
        if col == "售后类型" and val == "换货":
            r["售后原因"] = "尺码不合适"
    write_csv(BAD / "售后单导出-坏行.csv", good + bad_rows, COLUMNS, "utf-8")
    no_status = [{k: v for k, v in r.items() if k != "售后状态"} for r in good]
    write_csv(BAD / "售后单导出-缺少售后状态列.csv", no_status, [c for c in COLUMNS if c != "售后状态"], "utf-8")
    print(f"{len(tickets)} tickets; {OUT.name}: xlsx {len(a)} rows, gbk csv {len(b)}, bom csv {len(c)}; "
          f"{BAD.name}: {len(good)} good + {len(bad_rows)} bad rows, and a file without 售后状态")


if __name__ == "__main__":
    main()
