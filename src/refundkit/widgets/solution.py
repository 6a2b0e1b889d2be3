"""A lesson's solution behind a button: Run All shows the button, never the answer.

    from refundkit.widgets import solution
    solution(lambda: show_case("SC22"))     # the last line of a solution cell

Each click of "显示答案" runs the function and shows what it prints (and returns) under
the button; the next click folds it away. One solution per button, so opening one never
opens another. In the trainer's build (`make trainer` sets REFUNDKIT_TRAINER=1) the
solution is printed at once, as a plain output.

Python API: sol.button (CSS `rk-show-solution`; description = ui.show_solution / hide_solution),
sol.body (HTML, CSS `rk-solution`; empty until asked), sol.shown, sol.toggle().
"""
from __future__ import annotations

import contextlib
import io
import os
from typing import Any, Callable

import ipywidgets as W

from .base import SopWidget, esc
from .shared import make

TRAINER_ENV = "REFUNDKIT_TRAINER"


def trainer_build() -> bool:
    return os.environ.get(TRAINER_ENV, "") not in ("", "0")


class Solution(SopWidget):
    css = "rk-solution-box"

    def __init__(self, show: Callable[[], Any], sop=None, lang=None):
        super().__init__(sop, lang)
        self.show, self.shown = show, False
        self.button = make(W.Button, icon="eye", layout={"width": "auto"}, classes=("rk-show-solution",))
        self.button.on_click(lambda _b: self.toggle())
        self.body = make(W.HTML, classes=("rk-solution",))
        self.children = [self.button, self.body]
        self.render()

    def text(self) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            value = self.show()
        return out.getvalue() + ("" if value is None else f"{value}\n")

    def toggle(self) -> None:
        self.shown = not self.shown
        # Run again on every opening: the words follow the language switch and the SOP as it is now.
        self.body.value = (f"<pre style='white-space:pre-wrap;margin:0.3em 0'>{esc(self.text())}</pre>"
                           if self.shown else "")
        self.render()

    def render(self) -> None:
        self.button.description = self.t("hide_solution" if self.shown else "show_solution")


def solution(show: Callable[[], Any]):
    """The button for a learner; the answer itself in the trainer's build."""
    if trainer_build():
        value = show()
        return value
    return Solution(show)
