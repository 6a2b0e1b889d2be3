"""Top layer: `refundkit ...`, one entry point; each command lives in refundkit.commands.<name>.

A user error (bad file, bad field) is one line on stderr and exit 2; nothing
reaches the terminal as a traceback. The errors live in `refundkit.errors`, so the
commands never import this module.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import USER_ERRORS, UserError  # noqa: F401 - UserError kept importable from here

# Each module has register(subparsers); its parser sets `func(args) -> int`.
COMMAND_MODULES = [
    "refundkit.commands.sop",
    "refundkit.commands.decide",
    "refundkit.commands.progress",
    "refundkit.commands.triage",
]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `only` (a command name): a command then starts
    without importing what the others need (the progress store's database driver, say)."""
    parser = argparse.ArgumentParser(prog="refundkit", description="Douyin shop refund SOP training kit / 抖店退款培训工具")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        if only is None or name.rsplit(".", 1)[1] == only:
            importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    first = next((w for w in words if not w.startswith("-")), None)
    known = {m.rsplit(".", 1)[1] for m in COMMAND_MODULES}
    parser = build_parser(first if first in known and words and words[0] == first else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # A command run as the whole process (not from a test or a notebook) may end it as soon as
    # its work is done (see `refundkit.commands.triage`).
    args.ends_process = argv is None
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
