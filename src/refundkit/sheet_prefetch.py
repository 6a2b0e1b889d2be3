"""Start reading an .xlsx sheet in the background while the program is still starting.

python-calamine parses a sheet in Rust without holding Python's lock, and zlib inflates the
sheet's XML (searched for formulas without a saved value) without it too: so the parse of a
large export runs on the second core while the kit imports pandas and loads the SOP. Bottom
layer: imports nothing of the kit but `xlsx_formulas` (and not pandas), so a command can call
it first thing.
"""
from __future__ import annotations

import threading
from pathlib import Path

from .xlsx_formulas import formulas_without_value

_jobs: dict[str, tuple[list[threading.Thread], dict]] = {}


def prefetch(path: str | Path) -> None:
    """Begin parsing the first sheet of `path` (an .xlsx file) on background threads."""
    key = str(Path(path).resolve())
    if key in _jobs:
        return
    box: dict = {}

    def parse() -> None:
        try:
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(key)
            box["sheet"] = (wb, wb.get_sheet_by_index(0))
        except Exception:  # noqa: BLE001 - the reader in the foreground reports the error properly
            box["sheet"] = None

    def formulas() -> None:
        box["formulas"] = formulas_without_value(key)

    threads = [threading.Thread(target=parse, name="xlsx-prefetch", daemon=True),
               threading.Thread(target=formulas, name="xlsx-formulas", daemon=True)]
    for t in threads:
        t.start()
    _jobs[key] = (threads, box)


def take(path: str | Path):
    """(workbook, first sheet, formula cells without a value) read in the background, or None
    (not prefetched, or the parse failed)."""
    job = _jobs.pop(str(Path(path).resolve()), None)
    if job is None:
        return None
    threads, box = job
    for t in threads:
        t.join()
    sheet = box.get("sheet")
    return None if sheet is None else (*sheet, box.get("formulas", []))
