"""Formula cells of an .xlsx sheet that have no saved value (every reader sees them empty).

Excel saves a formula's last value next to it; a file written by a script, or saved without
calculating, has none. python-calamine does not say which cells are formulas, so the sheet's
XML is searched here. Bottom layer: the standard library only (it runs on a background thread
while pandas is still loading, see `sheet_prefetch`).
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path


def first_sheet_xml(zf: zipfile.ZipFile) -> str | None:
    """The member name of the workbook's first sheet."""
    try:
        book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        rid = re.search(r"<(?:\w+:)?sheet\b[^>]*\br:id=\"([^\"]+)\"", book).group(1)
        target = re.search(rf"<Relationship\b[^>]*\bId=\"{re.escape(rid)}\"[^>]*\bTarget=\"([^\"]+)\"", rels)
        if target is None:
            target = re.search(rf"<Relationship\b[^>]*\bTarget=\"([^\"]+)\"[^>]*\bId=\"{re.escape(rid)}\"", rels)
        t = target.group(1).lstrip("/")
        return t if t.startswith("xl/") else "xl/" + t
    except (KeyError, AttributeError):
        return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in zf.namelist() else None


_CELL_WITH_FORMULA = re.compile(rb"<c r=\"([A-Z]+)(\d+)\"[^>/]*>((?:(?!</c>).){0,4000}?)</c>", re.S)


def formulas_without_value(path: str | Path) -> list[tuple[int, int]]:
    """(sheet row, column index) of formula cells with no saved value in the first sheet.

    Cheap when the sheet has no formula at all: one pass over the sheet's XML as it is
    inflated (zlib works without Python's lock, so this runs beside other work).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            name = first_sheet_xml(zf)
            if not name:
                return []
            with zf.open(name) as f:
                tail, found = b"", False
                while chunk := f.read(1 << 22):
                    if b"<f" in tail + chunk[:1] or b"<f" in chunk:
                        found = True
                        break
                    tail = chunk[-1:]
            if not found:
                return []
            xml = zf.read(name)
    except (OSError, zipfile.BadZipFile, KeyError):
        return []
    out = []
    for m in _CELL_WITH_FORMULA.finditer(xml):
        body = m.group(3)
        if b"<f" not in body or re.search(rb"<v>[^<]+</v>", body):
            continue
        col = 0
        for ch in m.group(1):
            col = col * 26 + ch - 64
        out.append((int(m.group(2)), col - 1))
    return out
