"""What every widget shares: the SOP in use, the language switch, HTML helpers.

A widget subclasses `SopWidget`, builds its controls once in `__init__`, and
writes every label in `render()`, which runs again whenever the language
switch changes. No widget decides anything: it asks `refundkit.engine`.
"""
from __future__ import annotations

from html import escape

import ipywidgets as W
from traitlets import validate

from ..sop import LANGS, Sop, default_sop
from ..citations import cites
from ..typed_input import InputError, moment
from .shared import layout as shared_layout, make, shared_widget, style as shared_style


class LanguageSwitch(W.ToggleButtons):
    """中文 / English toggle; Chinese first and default. CSS class `rk-lang`."""

    def __init__(self, sop: Sop | None = None, value: str = "zh", **kw):
        sop = sop or default_sop()
        super().__init__(
            options=[(sop.ui["lang_name"](lang), lang) for lang in LANGS],
            value=value, description=sop.t("language", value),
            style=shared_style(W.ToggleButtons, button_width="6em"), **{"layout": shared_layout(), **kw},
        )
        self.add_class("rk-lang")
        self.observe(lambda ch: setattr(self, "description", sop.t("language", ch["new"])), "value")


_shared: LanguageSwitch | None = None


def language_switch() -> LanguageSwitch:
    """The switch all widgets of a notebook share unless given their own."""
    global _shared
    if _shared is None:
        _shared = LanguageSwitch()
    return _shared


# Layout for every widget, in either language and down to a phone's 390 px: labels wrap instead of
# being cut with "…", lists and radio labels take the width their SOP words need (never more than
# the screen), and on a narrow screen a label goes above its control.
STYLE = """<style>
.rk-widget { max-width: 100%; box-sizing: border-box; }
.rk-widget .widget-label, .rk-widget .widget-label-basic, .rk-widget .widget-radio-box label,
.rk-widget .widget-checkbox label, .rk-widget .widget-select select option {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  height: auto !important; line-height: 1.3 !important; }
.rk-widget .widget-inline-hbox, .rk-widget .widget-hbox { flex-wrap: wrap; max-width: 100%; gap: 0.2em 0; }
.rk-widget .widget-inline-hbox { height: auto !important; min-height: var(--jp-widgets-inline-height, 28px); }
/* (a wrapped label, or a label above its control, makes a row taller: it must not run into the next) */
.rk-widget .widget-dropdown > select, .rk-widget .widget-select > select { max-width: 100%; }
/* A row as wide as its content counts a short list ("No") at its text's width, not at the width it is
   drawn: beside a long label it then fell under the label. */
.rk-widget .widget-dropdown > select { min-width: var(--jp-widgets-inline-width-short, 148px) !important; }
.rk-widget .widget-radio-box { max-width: 100%; height: auto !important; }
.rk-widget .widget-radio-box label { padding: 2px 0; }
.rk-widget .widget-html-content { white-space: normal; overflow-wrap: anywhere; }
.rk-widget .jupyter-button { max-width: 100%; white-space: normal; height: auto; min-height: var(--jp-widgets-inline-height, 28px); }
.rk-app .widget-dropdown, .rk-app .widget-text { max-width: 100%; }
.rk-app-bar .widget-hbox { flex-wrap: wrap; max-width: 100%; gap: 0.2em 0; }
.rk-app-bar .rk-app-go { max-width: 100%; white-space: normal; height: auto; min-height: var(--jp-widgets-inline-height, 28px); }
.rk-flowchart { max-width: 100%; overflow-x: auto; }
.rk-flowchart svg.rk-flow { max-width: 100%; height: auto; }
.rk-summary-table, .rk-breakdown { max-width: 100%; display: block; overflow-x: auto; }
.rk-widget .rk-summary-table :is(td, th), .rk-widget .rk-breakdown td { overflow-wrap: normal; }  /* no "ST" / "1" */
.rk-widget .rk-breakdown td:nth-child(3) { white-space: nowrap; }  /* an amount never breaks in two */
@media (max-width: 600px) {
  .rk-widget .widget-inline-hbox > .widget-label { width: 100% !important; max-width: 100% !important;
    text-align: left; }
  .rk-widget .widget-inline-hbox > input, .rk-widget .widget-inline-hbox > select,
  .rk-widget .widget-inline-hbox > .widget-radio-box { flex: 1 1 100% !important; width: 100% !important; }
  .rk-widget .widget-text, .rk-widget .widget-dropdown, .rk-widget .widget-checkbox {
    width: calc(100% - 2 * var(--jp-widgets-margin, 2px)) !important; }  /* their margins stay on screen */
}
</style>"""


def style_sheet() -> W.HTML:
    """The widgets' <style> (STYLE), one model every widget of a page holds (it works though its box is hidden)."""
    return shared_widget("rk-style", lambda: make(W.HTML, STYLE, layout={"display": "none"}))


class SopWidget(W.VBox):
    """A VBox that re-renders its texts when the language switch moves.

    Its Layout is shared (`refundkit.widgets.shared`) unless given `layout=W.Layout(...)`: change
    it only through `shared.own_layout(widget)`."""

    css = "rk-widget"

    def __init__(self, sop: Sop | None = None, lang: LanguageSwitch | None = None, classes: tuple[str, ...] = (),
                 **kw):
        self._style = style_sheet()
        # Classes given when the widget is made, not added one message at a time after.
        css = tuple(dict.fromkeys(("rk-widget", self.css, *classes)))
        super().__init__(**{"layout": shared_layout(), **kw, "_dom_classes": css})
        self.sop = sop or default_sop()
        self.lang_switch = lang or language_switch()
        self.lang_switch.observe(lambda _ch: self.render(), "value")

    @validate("children")
    def _keep_style(self, proposal) -> tuple:
        """The style sheet first among the children (set with them: one message, not two)."""
        kids = tuple(proposal["value"])
        if not kids or kids[0] is self._style:
            return kids
        return (self._style, *[k for k in kids if k is not self._style])

    @property
    def lang(self) -> str:
        return self.lang_switch.value

    def t(self, key: str) -> str:
        return self.sop.t(key, self.lang)

    def cite(self, *ids: str) -> str:
        return cite_html(self.sop, ids, self.lang)

    def render(self) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


def input_message(sop: Sop, key: str, lang: str) -> str:
    """The words for a refused input (a `typed_input.InputError` key); above the SOP's
    amount limit, the SOP's own sentence with the limit in it."""
    limit = getattr(sop.parameters, "amount_limit", None)
    if key == "err_too_large" and limit is not None:
        text = limit.refused(lang)  # written to follow a field's name ("amounts.goods: above ..."); here on its own
        return text[:1].upper() + text[1:]
    return sop.t(key, lang)


def typed_time(text: str, tz, today):
    """(aware datetime, None) or (None, ui key) for a typed time; `today` fills a missing date."""
    try:
        dt = moment(text, today=today)
    except InputError as exc:
        return None, exc.key
    return (dt if dt.tzinfo else dt.replace(tzinfo=tz)), None


def esc(text: object) -> str:
    return escape(str(text))


def msg(text: str, kind: str) -> str:
    """A message span; kind is ok | error | warn | info (CSS class rk-msg-<kind>)."""
    colors = {"ok": "#1a7f37", "error": "#c62828", "warn": "#b26a00", "info": "#555"}
    return f'<span class="rk-msg rk-msg-{kind}" style="color:{colors[kind]}">{esc(text)}</span>' if text else ""


def cite_html(sop: Sop, ids, lang: str) -> str:
    """SOP citations in grey, each id with its title ("S07 七、退款金额"), so a learner can look it up."""
    ids = [ids] if isinstance(ids, str) else list(ids)
    return f'<span class="rk-cite" style="color:#666">({esc(cites(sop, ids, lang))})</span>' if ids else ""


def seed_ids(item) -> list[str]:
    """The article sections an SOP item comes from."""
    s = item.seed if isinstance(item.seed, list) else [item.seed]
    return [x for x in s if x]
