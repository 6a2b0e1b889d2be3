"""`refundkit sop check|diff|impact|render`: the gate and the review of an SOP change.

The work is done in refundkit.review.*; this module only parses arguments and
prints. Exit codes: 0 fine, 1 the check failed / the change touches something
(so CI asks for a review), 2 input that cannot be used (one line on stderr).
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..sop import LANGS, REPO_ROOT, SopError, load_sop, sop_path


def register(sub) -> None:
    p = sub.add_parser("sop", help="check and review the SOP file / 检查、审阅SOP文件")
    ssub = p.add_subparsers(dest="sop_command", metavar="SUBCOMMAND", required=True)

    c = ssub.add_parser("check", help="validate an SOP file, its version and what cites it")
    c.add_argument("path", nargs="?", default=None, help="SOP YAML (default: $REFUNDKIT_SOP or sop/refund_sop.yaml)")
    c.set_defaults(func=check)

    d = ssub.add_parser("diff", help="what changed between two SOPs, by id")
    _old_new(d)
    d.add_argument("--lang", choices=LANGS, default="zh")
    d.add_argument("--format", choices=("text", "md"), default="text")
    d.set_defaults(func=diff)

    i = ssub.add_parser("impact", help="scenarios, questions and lessons whose outcome changes (exit 1 if any)")
    _old_new(i)
    i.add_argument("--lang", choices=LANGS, default="zh")
    i.add_argument("--format", choices=("text", "md", "json"), default="text")
    i.add_argument("--only", action="append", choices=("scenarios", "questions", "lessons"),
                   help="look only at these (repeatable; default: all)")
    i.add_argument("-o", "--output", help="write the report to this file instead of the terminal")
    i.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    i.set_defaults(func=impact)

    r = ssub.add_parser("render", help="printable handout (HTML for A4, or Markdown)")
    r.add_argument("path", nargs="?", default=None, help="SOP YAML (default: the SOP in use)")
    r.add_argument("--lang", choices=(*LANGS, "both"), default="zh")
    r.add_argument("--format", choices=("html", "md"), default=None, help="default: from the file name, else html")
    r.add_argument("-o", "--output", required=True, help="file to write, e.g. handout.html")
    r.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    r.set_defaults(func=render)
    p.set_defaults(sub=ssub)


def _old_new(p) -> None:
    p.add_argument("old", nargs="?", default=None,
                   help="old SOP: a file, a git revision (HEAD~1, main, a tag) or REV:path (default: HEAD)")
    p.add_argument("new", nargs="?", default=None, help="new SOP file (default: $REFUNDKIT_SOP or sop/refund_sop.yaml)")
    p.add_argument("--since", metavar="REV", help="compare the SOP file at git revision REV with the new one")


def _pair(args):
    """(old Sop, new Sop, new SopText, old revision or None)."""
    from ..review.source import ReviewError, parse, resolve

    if args.since and args.old and args.new:
        raise ReviewError("give either --since REV or OLD NEW, not both")
    new_spec = args.new if not args.since else (args.old or args.new)
    new_src = resolve(new_spec)
    old_spec = args.since or args.old or "HEAD"
    against = new_src.path if new_src.path is not None else sop_path()
    old_src = resolve(old_spec, against)
    old_rev = old_src.label.split(":", 1)[0] if old_src.path is None else None
    return parse(old_src), parse(new_src), new_src, old_rev


def check(args) -> int:
    from ..review import references, version
    from ..review.source import ReviewError, load_sop_file

    path = Path(args.path) if args.path else sop_path()
    text = load_sop_file(path)  # unreadable / not YAML / not an SOP: ReviewError, exit 2
    try:
        sop = load_sop(path)
    except SopError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {exc.path}", file=sys.stderr)
        return 1
    in_kit = path.resolve().parent.name == "sop"
    root = path.resolve().parent.parent if in_kit else REPO_ROOT  # a copy elsewhere is checked against the kit in use
    broken = references.broken_keys(root, sop)
    if broken:  # an item an exercise's answer key cites is gone: refused outright
        more = f" (and {len(broken) - 1} more question(s))" if len(broken) > 1 else ""
        print(f"{path}: refused: {broken[0]}{more}", file=sys.stderr)
        return 2
    problems: list[str] = []
    base = version.baseline(path)
    previous = None
    if base.src is None:
        print(f"{path}: {base.note}", file=sys.stderr)
    else:
        problems += [f"{path}: {p}" for p in version.version_problems(base.src.text, text, base.src.label)]
        try:
            from ..sop import parse_sop

            previous = parse_sop(base.src.text, base.src.label)
        except SopError:
            previous = None
    problems += [f"{path.parent / 'CHANGELOG.md'}: {p.split(': ', 1)[1]}" for p in version.changelog_problems(path, sop.version)]
    if in_kit:
        problems += references.dangling(root, sop, previous)
        for line in references.prose_mentions(root, sop):
            print(f"warning: {line}", file=sys.stderr)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(sop.summary_line())
    return 0


def diff(args) -> int:
    from ..review.diff import format_diff, sop_diff

    old, new, _, _ = _pair(args)
    changes = sop_diff(old, new)
    print(format_diff(changes, old, new, args.lang, args.format))
    return 0


def impact(args) -> int:
    from ..review.impact import format_report, run_impact

    old, new, new_src, old_rev = _pair(args)
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    report = run_impact(old, new, new_src, old_rev=old_rev, only=args.only, progress=progress)
    text = format_report(report, old, new, args.lang, args.format)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 1 if report.changed else 0


def render(args) -> int:
    from ..review.render import write_handout
    from ..review.source import load

    sop = load(args.path)
    fmt = args.format or ("md" if args.output.endswith(".md") else "html")
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    out = write_handout(sop, Path(args.output), args.lang, fmt, progress)
    print(out)
    return 0
