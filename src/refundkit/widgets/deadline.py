"""Deadline clock: request time and "now" in; deadline, time left, what happens at the end.

Python API:
  clock.requested   Text: request time in the SOP's time zone, as people type it ("2026-11-20 10:00",
                    "2026/11/20 10:00", "11月20日 10:00", "9:30" = on the clock's day; see `refundkit.typed_input`);
                    a time after "now" is refused (CSS `rk-requested`)
  clock.now         Text: the clock to read it at; lessons pass the fixed training clock (CSS `rk-now`)
  clock.errors      {"requested"|"now": HTML} message next to a field (CSS `rk-field-error`)
  clock.bar         FloatProgress: share of the window used; bar_style success / warning / danger
  clock.result      HTML: deadline, time left, band (CSS `rk-band rk-band-<on_time|due_soon|overdue>`)
  clock.deadline    the engine's Deadline, or None while input is invalid
The computation is `refundkit.clock.deadline` with the SOP's window and warning band.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import ipywidgets as W

from ..clock import Deadline, deadline
from ..words import time_left
from .base import SopWidget, esc, msg, seed_ids, typed_time
from .shared import make

BAR_STYLE = {"on_time": "success", "due_soon": "warning", "overdue": "danger"}
BAND_COLOR = {"on_time": "#1a7f37", "due_soon": "#b26a00", "overdue": "#c62828"}


def _show(dt: datetime) -> str:
    return f"{dt:%Y-%m-%d %H:%M}"


class DeadlineClock(SopWidget):
    css = "rk-clock"

    def __init__(self, sop=None, lang=None, requested_at: datetime | str = "", now: datetime | str = ""):
        super().__init__(sop, lang)
        tz = self.sop.tz
        as_text = lambda v: _show(v.astimezone(tz)) if isinstance(v, datetime) else str(v)  # noqa: E731
        # "9:30" or "11月20日 10:00" is read on the day of the clock the widget was given.
        self.today = typed_time(as_text(now), tz, None)[0]
        self.today = self.today.date() if self.today else None
        self.requested = make(W.Text, value=as_text(requested_at), placeholder="2026-11-20 10:00",
                              style={"description_width": "8em"}, classes=("rk-requested",))
        self.now = make(W.Text, value=as_text(now), placeholder="2026-11-20 10:00",
                        style={"description_width": "8em"}, classes=("rk-now",))
        self.errors = {k: make(W.HTML, classes=("rk-field-error",)) for k in ("requested", "now")}
        self.bar = make(W.FloatProgress, min=0.0, max=1.0, value=0.0, classes=("rk-bar",))
        self.result = make(W.HTML, classes=("rk-clock-result",))
        self.deadline: Deadline | None = None
        for f in (self.requested, self.now):
            f.observe(lambda _ch: self.update(), "value")
        self.children = [make(W.HBox, [self.requested, self.errors["requested"]]),
                         make(W.HBox, [self.now, self.errors["now"]]), self.bar, self.result]
        self.render()

    def render(self) -> None:
        self.requested.description = self.t("requested_at")
        self.now.description = self.t("now")
        self.bar.description = self.t("elapsed")
        self.update()

    def _parse(self, name: str, today) -> datetime | None:
        value, problem = typed_time(getattr(self, name).value, self.sop.tz, today)
        self.errors[name].value = msg(self.t(problem), "error") if problem else ""
        return value

    def update(self) -> None:
        now = self._parse("now", self.today)
        requested = self._parse("requested", now.date() if now else self.today)
        if requested is not None and now is not None and requested > now:
            # A request from the future is a typo; its "time left" would exceed the window.
            self.errors["requested"].value = msg(self.t("err_future"), "error")
            requested = None
        if requested is None or now is None:
            self.deadline = None
            self.result.value = ""
            self.bar.value = 0.0
            return
        p = self.sop.parameters
        dl = self.deadline = deadline(requested, now, p.handling_window.days, p.due_soon_hours, self.sop.tz)
        window = (dl.due - requested).total_seconds()
        self.bar.value = min(1.0, max(0.0, 1 - dl.left.total_seconds() / window))
        self.bar.bar_style = BAR_STYLE[dl.urgency]
        self.result.value = self.result_html()

    def result_html(self) -> str:
        dl, lang, p = self.deadline, self.lang, self.sop.parameters
        band = (f'<span class="rk-band rk-band-{dl.urgency}" style="color:{BAND_COLOR[dl.urgency]};font-weight:bold">'
                f'{esc(self.t(dl.urgency))}</span>')
        lines = [
            f'<b>{esc(self.t("deadline"))}</b>: <span class="rk-due">{_show(dl.due)}</span> '
            f'({p.handling_window.days} {esc(self.t("days"))}) {self.cite(*seed_ids(p.handling_window))}',
            # Overdue reads "overdue: 1 d 0 h 0 min", not "time left: -1 d 0 h 0 min overdue"
            (f'{band}: <span class="rk-left">{esc(time_left(-dl.left, self.sop, lang))}</span>' if dl.left < timedelta(0) else
             f'<b>{esc(self.t("time_left"))}</b>: <span class="rk-left">{esc(time_left(dl.left, self.sop, lang))}</span> {band}'),
            f'<b>{esc(self.t("at_deadline"))}</b>: {esc(p.handling_window.at_deadline(lang))}',
        ]
        if dl.urgency != "on_time":
            lines.append(msg(p.handling_window.late(lang), "warn"))
        return "<br>".join(lines)
