"""`refundkit decide CASE.yaml|CASE.json`: what the SOP says for one case."""
from __future__ import annotations

import json

from ..cases import case_schema, read_case_file
from ..clock import parse_time, system_now
from ..errors import UserError
from ..engine import decide
from ..sop import load_sop, sop_path
from ..words import explain


def register(sub) -> None:
    p = sub.add_parser("decide", help="apply the SOP to one case / 按SOP判断一个案例")
    p.add_argument("case", nargs="?", help="case file (.yaml, .yml or .json)")
    p.add_argument("--now", help="the time to decide at, ISO with offset (default: the current time)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of a case and exit")
    p.add_argument("--sop", default=None, help="SOP file to apply (default: $REFUNDKIT_SOP or sop/refund_sop.yaml)")
    p.set_defaults(func=run)


def run(args) -> int:
    sop = load_sop(args.sop or sop_path())
    if args.schema:
        print(json.dumps(case_schema(sop), ensure_ascii=False, indent=2))
        return 0
    if not args.case:
        raise UserError("give a case file (CASE.yaml or CASE.json), or --schema")
    case = read_case_file(args.case, sop)
    now = parse_time(args.now, "--now") if args.now else system_now(sop.tz)
    if case.requested_at > now:
        # A deadline counted from the future would read as more time left than the SOP gives.
        raise UserError(f"{args.case}: requested_at {case.requested_at.isoformat()} is after now "
                        f"({now.isoformat()}): a request cannot be decided before it is made; "
                        "check the time in the file, or give --now")
    decision = decide(case, sop, now)
    if args.json:
        print(json.dumps(decision.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(explain(decision, sop, args.lang))
    return 0
