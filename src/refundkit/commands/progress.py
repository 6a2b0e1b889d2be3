"""`refundkit progress export|demo|path`: the workshop's progress record for trainers.

    refundkit progress export [--format csv|xlsx] [-o PATH] [--db FILE] [--lang zh|en]
    refundkit progress demo [--db FILE] [--learners N] [--seed N] [--reset]
    refundkit progress path
    refundkit progress reset --yes [--db FILE]       # a new room: delete the database file
    refundkit progress forget NAME [--db FILE]       # remove one learner's records (their name is personal data)
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..progress import ProgressError, ProgressStore, default_db_path

TABLES = ("grid", "progress", "most_missed", "outdated", "attempts")


def register(sub) -> None:
    p = sub.add_parser("progress", help="exercise progress record: export, demo / 练习记录:导出、示例")
    ps = p.add_subparsers(dest="progress_command", metavar="SUBCOMMAND", required=True)
    e = ps.add_parser("export", help="write the workshop tables (csv: one file per table in a folder; xlsx: one workbook)")
    e.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    e.add_argument("-o", "--output", help="xlsx file, or folder for csv (default: refundkit-progress.xlsx / refundkit-progress/)")
    e.add_argument("--db", help="progress database (default: $REFUNDKIT_DB or the user's data folder)")
    e.add_argument("--lang", choices=["zh", "en"], default="zh", help="column titles")
    e.set_defaults(func=export)
    d = ps.add_parser("demo", help="fill a database with a sample workshop, to try the dashboard")
    d.add_argument("--db", help="progress database (default: $REFUNDKIT_DB or the user's data folder)")
    d.add_argument("--learners", type=int, default=12)
    d.add_argument("--seed", type=int, default=None)
    d.add_argument("--reset", action="store_true", help="delete the database file first")
    d.set_defaults(func=demo)
    w = ps.add_parser("path", help="print where the progress database is")
    w.set_defaults(func=path)
    r = ps.add_parser("reset", help="delete the progress database (a new room); export first to keep a record")
    r.add_argument("--db", help="progress database (default: $REFUNDKIT_DB or the user's data folder)")
    r.add_argument("--yes", action="store_true", help="really delete")
    r.set_defaults(func=reset)
    f = ps.add_parser("forget", help="remove every record of one learner")
    f.add_argument("name")
    f.add_argument("--db", help="progress database (default: $REFUNDKIT_DB or the user's data folder)")
    f.set_defaults(func=forget)


def _store(db: str | None, must_exist: bool) -> ProgressStore:
    p = Path(db) if db else default_db_path()
    if must_exist and not p.exists():
        raise UserError(f"{p}: no progress database here yet (answer an exercise, or run `refundkit progress demo`)")
    return ProgressStore(p)


def tables(store: ProgressStore, lang: str):
    from ..workshop import Dashboard

    dash = Dashboard(store, lang=lang)
    attempts = dash.attempts.drop(columns=["id"]).copy()
    for col in ("answer", "key"):
        attempts[col] = attempts[col].map(lambda v: v if isinstance(v, str) or v is None else ", ".join(v))
    return {"grid": dash.grid().reset_index(), "progress": dash.progress(), "most_missed": dash.most_missed(top=1000),
            "outdated": dash.outdated(), "attempts": attempts}


def export(args) -> int:
    try:
        store = _store(args.db, must_exist=True)
        data = tables(store, args.lang)
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    if args.format == "xlsx":
        out = Path(args.output or "refundkit-progress.xlsx")
        if out.suffix.lower() != ".xlsx":
            raise UserError(f"{out}: an xlsx export needs a file name ending in .xlsx")
        import pandas as pd

        try:
            with pd.ExcelWriter(out, engine="openpyxl") as xl:
                for name, df in data.items():
                    df.to_excel(xl, sheet_name=name, index=False)
        except OSError as exc:
            raise UserError(f"{out}: cannot write ({exc.strerror})") from None
        print(f"{out}: {', '.join(f'{n} ({len(df)})' for n, df in data.items())}")
    else:
        out = Path(args.output or "refundkit-progress")
        if out.exists() and not out.is_dir():
            raise UserError(f"{out}: a csv export writes one file per table into a folder; this is a file")
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, df in data.items():
                # utf-8 with BOM: Excel then opens the Chinese names correctly.
                df.to_csv(out / f"{name}.csv", index=False, encoding="utf-8-sig")
        except OSError as exc:
            raise UserError(f"{out}: cannot write ({exc.strerror})") from None
        print(f"{out}/: {', '.join(f'{n}.csv ({len(df)})' for n, df in data.items())}")
    return 0


def demo(args) -> int:
    from ..workshop import DEMO_SEED, demo_workshop

    if args.learners < 1:
        raise UserError(f"--learners: expected a whole number of at least 1, got {args.learners}")
    store = _store(args.db, must_exist=False)
    if args.reset:
        _delete(store.path)
    try:
        n = demo_workshop(store, learners=args.learners, seed=DEMO_SEED if args.seed is None else args.seed)
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    print(f"{store.path}: {n} checks by {args.learners} sample learners (total now {store.count()})")
    return 0


def path(args) -> int:
    p = default_db_path()
    print(f"{p}{'' if p.exists() else ' (not created yet)'}")
    return 0



def _delete(db: Path) -> list[Path]:
    """The database and its WAL side files."""
    gone = []
    for suffix in ("", "-wal", "-shm"):
        f = Path(str(db) + suffix)
        if f.exists():
            try:
                f.unlink()
            except OSError as exc:
                raise UserError(f"{f}: cannot delete ({exc.strerror})") from None
            gone.append(f)
    return gone


def reset(args) -> int:
    store = _store(args.db, must_exist=True)
    if not args.yes:
        try:
            n = store.count()
        except ProgressError as exc:
            raise UserError(str(exc)) from None
        raise UserError(f"{store.path}: this deletes {n} recorded checks; export them first if you need them, "
                        "then run again with --yes")
    gone = _delete(store.path)
    print(f"deleted {', '.join(str(g) for g in gone)}")
    return 0


def forget(args) -> int:
    store = _store(args.db, must_exist=True)
    try:
        n = store.delete_learner(args.name)
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    if n == 0:
        raise UserError(f"{store.path}: no records of {args.name.strip()!r}")
    print(f"{store.path}: removed {n} checks of {args.name.strip()}")
    return 0
