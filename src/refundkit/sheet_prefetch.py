"""Start reading an .xlsx sheet in the background while the program is still starting.

python-calamine parses a sheet in Rust without holding Python's lock, so the parse of a large
export runs on the second core while the kit imports pandas and loads the SOP. Then the same
thread searches the sheet's XML for formulas without a saved value (zlib inflates without the
lock too) while the foreground turns the parsed cells into columns. Bottom layer: imports
nothing of the kit but `xlsx_formulas` (and not pandas), so a command can call it first thing.
"""
from __future__ import annotations

import threading
from pathlib import Path

from .xlsx_formulas import formulas_without_value

_jobs: dict[str, dict] = {}


def prefetch(path: str | Path) -> None:
    """Begin parsing the first sheet of `path` (an .xlsx file) on a background thread."""
    key = str(Path(path).resolve())
    if key in _jobs:
        return
    box: dict = {"parsed": threading.Event()}

    def work() -> None:
        try:
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(key)
            box["sheet"] = (wb, wb.get_sheet_by_index(0))
        except Exception:  # noqa: BLE001 - the reader in the foreground reports the error properly
            box["sheet"] = None
        box["parsed"].set()
        box["formulas"] = formulas_without_value(key)

    box["thread"] = threading.Thread(target=work, name="xlsx-prefetch", daemon=True)
    box["thread"].start()
    _jobs[key] = box


def take(path: str | Path):
    """(workbook, first sheet) parsed in the background, or None (not prefetched, or the parse
    failed). The search for formulas goes on: `take_formulas` gives its result."""
    box = _jobs.get(str(Path(path).resolve()))
    if box is None:
        return None
    box["parsed"].wait()
    if box.get("sheet") is None:
        _jobs.pop(str(Path(path).resolve()), None)
    return box.get("sheet")


def take_formulas(path: str | Path) -> list[tuple[int, int]] | None:
    """The formula cells without a saved value found in the background (see `xlsx_formulas`),
    or None if the file was not prefetched."""
    box = _jobs.pop(str(Path(path).resolve()), None)
    if box is None:
        return None
    box["thread"].join()
    return box.get("formulas", [])
