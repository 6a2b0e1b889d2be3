"""How long reviewing an SOP change takes: `sop diff`, each `sop impact` source, and `sop render`.

    python benchmarks/sop_review.py [--no-lessons]

The change measured is the one a maintainer makes most: a longer handling window.
Prints seconds per step and the counts checked; asserts nothing about time.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from refundkit.review.diff import sop_diff  # noqa: E402
from refundkit.review.impact import Context, SOURCES, notebooks  # noqa: E402
from refundkit.review.render import html_handout  # noqa: E402
from refundkit.sop import DEFAULT_SOP_PATH, load_sop, parse_sop  # noqa: E402


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:<28} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-lessons", action="store_true", help="skip re-executing the notebooks")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    old = load_sop(DEFAULT_SOP_PATH)
    text = DEFAULT_SOP_PATH.read_text(encoding="utf-8").replace("    days: 7\n", "    days: 10\n", 1)
    with tempfile.TemporaryDirectory() as tmp:
        new_file = Path(tmp) / "refund_sop.yaml"
        new_file.write_text(text, encoding="utf-8")
        new = parse_sop(text, new_file)
        changes = timed("sop diff", lambda: sop_diff(old, new))
        ctx = Context(ROOT, new_file)
        for kind in ("scenarios", "questions") + (() if args.no_lessons else ("lessons",)):
            result = timed(f"sop impact: {kind}", lambda kind=kind: SOURCES[kind](old, new, ctx))
            if isinstance(result, str):
                print(f"  skipped: {result}")
            else:
                rows, checked = result
                print(f"  {len(rows)} of {checked} changed")
        html = timed("sop render (html, both)", lambda: html_handout(old, "both"))
    print(f"diff items: {len(changes)}; notebooks: {len(notebooks(ROOT))}; handout: {len(html) // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
