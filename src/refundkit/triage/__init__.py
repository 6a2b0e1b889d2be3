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


def worklist(result: Triage, sop: Sop, lang: str = "zh", mask: bool = True) -> pd.DataFrame:
    from .report import worklist_table

    return worklist_table(result, sop, lang=lang, mask=mask)


def summary(result: Triage, sop: Sop, lang: str = "zh") -> dict[str, pd.DataFrame]:
    from .summary import summary_tables

    return summary_tables(result, sop, lang=lang)


__all__ = ["Export", "CaseFrame", "Mapping", "Triage", "TriageError", "load_exports", "load_mapping", "to_cases",
           "decide_frame", "cases_frame", "row_case", "triage", "worklist", "summary"]
