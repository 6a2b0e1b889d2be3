"""Start reading an .xlsx sheet in the background while the program is still starting.

python-calamine parses a sheet in Rust without holding Python's lock, so the parse of a large
export runs on the second core while the kit imports pandas and loads the SOP. Bottom layer:
imports nothing of the kit (and not pandas), so a command can call it first thing.
"""
from __future__ import annotations

import threading
from pathlib import Path

_jobs: dict[str, tuple[threading.Thread, dict]] = {}


def prefetch(path: str | Path) -> None:
    """Begin parsing the first sheet of `path` (an .xlsx file) on a background thread."""
    key = str(Path(path).resolve())
    if key in _jobs:
        return
    box: dict = {}

    def work() -> None:
        try:
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(key)
            box["sheet"] = (wb, wb.get_sheet_by_index(0))
        except Exception:  # noqa: BLE001 - the reader in the foreground reports the error properly
            box["sheet"] = None

    thread = threading.Thread(target=work, name="xlsx-prefetch", daemon=True)
    thread.start()
    _jobs[key] = (thread, box)


def take(path: str | Path):
    """(workbook, first sheet) parsed in the background, or None (not prefetched, or it failed)."""
    job = _jobs.pop(str(Path(path).resolve()), None)
    if job is None:
        return None
    thread, box = job
    thread.join()
    return box.get("sheet")
