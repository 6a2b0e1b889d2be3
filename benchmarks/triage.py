#!/usr/bin/env python3
"""How fast is `refundkit triage` on real files, and how close to the bare read of the same file?

    python benchmarks/triage.py                    # 50k-row .xlsx, 20 of them (1M rows), a 1M-row CSV
    python benchmarks/triage.py --files 0 --csv-rows 0     # only the 50k-row .xlsx (a few seconds)
    python benchmarks/triage.py --frame-rows 1000000       # also: in-memory frame vs decide() row by row

The files are made in a temporary folder (the backend's layout: 25 columns, ids and texts as
shared strings, amounts as numbers; nothing is kept unless --keep DIR). For each, `refundkit
triage FILE -o worklist.csv` runs as its own process (process start to files written), beside
the floor: python-calamine reading the same file and nothing else, measured in the same run.
On the 50k file the two processes run in turns, --repeat times each (default 5), after one
untimed run of each (it fills the file cache and compiles the kit's bytecode, as an installed
kit has it: the processes get a bytecode folder of their own, so a PYTHONDONTWRITEBYTECODE
setting does not make every run compile the kit from source). The ratio printed is the median
triage run over the median floor run; each turn's own ratio and the spread are printed too,
since on a shared machine a single pair of runs can be off by half a second either way.
The 50k file is also timed per stage in this process (read, map, decide, write). Every figure
is printed with the machine's load average; nothing is asserted: speed is measured here, never
in the test suite. Goals (issue 11): 50k .xlsx end to end within 2x the bare read; 1M rows in
20 .xlsx under 60 s on 2 cores; memory under 1.5 GB.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from refundkit.cases import parse_case  # noqa: E402
from refundkit.engine import decide  # noqa: E402
from refundkit.sop import default_sop  # noqa: E402
from refundkit.triage import load_mapping, row_case, to_cases, triage  # noqa: E402
from refundkit.triage.vectorised import decide_frame  # noqa: E402

NOW_ISO = "2026-11-20T10:00:00+08:00"


def make_export(n: int, now: datetime, seed: int = 1, first: int = 0) -> pd.DataFrame:
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
    serial = np.arange(first, first + n, dtype=np.int64)
    ticket = (7_300_000_000_000_001_234 + serial * 7919).astype(str).astype(object)
    return pd.DataFrame({
        "售后单号": ticket,
        "订单号": (6_900_000_000_000_000_000 + serial * 104729).astype(str).astype(object),
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
        "仲裁状态": np.full(n, "无", dtype=object),
        "买家昵称": np.array([f"用户{i % 9973}" for i in range(n)], dtype=object),
        "收货人": np.array(["王伟", "李娜", "张敏", "刘洋", "陈静"], dtype=object)[rng.integers(0, 5, n)],
        "联系电话": (13_000_000_000 + rng.integers(0, 10**9, n)).astype(str).astype(object),
        "收货地址": np.array([f"浙江省杭州市西湖区文三路{i % 997}号" for i in range(n)], dtype=object),
        "用户售后说明": np.where(rng.random(n) < 0.25, "麻烦尽快处理", ""),
    })


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def frame_section(rows: int, sample: int, repeat: int, sop, mapping, now) -> None:
    """The in-memory frame (no files): vectorised triage() vs decide() row by row."""
    class _A:  # the names the section below was written with
        pass
    args = _A()
    args.rows, args.sample, args.repeat = rows, sample, repeat
    print(f"\n== in-memory frame of {rows:,} rows (no files) ==")
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




XLSX_COLUMNS = ["售后单号", "订单号", "商品单号", "商品ID", "商品名称", "商家编码", "商品发货状态", "售后类型", "售后状态",
                "售后申请时间", "售后原因", "退款方式", "退商品金额（元）", "退运费金额（元）", "退支付优惠（元）", "退税费金额（元）",
                "商家退款时间", "售后完结时间", "实付金额（元）", "仲裁状态", "买家昵称", "收货人", "联系电话", "收货地址", "用户售后说明"]


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def write_backend_xlsx(df: pd.DataFrame, path: Path) -> None:
    """The backend's layout: texts as shared strings, amounts as numbers, one sheet.

    Written straight as XML (openpyxl would take minutes for a million rows)."""
    df = df.reindex(columns=XLSX_COLUMNS, fill_value="")
    n = len(df)
    rows = np.arange(2, n + 2).astype(str)
    sst: dict[str, int] = {}
    cols = []
    for j, name in enumerate(df.columns):
        letter = _col_letter(j)
        col = df[name]
        if pd.api.types.is_numeric_dtype(col.dtype):
            vals = col.to_numpy().astype(float)
            cells = [f'<c r="{letter}{r}"><v>{v!r}</v></c>' for r, v in zip(rows, vals.tolist())]
        else:
            codes, uniques = pd.factorize(col.astype(str))
            where = np.array([sst.setdefault(u, len(sst)) for u in uniques] + [0])
            idx = where[codes].astype(str)
            cells = [f'<c r="{letter}{r}" t="s"><v>{k}</v></c>' if c >= 0 and u else ""
                     for r, k, c, u in zip(rows, idx, codes, col.astype(str).to_numpy())]
        cols.append(cells)
    head = "".join(f'<c r="{_col_letter(j)}1" t="s"><v>{sst.setdefault(h, len(sst))}</v></c>' for j, h in enumerate(df.columns))
    strings = list(sst)  # insertion order = index
    body = [f'<row r="1">{head}</row>'] + [f'<row r="{r}">{"".join(c)}</row>' for r, c in zip(rows, zip(*cols))]
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(body) + "</sheetData></worksheet>")
    sst_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
               f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
               + "".join(f"<si><t>{escape(t)}</t></si>" for t in strings) + "</sst>")
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="售后单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{ns}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": sst_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in files.items():
            z.writestr(name, text)


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load {a:.2f} {b:.2f} {c:.2f}"


def bare_read(path: Path, repeat: int) -> tuple[float, float]:
    """(wall, CPU) of python-calamine reading every cell of the first sheet into Python: the floor."""
    from python_calamine import CalamineWorkbook

    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
        wb.close()
        run = (time.perf_counter() - t0, time.process_time() - c0)
        del rows
        best = run if best is None or run[0] < best[0] else best
    return best


_ENV: dict[str, str] = {}


def child_env(tmp: Path) -> dict[str, str]:
    """The environment of the timed processes (floor and triage alike): the kit from this
    checkout, and a bytecode folder of their own, so that after the first run no module is
    compiled from source (as in an installed kit), whatever PYTHONDONTWRITEBYTECODE says here."""
    if not _ENV:
        _ENV.update({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        _ENV.update(PYTHONPATH=str(ROOT / "src"), PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    return _ENV


def bare_process(path: Path) -> tuple[float, float]:
    """(wall, peak MB) of a fresh process doing only the bare read (start-up included, like the CLI run)."""
    # Ends once the cells are read, as the triage ends once its files are written: neither is timed
    # freeing a million cells at exit.
    code = ("import os, sys; from python_calamine import CalamineWorkbook as W; "
            "rows = W.from_path(sys.argv[1]).get_sheet_by_index(0).to_python(skip_empty_area=False); os._exit(0)")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], env=child_env(path.parent))
    _, status, usage = os.wait4(proc.pid, 0)
    run = (time.perf_counter() - t0, usage.ru_maxrss / 1024)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit("the bare read failed")
    return run


def cli_run(paths: list[Path], out: Path, workers: int | None = None, quiet: bool = False) -> tuple[float, float, float]:
    """`refundkit triage PATHS -o OUT` as its own process: (wall, CPU of it and its reading
    processes, peak MB of the largest of them), from that one process's own resource usage."""
    cmd = [sys.executable, "-m", "refundkit.cli", "triage", *map(str, paths), "-o", str(out), "--now", NOW_ISO, "--top", "5"]
    if workers:
        cmd += ["--workers", str(workers)]
    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=child_env(out.parent),
                                cwd=out.parent)
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.stdout.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"triage failed: {err.read().strip()}")
    line = next((ln for ln in stdout.splitlines() if ln.startswith("读取行数") and "=" in ln), "")
    if not quiet:
        print(f"    {line}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def one_file_section(one: Path, tmp: Path, repeat: int) -> None:
    """The 50k-row file: the floor and the triage as processes, in turns; medians and spread."""
    wall, cpu = min(bare_read(one, 1) for _ in range(2))
    print(f"  python-calamine read of the file in this process: {wall:.2f} s wall, {cpu:.2f} s CPU (best of 2)")
    bare_process(one)  # untimed: the file cache, the bytecode folder
    cli_run([one], tmp / "wl_one.csv", workers=1, quiet=True)
    floors, runs = [], []
    for k in range(repeat):
        before = load()
        floors.append(bare_process(one))
        runs.append(cli_run([one], tmp / "wl_one.csv", workers=1, quiet=k > 0))
        (f, _), (w, c, _) = floors[-1], runs[-1]
        print(f"  turn {k + 1}: floor {f:.2f} s, triage {w:.2f} s wall ({c:.2f} s CPU)  ->  {w / f:.2f}x  ({before})")
    f_med = float(np.median([f for f, _ in floors]))
    w_med = float(np.median([w for w, _, _ in runs]))
    c_med = float(np.median([c for _, c, _ in runs]))
    ratios = sorted(w / f for (f, _), (w, _, _) in zip(floors, runs))
    print(f"  floor, python-calamine read of the same file as its own process (start-up included): median {f_med:.2f} s "
          f"(min {min(f for f, _ in floors):.2f}, max {max(f for f, _ in floors):.2f}), peak {max(m for _, m in floors):,.0f} MB")
    print(f"  refundkit triage FILE -o worklist.csv (process start to files written): median {w_med:.2f} s wall "
          f"(min {min(w for w, _, _ in runs):.2f}, max {max(w for w, _, _ in runs):.2f}), {c_med:.2f} s CPU, "
          f"peak {max(m for _, _, m in runs):,.0f} MB")
    print(f"  ->  {w_med / f_med:.2f}x the bare read (median over median, {repeat} turns each; the turns' own ratios "
          f"{ratios[0]:.2f}-{ratios[-1]:.2f})  ({load()})")
    w2, c2, mb2 = cli_run([one], tmp / "wl_one.xlsx", workers=1)
    print(f"  the same with -o worklist.xlsx: {w2:.2f} s wall, {c2:.2f} s CPU, peak {mb2:,.0f} MB  ({load()})")


def stages(path: Path, sop, mapping, now, out_dir: Path) -> None:
    """Per stage in this process: read, map, decide, write (wall and CPU)."""
    from refundkit.triage import load_exports
    from refundkit.triage.report import rejected_table, worklist_table, write_table

    marks = []

    def mark(name: str, t0: float, c0: float) -> tuple[float, float]:
        marks.append((name, time.perf_counter() - t0, time.process_time() - c0))
        return time.perf_counter(), time.process_time()

    t, c = time.perf_counter(), time.process_time()
    export = load_exports([path], sop, mapping, workers=1)
    t, c = mark("read (python-calamine, cells to text, trim, categoricals)", t, c)
    cf = to_cases(export.frame, sop, mapping, sort_by_time=True)
    t, c = mark("map (export texts -> case facts, ids and amounts checked)", t, c)
    dec = decide_frame(cf.cases, sop, now)
    t, c = mark("decide (the SOP's table on every open ticket)", t, c)
    result = triage(export, sop, now, mapping)  # the same two steps as one call, for the tables below
    t, c = time.perf_counter(), time.process_time()
    write_table(worklist_table(result, sop, "zh", True, mapping), out_dir / "stage_worklist.csv")
    if len(result.rejected):
        write_table(rejected_table(result, sop, "zh", True, mapping), out_dir / "stage_rejected.csv")
    t, c = mark(f"write worklist .csv ({len(result.decided):,} rows) + rejected rows", t, c)
    write_table(worklist_table(result, sop, "zh", True, mapping), out_dir / "stage_worklist.xlsx")
    mark(f"write worklist .xlsx instead ({len(result.decided):,} rows)", t, c)
    for name, w, cpu in marks:
        print(f"    {name}: {w:.2f} s wall, {cpu:.2f} s CPU")
    del dec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xlsx-rows", type=int, default=50_000, help="rows of each .xlsx export (default 50,000: the backend's largest)")
    ap.add_argument("--files", type=int, default=20, help="how many such .xlsx files in the many-files run (default 20; 0 skips it)")
    ap.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV export run (default 1,000,000; 0 skips it)")
    ap.add_argument("--repeat", type=int, default=5, help="turns of the floor and the triage on the 50k file, medians "
                                                          "reported (default 5); the in-memory frame path runs at most "
                                                          "twice, the best reported")
    ap.add_argument("--frame-rows", type=int, default=0, help="also time the in-memory frame path and decide() row by row "
                                                              "on this many rows (default 0: skip)")
    ap.add_argument("--sample", type=int, default=3000, help="rows decided one by one with decide() (with --frame-rows)")
    ap.add_argument("--keep", metavar="DIR", help="make the files in DIR and keep them (default: a temporary folder)")
    args = ap.parse_args()

    sop = default_sop()
    mapping = load_mapping(sop)
    now = datetime(2026, 11, 20, 10, 0, tzinfo=sop.tz)
    print(f"cpus {os.cpu_count()}, {load()} (a shared machine: compare each figure with its floor, same run)")
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="triage-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        n = args.xlsx_rows
        t0 = time.perf_counter()
        one = tmp / "售后单导出-2026-11-20-10-00-00.xlsx"
        write_backend_xlsx(make_export(n, now, seed=1, first=0), one)
        print(f"\nmade {one.name}: {n:,} rows, {one.stat().st_size / 2**20:.1f} MB, in {time.perf_counter() - t0:.1f} s")

        print(f"\n== one {n:,}-row .xlsx ==  ({load()})")
        one_file_section(one, tmp, args.repeat)
        print(f"  per stage in this process ({load()}):")
        stages(one, sop, mapping, now, tmp)

        if args.files > 1:
            t0 = time.perf_counter()
            many = [one]
            for k in range(1, args.files):
                f = tmp / f"售后单导出-2026-11-{(k % 19) + 1:02d}-10-00-{k:02d}.xlsx"
                write_backend_xlsx(make_export(n, now, seed=k + 1, first=k * n), f)
                many.append(f)
            print(f"\nmade {args.files - 1} more files in {time.perf_counter() - t0:.1f} s")
            print(f"\n== {args.files} .xlsx files, {args.files * n:,} rows ==  ({load()})")
            t0, c0 = time.perf_counter(), time.process_time()
            for f in many:
                bare_read(f, 1)
            print(f"  floor, python-calamine read of every file in one process: {time.perf_counter() - t0:.2f} s wall, "
                  f"{time.process_time() - c0:.2f} s CPU")
            w, c, mb = cli_run(many, tmp / "wl_many.csv")
            print(f"  refundkit triage (all files, -o worklist.csv, files read over {os.cpu_count()} cores): {w:.2f} s wall, "
                  f"{c:.2f} s CPU, peak {mb:,.0f} MB (largest single process)  ({load()})")
            for f in many[1:]:
                f.unlink()

        if args.csv_rows:
            t0 = time.perf_counter()
            big = tmp / "售后单导出-2026-11-20-10-00-01.csv"
            make_export(args.csv_rows, now, seed=99, first=10**8).to_csv(big, index=False, encoding="utf-8-sig")
            print(f"\nmade {big.name}: {args.csv_rows:,} rows, {big.stat().st_size / 2**20:.0f} MB, in {time.perf_counter() - t0:.1f} s")
            print(f"\n== one {args.csv_rows:,}-row CSV ==  ({load()})")
            t0, c0 = time.perf_counter(), time.process_time()
            pd.read_csv(big, dtype=str, keep_default_na=False)
            print(f"  floor, pandas.read_csv of the same file: {time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU")
            w, c, mb = cli_run([big], tmp / "wl_csv.csv")
            print(f"  refundkit triage FILE -o worklist.csv: {w:.2f} s wall, {c:.2f} s CPU, peak {mb:,.0f} MB  ({load()})")
            big.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    if args.frame_rows:
        frame_section(args.frame_rows, args.sample, min(args.repeat, 2), sop, mapping, now)


if __name__ == "__main__":
    main()
