"""Triage of the shop's after-sales export (售后单导出): the SOP applied to every row at once.

    from refundkit.sop import default_sop
    from refundkit.triage import load_exports, triage, worklist, summary

    sop = default_sop()
    export = load_exports(["data/sample_export"], sop)   # .xlsx/.csv files or folders, merged;
                                                          # export.duplicates, export.exported_at
    result = triage(export, sop, now)                     # now: tz-aware datetime (training clock)
    result.decided      # open tickets, most urgent first: case facts (money in *_fen) + decision
                        # columns (action, rule, due, hours_left, urgency, C1..C6, to_check ...)
    result.finished     # tickets already over (finished = refunded / closed): statistics only
    result.rejected     # rows that could not be read, with `reject_reason` (and _file, _row)
    result.counts       # rows_read = open + finished + rejected + duplicates (dropped copies)
    worklist(result, sop, lang="zh")      # the labelled table a shop manager reads (masked)
    summary(result, sop, lang="zh")       # {title: table}: by reason, by product, by week, to inspect

A DataFrame with the export's columns can be passed to `triage()` instead of an Export.
Parts: `io` (reading files, encodings, duplicates), `mapping` (`to_cases`: export texts -> case
facts, from `sop/export_mapping.yaml`), `vectorised` (`decide_frame`: decide() as column masks;
`cases_frame` / `row_case` convert between Case objects and frames), `report` (labelled worklist,
masking, terminal text), `summary` (statistics and charts). Money is integer fen in the frames;
times are Asia/Shanghai.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ..sop import Sop
from .io import Export, load_exports
from .mapping import CaseFrame, Mapping, TriageError, load_mapping, to_cases
from .vectorised import cases_frame, decide_frame, row_case


@dataclass
class Triage:
    decided: pd.DataFrame        # open tickets: case frame columns + decision columns, most urgent first
    rejected: pd.DataFrame       # export rows with `reject_reason`
    finished: pd.DataFrame       # tickets already over (case frame + decision-free), for statistics
    now: datetime
    export: Export | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """rows_read = open + finished + rejected + duplicates (copies of a ticket dropped);
        rows_in = rows_read - duplicates = triaged (open + finished) + rejected."""
        triaged = len(self.decided) + len(self.finished)
        dups = len(self.export.duplicates) if self.export is not None else 0
        rows_in = triaged + len(self.rejected)
        return {"rows_read": rows_in + dups, "rows_in": rows_in, "triaged": triaged, "open": len(self.decided),
                "finished": len(self.finished), "rejected": len(self.rejected), "duplicates": dups}


def triage(source: Export | pd.DataFrame, sop: Sop, now: datetime, mapping: Mapping | None = None) -> Triage:
    """Read the export's rows as cases and decide them all (vectorised); sorted most urgent first."""
    export = source if isinstance(source, Export) else None
    rows = source.frame if export else source
    mapping = mapping or load_mapping(sop)
    cf = to_cases(rows, sop, mapping, sort_by_time=True)  # most urgent first: oldest request first
    return triage_cases(cf, sop, now, export)


def triage_cases(cf: CaseFrame, sop: Sop, now: datetime, export: Export | None = None) -> Triage:
    """Decide the open cases of a case frame (already most urgent first)."""
    dec = decide_frame(cf.cases, sop, now)
    decided = pd.concat([cf.cases, dec], axis=1)
    rejected = cf.rejected
    no_rule = decided["rule"] == ""
    if no_rule.any():
        # A gap in an edited SOP's table: decide() would raise; report the rows, never drop them.
        bad = decided[no_rule]
        extra = pd.DataFrame({"_file": bad.get("_file"), "_row": bad.get("_row"), "ticket": bad["ticket"], "reject_reason":
                              f"no rule of SOP {sop.version} covers this case"})
        rejected = pd.concat([rejected, extra], ignore_index=True)
        decided = decided[~no_rule].reset_index(drop=True)
    return Triage(decided=decided, rejected=rejected, finished=cf.finished, now=now, export=export)


def read_cases(paths, sop: Sop, mapping: Mapping | None = None, progress=None, workers: int | None = None
               ) -> tuple[CaseFrame, Export]:
    """Export files read and mapped to cases one file at a time, as each arrives from the reading
    processes (so the mapping runs while the next files are read, and the cells of all the files
    never sit in memory together). The same cases, rejections and duplicates as
    `to_cases(load_exports(paths).frame, sort_by_time=True)`; the Export returned keeps no cells."""
    from .io import duplicate_copies, plan, read_files, stack_frames
    from .mapping import find_columns, ticket_problems

    mapping = mapping or load_mapping(sop)
    p = plan(paths, sop, mapping)
    parts: list[CaseFrame] = []
    info, tickets, valid, names, rows = [], [], [], [], []
    for f, df, kind in read_files(p, mapping, progress, workers):
        info.append((str(f), kind, len(df)))
        ticket = np.asarray(df[find_columns(df, mapping, str(f))["ticket"]], dtype=object)
        tickets.append(ticket)
        valid.append(ticket_problems(ticket) == "")
        names.append(np.full(len(df), f.name, dtype=object))
        rows.append(df["_row"].to_numpy())
        parts.append(to_cases(df, sop, mapping, where=str(f), sort_by_time=True))
        del df, ticket
    dup, duplicates = duplicate_copies(*(np.concatenate(a) if a else np.zeros(0, dtype=object)
                                         for a in (tickets, valid, names, rows)))
    rows_read = int(sum(len(t) for t in tickets))
    del tickets, names, rows
    start = np.cumsum([0] + [len(v) for v in valid])

    def kept(frame: pd.DataFrame, k: int) -> pd.DataFrame:
        """A file's rows without the older copies of tickets found again later."""
        older = dup[start[k]:start[k + 1]]
        if not older.any() or not len(frame):
            return frame
        return frame[~older[frame["_row"].to_numpy() - 2]]

    cases = stack_frames([kept(cf.cases, k) for k, cf in enumerate(parts)])
    finished = stack_frames([kept(cf.finished, k) for k, cf in enumerate(parts)])
    rejected = stack_frames([kept(cf.rejected, k) for k, cf in enumerate(parts)])
    several = len(parts) > 1  # one file's cases are already in order
    del parts
    if several and len(cases):  # each file most urgent first; now all of them (stable: file order, then row order on ties)
        req_ns = pd.DatetimeIndex(cases["requested_at"]).as_unit("ns").asi8
        cases = cases.take(np.argsort(req_ns, kind="stable")).reset_index(drop=True)
    export = Export(frame=pd.DataFrame(), files=info, duplicates=duplicates, rows_read=rows_read,
                    exported_at=p.exported_at)
    return CaseFrame(cases=cases, rejected=rejected, finished=finished), export


def worklist(result: Triage, sop: Sop, lang: str = "zh", mask: bool = True) -> pd.DataFrame:
    from .report import worklist_table

    return worklist_table(result, sop, lang=lang, mask=mask)


def summary(result: Triage, sop: Sop, lang: str = "zh") -> dict[str, pd.DataFrame]:
    from .summary import summary_tables

    return summary_tables(result, sop, lang=lang)


__all__ = ["Export", "CaseFrame", "Mapping", "Triage", "TriageError", "load_exports", "load_mapping", "to_cases",
           "decide_frame", "cases_frame", "row_case", "read_cases", "triage", "triage_cases", "worklist", "summary"]
