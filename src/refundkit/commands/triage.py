"""`refundkit triage EXPORT...`: the SOP applied to every ticket of the shop's after-sales export.

The worklist (most urgent first) goes to the terminal (the top rows) and, with -o, to a
.xlsx or .csv file; rows that cannot be read go to their own file. `--summary` writes the
statistics of the SOP's "after the refund" part as tables and PNG charts instead.
"""
from __future__ import annotations

import gc
import os
import sys
from datetime import datetime
from pathlib import Path

from ..errors import UserError


def register(sub) -> None:
    p = sub.add_parser("triage", help="triage the shop's after-sales export / 按SOP处理售后单导出")
    p.add_argument("exports", nargs="+", metavar="EXPORT", help="export files (.xlsx, .csv) or folders of them")
    p.add_argument("-o", "--output", help="write the full worklist to this .xlsx or .csv file")
    p.add_argument("--now", help="judge the deadlines at this ISO time (default: the export time in the file "
                                 "names, else the current time)")
    p.add_argument("--sop", default=None, help="SOP file to apply (default: $REFUNDKIT_SOP or sop/refund_sop.yaml)")
    p.add_argument("--mapping", default=None, help="export mapping file (default: sop/export_mapping.yaml)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--no-mask", action="store_true", help="show customer names, phone numbers and addresses")
    p.add_argument("--rejected", help="file for the rows that cannot be read (default: next to -o, "
                                      "else triage_rejected.csv)")
    p.add_argument("--duplicates", help="file listing the dropped copies of tickets found more than once "
                                        "(default: next to -o, else triage_duplicates.csv)")
    p.add_argument("--workers", type=int, default=None, help="processes reading files at once (default: one per core "
                                                             "when there is enough to read)")
    p.add_argument("--top", type=int, default=20, help="rows of the worklist shown on the terminal (default 20)")
    p.add_argument("--summary", action="store_true", help="statistics by reason, product and week, with charts")
    p.add_argument("--charts", default="refund_summary", help="folder for the --summary tables and charts "
                                                               "(default: refund_summary)")
    p.set_defaults(func=run)


def _clock(args, export, sop) -> tuple[datetime, str]:
    from ..clock import parse_time, system_now

    t = lambda k: sop.t(k, args.lang)  # noqa: E731
    if args.now:
        return parse_time(args.now, "--now"), ""
    real = system_now(sop.tz)
    if export.exported_at is not None:
        note = t("triage_clock_export")
        days = (real - export.exported_at).days
        if days >= 1:
            note += "\n" + t("triage_clock_stale").format(days=days)
        return export.exported_at, note
    return real, t("triage_clock_system")


def run(args) -> int:
    whole = getattr(args, "ends_process", False)  # this command is the process (not a test calling it)
    if whole:
        # The imports below make a few hundred thousand objects, none of them garbage: the
        # collections they would set off (about a tenth of a second) find nothing.
        gc.disable()
    xlsx = [Path(p) for p in args.exports if Path(p).suffix.lower() in (".xlsx", ".xlsm") and Path(p).is_file()]
    if len(args.exports) == 1 and len(xlsx) == 1:
        from ..sheet_prefetch import prefetch

        prefetch(xlsx[0])  # one export: parse it on the other core while pandas and the SOP load
    # Imported only now: pandas, numpy and pydantic take a good part of a second to load.
    from ..sop import load_sop, sop_path
    from ..triage import TriageError, load_mapping, read_cases, triage_cases
    from ..triage.report import (Progress, duplicates_table, frame_text, rejected_table, terminal_report,
                                  worklist_table, write_table)

    sop = load_sop(args.sop or sop_path())
    if whole:
        gc.freeze()  # the modules and the SOP live as long as the process: later collections skip them
        gc.enable()
    t = lambda k: sop.t(k, args.lang)  # noqa: E731
    progress = Progress()
    try:
        mapping = load_mapping(sop, args.mapping)
        # Each file is mapped to cases as it arrives, while the next ones are read: the cells of
        # all the files never sit in memory together (a million rows, 20 files).
        cases, export = read_cases(args.exports, sop, mapping,
                                   progress=lambda name, i, n: progress(f"{t('triage_reading')} {name}", i, n),
                                   workers=args.workers)
        now, note = _clock(args, export, sop)
        progress(t("triage_deciding"), 0, 1)
        result = triage_cases(cases, sop, now, export)
        del cases
        progress(t("triage_deciding"), 1, 1)
    except TriageError as exc:
        raise UserError(str(exc)) from None
    mask = not args.no_mask

    if args.summary:
        from ..triage.summary import summary_tables, write_summary

        tables = summary_tables(result, sop, args.lang, mapping)
        written = write_summary(tables, sop, args.lang, args.charts)
        print(f"== {t('summary_title')} ==  {t('triage_clock')}: {now:%Y-%m-%d %H:%M %z}")
        for title, df in tables.items():
            print(f"\n{title}")
            print(frame_text(df, 15))
        print(f"\n{t('summary_charts_written')} {args.charts}: " + ", ".join(p.name for p in written))
    else:
        print(terminal_report(result, sop, args.lang, top=args.top, clock_note=note, output=args.output or ""))
        if args.output:
            out = Path(args.output)
            try:
                write_table(worklist_table(result, sop, args.lang, mask, mapping), out, sheet=t("triage_title"))
            except ValueError as exc:
                raise UserError(str(exc)) from None
            print(f"{t('triage_written')}: {out} ({len(result.decided)})")

    def beside(option: str | None, suffix: str) -> Path:
        if option:
            return Path(option)
        if args.output and not args.summary:
            return Path(args.output).with_name(Path(args.output).stem + f"_{suffix}.csv")
        return Path(f"triage_{suffix}.csv")

    if len(export.duplicates):
        dup = beside(args.duplicates, "duplicates")
        write_table(duplicates_table(result, sop, args.lang), dup)
        print(f"{t('triage_duplicates_written')}: {dup} ({len(export.duplicates)})")
    if len(result.rejected):
        rej = beside(args.rejected, "rejected")
        write_table(rejected_table(result, sop, args.lang, mask, mapping), rej)
        print(f"{t('triage_rejected_written')}: {rej} ({len(result.rejected)})")
        for _, r in result.rejected.head(5).iterrows():  # reasons name the column, never the cell
            print(f"  {r.get('_file', '')}:{r.get('_row', '')}  {r['reject_reason']}")
    if mask:
        print(t("triage_masked"))
    if whole:
        # Every file is written and closed; what is left is freeing a large export's frames
        # object by object, then the interpreter's teardown (about a tenth of a second after a
        # 50,000-row export). The process ends here instead; the system takes its memory back.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0
