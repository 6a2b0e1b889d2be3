"""`refundkit ...`: one entry point; each command lives in refundkit.commands.<name>.

A user error (bad file, bad field) is one line on stderr and exit 2; nothing
reaches the terminal as a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .cases import CaseError
from .clock import ClockError
from .money import MoneyError
from .sop import SopError

# Each module has register(subparsers); its parser sets `func(args) -> int`.
COMMAND_MODULES = [
    "refundkit.commands.sop",
    "refundkit.commands.decide",
    "refundkit.commands.progress",
    "refundkit.commands.triage",
]


class UserError(Exception):
    """A problem with what the user gave us; the message says what to fix."""


USER_ERRORS = (UserError, SopError, CaseError, ClockError, MoneyError, FileNotFoundError, PermissionError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="refundkit", description="Douyin shop refund SOP training kit / 抖店退款培训工具")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        text = str(exc)
        if isinstance(exc, (FileNotFoundError, PermissionError)) and exc.filename:
            text = f"{exc.filename}: {exc.strerror}"
        print(f"refundkit {args.command}: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
