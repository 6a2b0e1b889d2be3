"""Reading after-sales exports: .xlsx or .csv, one file, several, or a folder, merged.

- .xlsx is read with python-calamine (Rust): the backend's 50,000-row export in about a second.
  Several files are read over the machine's cores (one process per file).
- CSV encodings are detected: UTF-8 with BOM, UTF-8, then GBK/GB18030 (Excel on Chinese
  Windows). A file that mixes encodings is refused naming the line and byte where it changes.
- Every cell is kept as the text it was exported as, so ticket numbers keep all 19 digits and
  amounts stay exact; `mapping.to_cases` parses them. A ticket number the spreadsheet stored as a
  number (7.3E+18) is kept in that visible form, so it is rejected, never merged. A formula
  cell without a saved value is listed in `_formula` (its row is rejected, not read as blank).
- Only the columns the mapping knows (and the personal columns, for masking) are kept; texts
  that repeat are stored once (categoricals).
A ticket number that appears in more than one row is triaged once: the row from the newest
export is kept, the others are listed in `Export.duplicates` with their file and row.
"""
from __future__ import annotations

import gc
import io as _io
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from ..xlsx_formulas import formulas_without_value  # noqa: F401 - used here, kept importable
from .mapping import Mapping, TriageError, norm, ticket_problems

SUFFIXES = (".xlsx", ".xlsm", ".csv")
# Above this many bytes in total, files are read in parallel (a process costs ~1 s to start).
PARALLEL_BYTES = 4 * 2**20


@dataclass
class Export:
    """The merged rows of one or more export files."""
    frame: pd.DataFrame                      # cells as text (+ _file, _row: the sheet's row number, _formula)
    files: list[tuple[str, str, int]]        # (path, format/encoding, rows)
    duplicates: pd.DataFrame                 # ticket, _file, _row of each dropped copy, kept_file, kept_row
    rows_read: int
    exported_at: datetime | None = None      # latest export time in the file names, if all have one
    notes: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Rows left to triage or reject once duplicate copies are dropped."""
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


# -- CSV ------------------------------------------------------------------------------------

def _where(data: bytes, pos: int) -> str:
    line = data.count(b"\n", 0, pos) + 1
    return f"line {line}, byte {pos}"


def decode_csv(data: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding name): BOM first, then strict UTF-8, then GB18030 (a superset of GBK).

    A file is one encoding throughout: UTF-8 with a GBK line (or the reverse, as when rows of
    two exports are pasted together) is refused naming where the second encoding starts.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise TriageError(f"{path}: {_where(data, exc.start + 3)}: not UTF-8 although the file starts as UTF-8 "
                              "(it mixes encodings; save it again as one encoding)") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if not data[: exc.start].isascii():  # valid UTF-8 Chinese before the bad byte: a mixed file
            raise TriageError(f"{path}: {_where(data, exc.start)}: not UTF-8 although the lines before are UTF-8 "
                              "(it mixes encodings, e.g. GBK rows pasted in; save it again as one encoding)") from None
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        try:
            data[start: end if end >= 0 else len(data)].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise TriageError(f"{path}: {_where(data, start)}: this line is UTF-8 while the lines before are GBK "
                              "(it mixes encodings; save it again as one encoding)") from None
        raise TriageError(f"{path}: {_where(data, exc.start)}: cannot read as text (tried UTF-8, UTF-8 with BOM "
                          "and GBK)") from None
    # GB18030 decodes almost any bytes: a UTF-8 line inside a GBK file would pass as garbage.
    offset = 0
    for raw in data.split(b"\n"):
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise TriageError(f"{path}: {_where(data, offset)}: this line is UTF-8 while the lines before are GBK "
                                  "(it mixes encodings; save it again as one encoding)")
        offset += len(raw) + 1
    return text, "gbk"


def read_csv(path: Path, wanted: set[str] | None) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    text, enc = decode_csv(data, path)
    # The C parser reads UTF-8 bytes fastest (from a str, pandas re-encodes it in small chunks).
    raw = data[3:] if enc == "utf-8-sig" else data if enc == "utf-8" else text.encode("utf-8")
    del text
    usecols = (lambda c: norm(c) in wanted) if wanted else None
    df = pd.read_csv(_io.BytesIO(raw), dtype=object, keep_default_na=False, skipinitialspace=False,
                     usecols=usecols, encoding="utf-8")
    return df, f"csv {enc}"


# -- xlsx -----------------------------------------------------------------------------------

def _other_cells(arr: np.ndarray, as_number_text: bool) -> np.ndarray:
    """Cells that are not text -> the text the backend wrote, in place. Numbers keep their
    shortest form; in an id column a number keeps its float form (7.3e+18), which no id check
    accepts. Only the non-text cells are visited (usually none, or one column of amounts)."""
    for i in range(len(arr)):
        v = arr[i]
        if type(v) is str:
            continue
        if v is None or v == "":
            arr[i] = ""
        elif isinstance(v, bool):
            arr[i] = "TRUE" if v else "FALSE"
        elif isinstance(v, (int, float)):
            arr[i] = repr(float(v)) if as_number_text else (repr(v) if isinstance(v, float) else str(v))
        elif isinstance(v, datetime):
            arr[i] = v.strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(v, date):
            arr[i] = v.strftime("%Y-%m-%d")
        elif isinstance(v, time):
            arr[i] = v.strftime("%H:%M:%S")
        else:
            arr[i] = str(v)
    return arr


def _cell_texts(values, as_number_text: bool = False) -> np.ndarray:
    """Spreadsheet cells of one column -> text (object array), or float64 for a column of
    numbers only (the backend's amounts: `to_cases` reads them exactly to the fen, with no text
    made for each cell). The column's kind is found in one pass in C (pandas' infer_dtype)."""
    arr = np.array(values, dtype=object) if not isinstance(values, np.ndarray) else values.astype(object)
    if not len(arr):
        return arr
    kind = pd.api.types.infer_dtype(arr, skipna=False)
    if kind == "string":
        return arr
    if kind in ("floating", "integer", "mixed-integer-float") and not as_number_text:
        return arr.astype(np.float64)
    return _other_cells(arr, as_number_text)


def _trim(arr: np.ndarray) -> np.ndarray:
    """Text cells without their padding (str.strip returns the same object when there is none)."""
    return np.array([v.strip() for v in arr.tolist()], dtype=object) if len(arr) else arr


@contextmanager
def _cells_without_gc():
    """No garbage collection while a sheet's cells are made and sorted into columns: they are
    lists and texts that hold no cycles, and a collection would only walk every one of them
    (a 50,000-row sheet makes a million cells; collections took a quarter of its reading time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_xlsx(path: Path, wanted: set[str] | None, tick: Callable[[int, int], None] | None = None,
              ids: set[str] = frozenset()) -> tuple[pd.DataFrame, str]:
    """The first sheet through python-calamine; every kept column as exported text (`ids`:
    normalised headers of id columns, where a number keeps its visible float form)."""
    from python_calamine import CalamineWorkbook

    from ..sheet_prefetch import take, take_formulas

    ready = take(path)  # parsed in the background while the command started, if it was asked to
    wb, sheet = ready if ready else (CalamineWorkbook.from_path(str(path)), None)
    with _cells_without_gc():
        try:
            sheet = sheet or wb.get_sheet_by_index(0)
            rows = sheet.to_python()  # the sheet's data range, as iter_rows gives it; in one call
        finally:
            wb.close()
        if tick:
            tick(len(rows), len(rows))
        header = rows[0] if rows else None
        if header is None or not any(str(h).strip() for h in header):
            raise TriageError(f"{path}: the first sheet is empty (expected a header row of column names)")
        end = len(rows)
        while end > 1 and not any(v not in ("", None) for v in rows[end - 1]):  # trailing blank rows some spreadsheets keep
            end -= 1
        names = [str(_cell_texts([h])[0]).strip() for h in header]
        width = len(names)
        body = rows[1:end]
        del rows
        if any(len(r) != width for r in body):
            body = [list(r[:width]) + [""] * (width - len(r)) for r in body]
        keep = [j for j, h in enumerate(names) if h and (not wanted or norm(h) in wanted)]
        grid = np.array(body, dtype=object).reshape(len(body), width)  # one pass in C; columns are its slices
        del body
        data = {}
        for j in keep:
            col = _sheet_column(grid[:, j], as_number_text=norm(names[j]) in ids)
            data[names[j]] = pd.Series(col, dtype=object, copy=False) if isinstance(col, np.ndarray) and col.dtype == object else col
        del grid
        # Columns as they are (no copy into one block, no second look at every text).
        df = pd.DataFrame(data, copy=False) if data else pd.DataFrame(index=range(end - 1))
    blanks = take_formulas(path)  # searched in the background meanwhile, if prefetched
    if blanks is None:
        blanks = formulas_without_value(path)
    if blanks:
        formula = np.full(len(df), "", dtype=object)
        for sheet_row, j in blanks:
            i = sheet_row - 2
            if 0 <= i < len(df) and j in keep:
                formula[i] = (formula[i] + "," if formula[i] else "") + names[j]
        df["_formula"] = formula
    return df, "xlsx"


# -- one file, cleaned ------------------------------------------------------------------------

def _sheet_column(raw: np.ndarray, as_number_text: bool):
    """One column of the sheet, clean: texts trimmed (stored once where they repeat), a column
    of numbers as float64. The usual column, all text, is known to be so by the trimming or
    the factorizing it needs anyway; only a column with other cells is looked at cell by cell."""
    head = raw[:2000].tolist()
    if len(raw) > 4000 and len(set(head)) > len(head) // 2:
        try:  # mostly distinct (ids, times, names): trimmed as a list, no categories
            return np.array([v.strip() for v in raw.tolist()], dtype=object)
        except AttributeError:  # a cell that is not text
            pass
    else:
        codes, uniques = pd.factorize(np.ascontiguousarray(raw), use_na_sentinel=True)
        if pd.api.types.infer_dtype(uniques, skipna=False) in ("string", "empty"):
            return _stored_once(codes, uniques, len(raw))
    col = _cell_texts(raw, as_number_text)
    return col if col.dtype.kind == "f" else _clean_text(col)


def _clean_text(obj: np.ndarray):
    """One text column trimmed (exports pad cells: a leading tab keeps Excel from turning
    ticket numbers into 7.3E+18); texts that repeat stored once (a categorical)."""
    head = obj[:2000]
    if len(obj) > 4000 and len(set(head.tolist())) > len(head) // 2:
        # Mostly distinct (ids, times, names): trimmed as a list, no categories.
        try:
            return _trim(obj)
        except AttributeError:  # blanks read as NaN among the texts
            return pd.Series(obj, dtype=object).str.strip().fillna("").to_numpy(dtype=object)
    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    return _stored_once(codes, uniques, len(obj))


def _stored_once(codes: np.ndarray, uniques, n: int):
    """A factorized text column trimmed: a categorical, or texts if they hardly repeat."""
    stripped = [u.strip() if isinstance(u, str) else str(u).strip() for u in uniques]
    blank = codes < 0
    tail = [""] if blank.any() else []  # "" stands for a blank cell, only where there is one
    remap, cats = pd.factorize(np.array(stripped + tail, dtype=object))
    codes = remap[np.where(blank, len(uniques), codes)] if len(remap) else codes
    if len(cats) <= max(64, n // 2):
        return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))
    return np.asarray(cats, dtype=object)[codes]


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """Every text column trimmed, repeated texts stored once. Column operations, not cell loops."""
    out = {}
    for c in df.columns:
        col = df[c]
        if c.startswith("_") or col.dtype.kind == "f":
            out[c] = col
        else:
            out[c] = _clean_text(col.to_numpy(dtype=object))
    return pd.DataFrame(out, index=df.index)


def read_file(path: Path, wanted: set[str] | None = None, tick: Callable[[int, int], None] | None = None,
              ids: set[str] = frozenset()) -> tuple[pd.DataFrame, str]:
    """One export file as text cells; (frame, format description). `ids`: see `id_columns`."""
    try:
        if path.suffix.lower() == ".csv":
            df, kind = read_csv(path, wanted)
        else:
            df, kind = read_xlsx(path, wanted, tick, ids)
    except TriageError:
        raise
    except (OSError, ValueError, KeyError, IndexError, pd.errors.ParserError) as exc:
        raise TriageError(f"{path}: cannot be read as an export ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # noqa: BLE001 - a corrupt .xlsx raises zip/XML errors of many kinds
        raise TriageError(f"{path}: cannot be read as an .xlsx export ({type(exc).__name__}: {exc})") from None
    if kind != "xlsx":  # the .xlsx reader trims and stores repeated texts once as it goes
        df.columns = [str(c).strip() for c in df.columns]
        df = _clean(df)
    return df, kind


def _read_one(args) -> tuple[pd.DataFrame, str]:
    path, wanted, ids = args
    return read_file(path, wanted, ids=ids)


def export_time(path: Path, mapping: Mapping, tz) -> datetime | None:
    m = mapping.file_time.search(path.name)
    if not m:
        return None
    try:
        return datetime(*map(int, m.groups()), tzinfo=tz)
    except ValueError:
        return None


def wanted_columns(mapping: Mapping) -> set[str]:
    """Normalised headers worth keeping: every mapped column (and alias) and the personal ones."""
    heads = {norm(h) for c in mapping.columns.values() for h in (c.column, *c.aliases)}
    return heads | {norm(h) for hs in mapping.personal.values() for h in hs}


ID_FIELDS = ("ticket", "order_id", "item_id", "product_id")


def id_columns(mapping: Mapping) -> set[str]:
    """Normalised headers of the id columns: a number there keeps its float form (7.3e+18),
    so it is refused as an id, never read as one."""
    return {norm(h) for f in ID_FIELDS if f in mapping.columns
            for h in (mapping.columns[f].column, *mapping.columns[f].aliases)}


def _const(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([value], dtype=object))


def stack_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of the same kind one under the other, column by column: categoricals stay
    categoricals (their texts stored once), a column some files lack is blank there."""
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    if not frames:
        return pd.DataFrame()
    cols = list(dict.fromkeys(c for f in frames for c in f.columns))
    out = {}
    for c in cols:
        parts = [f[c].reset_index(drop=True) if c in f.columns else None for f in frames]
        cat = all(x is None or isinstance(x.dtype, pd.CategoricalDtype) for x in parts)
        blank = (lambda n: pd.Series(pd.Categorical([""] * n, categories=pd.Index([""], dtype=object)))) if cat else \
            (lambda n: pd.Series([""] * n, dtype=object))
        parts = [x if x is not None else blank(len(f)) for x, f in zip(parts, frames)]
        if cat:
            try:
                out[c] = pd.Series(union_categoricals([x.array for x in parts]))
                continue
            except TypeError:  # categories of different kinds: stacked as values
                parts = [x.astype(object) for x in parts]
        out[c] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(out)


@dataclass
class Plan:
    """The files to read, newest export last (so its copy of a ticket wins), and their sizes."""
    files: list[Path]
    times: list[datetime | None]
    order: list[int]
    sizes: list[int]

    @property
    def exported_at(self) -> datetime | None:
        """The latest export time in the file names, if every file has one."""
        stamped = [t for t in self.times if t is not None]
        return max(stamped) if stamped and len(stamped) == len(self.times) else None


def plan(paths: Iterable[str | Path] | str | Path, sop, mapping: Mapping) -> Plan:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = expand_paths(paths)
    times = [export_time(f, mapping, sop.tz) for f in files]
    order = sorted(range(len(files)), key=lambda i: (times[i] is None, times[i] or datetime.min.replace(tzinfo=sop.tz), i))
    if any(t is None for t in times):
        order = list(range(len(files)))
    return Plan(files, times, order, [max(1, files[i].stat().st_size) for i in order])


def read_files(p: Plan, mapping: Mapping, progress: Callable[[str, int, int], None] | None = None,
               workers: int | None = None):
    """Each file of the plan, in its order, as (path, frame, format): the frame's text cells with
    `_file` and `_row` (as the spreadsheet numbers it). A file missing a required column stops
    here, naming the file. Files are read by `workers` processes at once (default: the cores,
    when there is enough to read), and handed over in order as they arrive, so the caller can
    work on one while the next are read."""
    from .mapping import find_columns

    wanted, ids = wanted_columns(mapping), id_columns(mapping)
    total = sum(p.sizes)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(p.files)) if total >= PARALLEL_BYTES else 1

    def ready(k: int, df: pd.DataFrame, kind: str):
        f = p.files[p.order[k]]
        find_columns(df, mapping, str(f))  # a missing column stops here, naming the file
        df["_file"] = _const(f.name, len(df))
        df["_row"] = np.arange(2, len(df) + 2)  # as the spreadsheet numbers it (header is row 1)
        return f, df, kind

    done = 0
    if workers > 1 and len(p.order) > 1:
        from concurrent.futures import ProcessPoolExecutor

        if progress:
            progress(p.files[p.order[0]].name, 0, total)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_read_one, (p.files[i], wanted, ids)) for i in p.order]
            for k, fut in enumerate(futures):
                df, kind = fut.result()
                futures[k] = None  # the frame is the caller's now: nothing else holds it
                done += p.sizes[k]
                if progress:
                    progress(p.files[p.order[k]].name, done, total)
                yield ready(k, df, kind)
    else:
        for k, i in enumerate(p.order):
            f = p.files[i]
            if progress:
                progress(f.name, done, total)

            def tick(rows: int, of: int, d=done, sz=p.sizes[k], name=f.name) -> None:
                # Share of this file's bytes by rows read.
                share = min(1.0, rows / of) if of else 0.0
                progress(f"{name} ({rows:,})" if not of else name, d + int(share * sz), total)

            df, kind = read_file(f, wanted, tick if progress else None, ids)
            done += p.sizes[k]
            yield ready(k, df, kind)
    if progress:
        progress("", total, total)


def duplicate_copies(ticket: np.ndarray, valid: np.ndarray, files_col: np.ndarray, rows_col: np.ndarray
                     ) -> tuple[np.ndarray, pd.DataFrame]:
    """(mask of the rows that are an older copy of a ticket, the table of those copies: ticket,
    _file, _row, kept_file, kept_row). Rows are in plan order, so the newest copy is kept.

    Only a ticket number exported as text merges rows (`valid`): a number Excel rounded
    (7.3E+18) could make six tickets one. Rows with such ids are each rejected, never merged."""
    ticket = pd.Series(ticket, dtype=object)
    dup = valid & ticket.duplicated(keep="last").to_numpy()
    kept = valid & ticket.duplicated(keep=False).to_numpy() & ~dup if dup.any() else dup
    keep_where = pd.DataFrame({"ticket": ticket[kept], "kept_file": files_col[kept], "kept_row": rows_col[kept]})
    duplicates = pd.DataFrame({"ticket": ticket[dup], "_file": files_col[dup], "_row": rows_col[dup]})
    return dup, duplicates.merge(keep_where, on="ticket", how="left").reset_index(drop=True)


def load_exports(paths: Iterable[str | Path] | str | Path, sop=None, mapping: Mapping | None = None,
                 progress: Callable[[str, int, int], None] | None = None, workers: int | None = None) -> Export:
    """Read and merge export files; `progress(name, done, total)` reports bytes read.

    `workers`: processes reading files at once (default: the cores, when there is enough to
    read; 1 reads in this process).
    """
    from ..sop import default_sop
    from .mapping import find_columns, load_mapping

    sop = sop or default_sop()
    mapping = mapping or load_mapping(sop)
    p = plan(paths, sop, mapping)
    frames, info = [], []
    for f, df, kind in read_files(p, mapping, progress, workers):
        frames.append(df)
        info.append((str(f), kind, len(df)))
    frame = stack_frames(frames)
    if "_formula" in frame.columns:
        frame["_formula"] = pd.Series(frame["_formula"]).astype(object).fillna("").to_numpy()
    ticket = np.asarray(frame[find_columns(frame, mapping, "export")["ticket"]], dtype=object)
    dup, duplicates = duplicate_copies(ticket, ticket_problems(ticket) == "", np.asarray(frame["_file"], dtype=object),
                                       frame["_row"].to_numpy())
    rows_read = len(frame)
    frame = frame[~dup].reset_index(drop=True)
    return Export(frame=frame, files=info, duplicates=duplicates, rows_read=rows_read, exported_at=p.exported_at)
