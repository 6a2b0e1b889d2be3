"""A change of the handling window moves the deadline lesson, and no other lesson.

Lessons print the facts they teach, so nbval fails the lesson whose rule
moved; the other lessons must not print anything that depends on the window
(they use cases far from their deadline and never print a deadline).

`sop impact`'s lesson check answers it: every lesson the change can move (by
what it read of the SOP when `make refresh` last ran it; every lesson without a
fresh record) is re-executed under the changed SOP and its checked outputs are
compared with the stored ones. tests/test_review_loop.py holds that answer
against nbval.
"""
from __future__ import annotations

import re
from pathlib import Path

from refundkit.review.impact import Context, lesson_rows
from refundkit.sop import load_sop

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DEADLINE_LESSON = "notebooks/03_deadline.ipynb"


def test_changing_the_window_moves_only_the_deadline_lesson(sop, sop_text, tmp_path):
    assert DEADLINE_LESSON in {p.relative_to(REPO).as_posix() for p in LESSONS}
    changed, n = re.subn(r"(handling_window:\n\s+days:) \d+", r"\1 5", sop_text)
    assert n == 1 and "days: 5" in changed
    path = tmp_path / "refund_sop.yaml"
    path.write_text(changed, encoding="utf-8")
    rows, checked = lesson_rows(sop, load_sop(path), Context(REPO, path), paths=LESSONS)
    assert checked == len(LESSONS)
    assert {r.id for r in rows} == {DEADLINE_LESSON}
