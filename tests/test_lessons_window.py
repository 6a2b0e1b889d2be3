"""A change of the handling window fails the deadline lesson, and no other lesson.

Lessons print the facts they teach, so nbval fails the lesson whose rule
moved; the other lessons must not print anything that depends on the window
(they use cases far from their deadline and never print a deadline).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DEADLINE_LESSON = "03_deadline.ipynb"


def _nbval(env_sop: Path) -> set[str]:
    env = dict(os.environ, REFUNDKIT_SOP=str(env_sop))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
         "--nbval", "--nbval-current-env", "-rf", *map(str, LESSONS)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    return set(re.findall(r"^FAILED notebooks/(\S+?\.ipynb)::", run.stdout, re.M))


def test_changing_the_window_fails_only_the_deadline_lesson(sop_text, tmp_path):
    assert DEADLINE_LESSON in {p.name for p in LESSONS}
    changed, n = re.subn(r"(handling_window:\n\s+days:) \d+", r"\1 5", sop_text)
    assert n == 1 and "days: 5" in changed
    path = tmp_path / "refund_sop.yaml"
    path.write_text(changed, encoding="utf-8")
    assert _nbval(path) == {DEADLINE_LESSON}
