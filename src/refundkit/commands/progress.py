"""`refundkit progress export|demo|path|reset|forget`: the workshop's progress record for trainers.

    refundkit progress export [--format csv|xlsx] [-o PATH] [--db FILE|URL] [--lang zh|en]
    refundkit progress demo [--db FILE|URL] [--learners N] [--seed N] [--reset] [--yes]
    refundkit progress path
    refundkit progress reset --yes [--db FILE|URL]   # a new room: delete the database file (PostgreSQL: every record)
    refundkit progress forget NAME [--db FILE|URL]   # erase one learner's records (their name is personal data)

`--db` (or `$REFUNDKIT_DB`) is a SQLite file or a `postgresql://` URL. A record
that cannot be used (not a database, someone else's tables, a folder, a server
that does not answer) gives one line naming it, and exit code 2, in every command.
`demo` writes sample learners only into a new record or one that holds nothing
but sample learners, unless `--yes`.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..names import normalise_name
from ..progress import ProgressError, ProgressStore, default_target

TABLES = ("grid", "progress", "most_missed", "outdated", "attempts")
DB_HELP = "progress database: a file or a postgresql:// URL (default: $REFUNDKIT_DB or the user's data folder)"


def register(sub) -> None:
    p = sub.add_parser("progress", help="exercise progress record: export, demo / 练习记录:导出、示例")
    ps = p.add_subparsers(dest="progress_command", metavar="SUBCOMMAND", required=True)
    e = ps.add_parser("export", help="write the workshop tables (csv: one file per table in a folder; xlsx: one workbook)")
    e.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    e.add_argument("-o", "--output", help="xlsx file, or folder for csv (default: refundkit-progress.xlsx / refundkit-progress/)")
    e.add_argument("--db", help=DB_HELP)
    e.add_argument("--lang", choices=["zh", "en"], default="zh", help="column titles")
    e.set_defaults(func=export)
    d = ps.add_parser("demo", help="fill a database with a sample workshop, to try the dashboard")
    d.add_argument("--db", help=DB_HELP)
    d.add_argument("--learners", type=int, default=12)
    d.add_argument("--seed", type=int, default=None)
    d.add_argument("--reset", action="store_true", help="delete the sample learners' records first")
    d.add_argument("--yes", action="store_true",
                   help="also when the record holds real learners (--reset then deletes theirs too)")
    d.set_defaults(func=demo)
    w = ps.add_parser("path", help="print where the progress database is")
    w.set_defaults(func=path)
    r = ps.add_parser("reset", help="delete the progress database (a new room); export first to keep a record")
    r.add_argument("--db", help=DB_HELP)
    r.add_argument("--yes", action="store_true", help="really delete")
    r.set_defaults(func=reset)
    f = ps.add_parser("forget", help="remove every record of one learner")
    f.add_argument("name")
    f.add_argument("--db", help=DB_HELP)
    f.set_defaults(func=forget)


def _store(db: str | None, must_exist: bool) -> ProgressStore:
    """The record, checked: an unusable one is a UserError (one line, exit 2) before any work."""
    try:
        store = ProgressStore(db or default_target())
        if not store.exists():
            if must_exist:
                raise UserError(f"{store.where}: no progress database here yet "
                                "(answer an exercise, or run `refundkit progress demo`)")
            return store
        store.count()  # opens, migrates and checks the schema
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    return store


def tables(store: ProgressStore, lang: str):
    from ..workshop import Dashboard

    dash = Dashboard(store, lang=lang)
    attempts = dash.attempts.drop(columns=["id"]).copy()
    for col in ("answer", "key"):
        attempts[col] = attempts[col].map(lambda v: v if isinstance(v, str) or v is None else ", ".join(v))
    return {"grid": dash.grid().reset_index(), "progress": dash.progress(), "most_missed": dash.most_missed(top=1000),
            "outdated": dash.outdated(), "attempts": attempts}


def export(args) -> int:
    store = _store(args.db, must_exist=True)
    try:
        data = tables(store, args.lang)
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    if args.format == "xlsx":
        out = Path(args.output or "refundkit-progress.xlsx")
        if out.suffix.lower() != ".xlsx":
            raise UserError(f"{out}: an xlsx export needs a file name ending in .xlsx")
        try:  # the kit's safe writer: a learner's name or answer starting with = cannot run in Excel
            from ..safe_write import write_sheets

            write_sheets(data, out)
        except OSError as exc:
            raise UserError(f"{out}: cannot write ({exc.strerror})") from None
        print(f"{out}: {', '.join(f'{n} ({len(df)})' for n, df in data.items())}")
    else:
        out = Path(args.output or "refundkit-progress")
        if out.exists() and not out.is_dir():
            raise UserError(f"{out}: a csv export writes one file per table into a folder; this is a file")
        try:
            from ..safe_write import write_csv

            out.mkdir(parents=True, exist_ok=True)
            for name, df in data.items():
                write_csv(df, out / f"{name}.csv")
        except OSError as exc:
            raise UserError(f"{out}: cannot write ({exc.strerror})") from None
        print(f"{out}/: {', '.join(f'{n}.csv ({len(df)})' for n, df in data.items())}")
    return 0


def demo(args) -> int:
    from ..workshop import DEMO_SEED, demo_workshop

    if args.learners < 1:
        raise UserError(f"--learners: expected a whole number of at least 1, got {args.learners}")
    store = _store(args.db, must_exist=False)
    try:
        real = store.count(demo=False)
        if real and not args.yes:
            raise UserError(f"{store.where}: holds {real} checks of real learners; the sample class goes into a new "
                            "record (--db another.sqlite3), or add --yes to mix it in")
        if args.reset:
            if store.path is not None and (args.yes or not real):
                _delete(store.path)
            else:
                store.delete_all()
        n = demo_workshop(store, learners=args.learners, seed=DEMO_SEED if args.seed is None else args.seed)
        total = store.count()
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    print(f"{store.where}: {n} checks by {args.learners} sample learners (total now {total})")
    return 0


def path(args) -> int:
    try:
        store = ProgressStore(default_target())
        print(f"{store.where}{'' if store.exists() else ' (not created yet)'}")
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    return 0


def _delete(db: Path) -> list[Path]:
    """The database and its WAL side files."""
    gone = []
    for suffix in ("", "-wal", "-shm", ".problems.jsonl"):
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
    try:
        n = store.count()
        if not args.yes:
            raise UserError(f"{store.where}: this deletes {n} recorded checks; export them first if you need them, "
                            "then run again with --yes")
        if store.path is not None:
            gone = _delete(store.path)
            print(f"deleted {', '.join(str(g) for g in gone)}")
        else:
            print(f"{store.where}: deleted {store.delete_all()} checks")
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    return 0


def forget(args) -> int:
    store = _store(args.db, must_exist=True)
    name = normalise_name(args.name)
    try:
        n = store.delete_learner(name)
    except ProgressError as exc:
        raise UserError(str(exc)) from None
    if n == 0:
        raise UserError(f"{store.where}: no records of {name!r}")
    where = ("erased from the file" if store.path is not None else
             "erased from the table (the server's own logs and backups keep copies until they rotate)")
    print(f"{store.where}: removed {n} checks of {name}, {where}")
    return 0
