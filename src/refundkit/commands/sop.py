"""`refundkit sop check [PATH]`: the first gate for any SOP change."""
from __future__ import annotations

import sys

from ..sop import SopError, load_sop, sop_path


def register(sub) -> None:
    p = sub.add_parser("sop", help="check (and review) the SOP file / 检查SOP文件")
    ssub = p.add_subparsers(dest="sop_command", metavar="SUBCOMMAND", required=True)
    c = ssub.add_parser("check", help="validate an SOP file")
    c.add_argument("path", nargs="?", default=None, help="SOP YAML (default: $REFUNDKIT_SOP or sop/refund_sop.yaml)")
    c.set_defaults(func=check)
    p.set_defaults(sub=ssub)


def check(args) -> int:
    try:
        sop = load_sop(args.path or sop_path())
    except SopError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {exc.path}", file=sys.stderr)
        return 1
    print(sop.summary_line())
    return 0
