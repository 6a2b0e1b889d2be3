"""Reading after-sales exports: .xlsx or .csv, one file, several, or a folder, merged.

CSV encodings are detected (UTF-8 with BOM, UTF-8, then GBK/GB18030, as Excel on Chinese
Windows saves them). Every cell is read as text so that ticket numbers keep all 19 digits
and amounts stay exact; `mapping.to_cases` parses them. A ticket number that appears in
more than one row is triaged once: the row from the newest export is kept and the others
are listed in `Export.duplicates`.
"""
from __future__ import annotations

import io as _io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from .mapping import Mapping, TriageError

SUFFIXES = (".xlsx", ".xlsm", ".csv")


@dataclass
class Export:
    """The merged rows of one or more export files."""
    frame: pd.DataFrame                      # all cells as text, plus _file and _row (the sheet's row number)
    files: list[tuple[str, str, int]]        # (path, format/encoding, rows)
    duplicates: pd.DataFrame                 # ticket, _file, _row of each dropped copy, and the kept one
    rows_read: int
    exported_at: datetime | None = None      # latest export time in the file names, if all have one
    notes: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Distinct tickets (plus rows without a ticket number): what gets triaged or rejected."""
        return len(self.frame)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the export files inside folders named (sorted by name)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in SUFFIXES and not f.name.startswith(("~$", ".")))
            if not found:
                raise TriageError(f"{p}: no .xlsx or .csv export files in this folder")
            out.extend(found)
        elif p.exists():
            if p.suffix.lower() not in SUFFIXES:
                raise TriageError(f"{p}: not an export file (expected .xlsx or .csv)")
            out.append(p)
        else:
            raise TriageError(f"{p}: no such file or folder")
    if not out:
        raise TriageError("no export files given")
    return out


def decode_csv(data: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding name): BOM first, then strict UTF-8, then GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise TriageError(f"{path}: cannot read as text (tried UTF-8, UTF-8 with BOM and GBK; "
                          f"bad byte at position {exc.start})") from None


def _cell_text(v) -> str:
    """A spreadsheet cell as the text the backend wrote (ids exact, times as 2026-11-20 10:00:00)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return repr(v)
    return str(v)


def read_xlsx(path: Path, tick: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The first sheet, streamed row by row (openpyxl read-only); `tick(rows read, rows in the
    sheet or 0 when the file does not say)` every 2000 rows."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        total = ws.max_row or 0
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TriageError(f"{path}: the first sheet is empty (expected a header row of column names)")
        width = len(header)
        data = []
        for i, r in enumerate(rows, start=1):
            data.append([_cell_text(v) for v in r[:width]] + [""] * (width - len(r)))
            if tick and i % 2000 == 0:
                tick(i, total)
    finally:
        wb.close()
    cols = [_cell_text(h) for h in header]
    while data and not any(data[-1]):  # trailing blank rows some spreadsheets keep
        data.pop()
    return pd.DataFrame(data, columns=cols, dtype=object)


def read_file(path: Path, tick: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, str]:
    """One export file as text cells; (frame, format description)."""
    try:
        if path.suffix.lower() == ".csv":
            text, enc = decode_csv(path.read_bytes(), path)
            df = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False)
            kind = f"csv {enc}"
        else:
            df = read_xlsx(path, tick)
            kind = "xlsx"
    except TriageError:
        raise
    except (OSError, ValueError, KeyError, IndexError, pd.errors.ParserError) as exc:
        raise TriageError(f"{path}: cannot be read as an export ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # noqa: BLE001 - a corrupt .xlsx raises zipfile/openpyxl errors of many kinds
        raise TriageError(f"{path}: cannot be read as an .xlsx export ({type(exc).__name__}: {exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    # Exports pad cells: a leading tab keeps Excel from turning ticket numbers into 7.3E+18.
    for c in df.columns:
        df[c] = [v.strip() if isinstance(v, str) else v for v in df[c].tolist()]
    return df, kind


def export_time(path: Path, mapping: Mapping, tz) -> datetime | None:
    m = mapping.file_time.search(path.name)
    if not m:
        return None
    try:
        return datetime(*map(int, m.groups()), tzinfo=tz)
    except ValueError:
        return None


def load_exports(paths: Iterable[str | Path] | str | Path, sop=None, mapping: Mapping | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> Export:
    """Read and merge export files; `progress(name, done, total)` reports bytes read."""
    from ..sop import default_sop
    from .mapping import find_columns, load_mapping

    if isinstance(paths, (str, Path)):
        paths = [paths]
    sop = sop or default_sop()
    mapping = mapping or load_mapping(sop)
    files = expand_paths(paths)
    times = [export_time(f, mapping, sop.tz) for f in files]
    # Newest export last, so its copy of a ticket wins.
    order = sorted(range(len(files)), key=lambda i: (times[i] is None, times[i] or datetime.min.replace(tzinfo=sop.tz), i))
    if any(t is None for t in times):
        order = list(range(len(files)))
    frames, info = [], []
    sizes = [max(1, files[i].stat().st_size) for i in order]
    total, done = sum(sizes), 0
    for k, i in enumerate(order):
        f = files[i]
        if progress:
            progress(f.name, done, total)
        def tick(rows: int, of: int, d=done, sz=sizes[k], name=f.name) -> None:
            # Share of this file's bytes by rows read; a sheet that does not give its size
            # shows the rows read so far instead.
            share = min(1.0, rows / of) if of else 0.0
            progress(f"{name} ({rows:,})" if not of else name, d + int(share * sz), total)

        tick = tick if progress else None
        df, kind = read_file(f, tick)
        done += sizes[k]
        find_columns(df, mapping, str(f))  # a missing column stops here, naming the file
        df["_file"] = f.name
        df["_row"] = range(2, len(df) + 2)  # as the spreadsheet numbers it (header is row 1)
        frames.append(df)
        info.append((str(f), kind, len(df)))
    if progress:
        progress("", total, total)
    frame = pd.concat(frames, ignore_index=True, sort=False).fillna("") if len(frames) > 1 else frames[0]
    rows_read = len(frame)
    ticket_col = find_columns(frame, mapping, "export")["ticket"]
    ticket = frame[ticket_col].astype(str)
    has = ticket != ""
    dup = has & ticket.duplicated(keep="last")
    kept = has & ticket.duplicated(keep=False) & ~dup
    keep_where = pd.DataFrame({"ticket": ticket[kept], "kept_file": frame.loc[kept, "_file"], "kept_row": frame.loc[kept, "_row"]})
    duplicates = pd.DataFrame({"ticket": ticket[dup], "_file": frame.loc[dup, "_file"], "_row": frame.loc[dup, "_row"]})
    duplicates = duplicates.merge(keep_where, on="ticket", how="left")
    frame = frame[~dup].reset_index(drop=True)
    stamped = [t for t in times if t is not None]
    exported_at = max(stamped) if stamped and len(stamped) == len(times) else None
    return Export(frame=frame, files=info, duplicates=duplicates.reset_index(drop=True), rows_read=rows_read,
                  exported_at=exported_at)
