#!/usr/bin/env python3
"""How fast is the vectorised triage, and how much faster than decide() row by row?

    python benchmarks/triage.py --rows 1000000

Builds an export-shaped DataFrame in memory (the columns and cell types `load_exports`
gives for an .xlsx export: texts, 19-digit ids as text, money as numbers, times as text),
then times each stage of `refundkit.triage.triage()`, and `decide()` row by row on a
sample (Case construction included, extrapolated to all rows). Prints figures, asserts
nothing: speed is measured here, never in the test suite.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from refundkit.cases import parse_case  # noqa: E402
from refundkit.engine import decide  # noqa: E402
from refundkit.sop import default_sop  # noqa: E402
from refundkit.triage import load_mapping, row_case, to_cases, triage  # noqa: E402
from refundkit.triage.vectorised import decide_frame  # noqa: E402


def make_export(n: int, now: datetime, seed: int = 1) -> pd.DataFrame:
    """n rows shaped like the backend's export (what read_excel(dtype=str) would not change)."""
    rng = np.random.default_rng(seed)
    states = np.array(["待商家处理", "待买家退货", "待商家收货", "商家一次拒绝", "平台处理中", "售后成功", "售后关闭"], dtype=object)
    kinds = np.array(["退货退款", "已发货仅退款", "未发货仅退款"], dtype=object)
    ship = {"退货退款": "1/1已发货", "已发货仅退款": "1/1已发货", "未发货仅退款": "未发货"}
    reasons = np.array(["七天无理由退货", "多拍/错拍/不想要", "做工粗糙/有瑕疵", "与商品描述不符", "少件/漏发", "尺码不合适"], dtype=object)
    products = np.array([f"商品{i:03d} 加厚保暖款" for i in range(300)], dtype=object)
    k = rng.integers(0, 3, n)
    kind = kinds[k]
    shipping_state = np.array([ship[x] for x in kinds], dtype=object)[k]
    req = pd.Timestamp(now).tz_localize(None) - pd.to_timedelta(rng.integers(0, 10 * 86400, n), unit="s")
    goods = rng.integers(990, 59900, n)
    disc = np.where(rng.random(n) < 0.15, rng.integers(100, 900, n), 0)
    pid = rng.integers(0, 300, n)
    ticket = (7_300_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 7919).astype(str).astype(object)
    return pd.DataFrame({
        "售后单号": ticket,
        "订单号": (6_900_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 104729).astype(str).astype(object),
        "商品ID": (3_600_000_000_000_000_000 + pid).astype(str).astype(object),
        "商品名称": products[pid],
        "商品发货状态": shipping_state,
        "售后类型": kind,
        "售后状态": states[rng.choice(7, n, p=[0.2, 0.1, 0.1, 0.03, 0.02, 0.45, 0.1])],
        "售后申请时间": req.strftime("%Y-%m-%d %H:%M:%S").astype(object),
        "售后原因": reasons[rng.integers(0, len(reasons), n)],
        "退款方式": np.full(n, "原路退款", dtype=object),
        "退商品金额（元）": (goods - disc) / 100,
        "退运费金额（元）": np.where(rng.random(n) < 0.1, 8.0, 0.0),
        "退支付优惠（元）": disc / 100,
        "退税费金额（元）": np.zeros(n),
        "实付金额（元）": (goods - disc) / 100,
    })


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=3000, help="rows decided one by one with decide()")
    ap.add_argument("--repeat", type=int, default=3, help="vectorised runs; the best is reported")
    args = ap.parse_args()

    sop = default_sop()
    mapping = load_mapping(sop)
    now = datetime(2026, 11, 20, 10, 0, tzinfo=sop.tz)
    load = os.getloadavg()
    print(f"cpus {os.cpu_count()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared machine)")
    t = time.perf_counter()
    df = make_export(args.rows, now)
    print(f"generated {len(df):,} export rows in {time.perf_counter() - t:.1f} s; "
          f"frame {df.memory_usage(deep=True).sum() / 2**20:,.0f} MB; peak RSS so far {peak_mb():,.0f} MB")

    stages, totals = None, []
    for _ in range(args.repeat):
        c0 = time.process_time()
        cf = to_cases(df, sop, mapping)
        c1 = time.process_time()
        dec = decide_frame(cf.cases, sop, now)
        c2 = time.process_time()
        run = (c1 - c0, c2 - c1)
        stages = run if stages is None or sum(run) < sum(stages) else stages
        t0, c0 = time.perf_counter(), time.process_time()
        result = triage(df, sop, now, mapping)
        totals.append((time.perf_counter() - t0, time.process_time() - c0))
    total, cpu = min(totals)
    t_map, t_dec = stages
    vec_rate = args.rows / total
    print(f"\nvectorised triage() of {args.rows:,} rows: {total:.2f} s wall, {cpu:.2f} s CPU "
          f"({vec_rate:,.0f} rows/s wall, {args.rows / cpu:,.0f} rows/s CPU), best of {args.repeat}")
    print("  (CPU time is what the run costs without other work on the machine; wall time includes waiting for a core)")
    print("  where the CPU time goes:")
    print(f"  read cells as case facts (to_cases): {t_map:.2f} s  -> {len(cf.cases):,} open, "
          f"{len(cf.finished):,} finished, {len(cf.rejected):,} rejected")
    print(f"  decision table, cautions, money, deadlines (decide_frame): {t_dec:.2f} s")
    print(f"  sort most urgent first, join: {max(0.0, cpu - t_map - t_dec):.2f} s")
    print(f"  peak memory so far: {peak_mb():,.0f} MB")
    del result

    n = min(args.sample, len(cf.cases))
    sample = cf.cases.sample(n, random_state=1)
    rows = sample.to_dict("records")
    t0, c0 = time.perf_counter(), time.process_time()
    cases = [parse_case(row_case(r, sop), sop) for r in rows]
    t1 = time.perf_counter()
    decisions = [decide(c, sop, now) for c in cases]
    t2, c2 = time.perf_counter(), time.process_time()
    per_row, cpu_per_row = (t2 - t0) / n, (c2 - c0) / n
    row_rate = 1 / per_row
    print(f"\ndecide() row by row on {n:,} sampled rows: {t2 - t0:.2f} s wall, {c2 - c0:.2f} s CPU "
          f"(building Cases {t1 - t0:.2f} s, deciding {t2 - t1:.2f} s) -> {row_rate:,.0f} rows/s wall")
    print(f"  extrapolated to {args.rows:,} rows: {args.rows * per_row:,.0f} s wall, {args.rows * cpu_per_row:,.0f} s CPU")
    same = sum(d.action == a for d, a in zip(decisions, dec.loc[sample.index, "action"]))
    print(f"  same action as the vectorised run: {same}/{n}")
    print(f"\nspeed-up vectorised / row by row: {vec_rate / row_rate:,.0f}x wall, {cpu_per_row * args.rows / cpu:,.0f}x CPU")
    print(f"peak memory (max RSS of this process, input frame included): {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
