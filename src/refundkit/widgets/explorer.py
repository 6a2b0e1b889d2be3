"""Decision explorer: set the facts of a case, see the action the SOP prescribes and why.

Python API:
  ex.controls[fact]   Dropdown per SOP fact (CSS `rk-fact-<fact>`); values are the SOP's value ids,
                      "true"/"false" for yes/no facts, "" for unknown (guard facts only)
  ex.result           HTML: action (CSS `rk-action`, data-action=<id>), rule, reason, cautions
  ex.flowchart        HTML holding the SOP flowchart SVG with the path taken highlighted
  ex.outcome          the engine's Outcome for the current facts
  ex.set_facts(**kw)  set several facts at once, e.g. ex.set_facts(order_state="shipped")
Derived facts (past the deadline, balance covers the refund) are set directly
here; the engine's `outcome()` decides, exactly as `decide()` does for a case.
"""
from __future__ import annotations

import ipywidgets as W

from ..engine import NoRuleError, Outcome, case_facts, outcome
from ..words import conditions
from .base import SopWidget, esc, msg
from .shared import make
from ..flowchart import flowchart_svg


def _to_value(text: str):
    return {"true": True, "false": False, "": None}.get(text, text)


def _to_text(value) -> str:
    return "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))


def relabel(dd: W.Dropdown, fact, lang: str, current: str, unknown_label: str | None = None) -> None:
    """A fact's dropdown in the chosen language, keeping its value; an optional "unknown" entry."""
    options = [(fact.label(v, lang), _to_text(v)) for v in fact.domain()]
    if unknown_label is not None:
        options.append((unknown_label, ""))
    dd.options = options
    dd.value = current
    dd.description = fact(lang)


class DecisionExplorer(SopWidget):
    css = "rk-explorer"

    def __init__(self, sop=None, lang=None, scenario=None, case=None, now=None, show_flowchart: bool = True):
        # Facts and answer beside the flowchart on a wide screen, above it on a narrow one (a Layout of
        # its own: the app hides and shows the explorer through it).
        super().__init__(sop, lang, layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.guards = {c.guard for c in self.sop.cautions if c.guard}
        self.controls: dict[str, W.Dropdown] = {}
        start = {}
        if scenario is not None:
            case, now = scenario.case, scenario.now
        if case is not None:
            start, _, _ = case_facts(case, self.sop, now)
        for name, fact in self.sop.facts.items():
            dd = make(W.Dropdown, style={"description_width": "16em"}, layout={"width": "max-content", "max_width": "100%"},
                      classes=(f"rk-fact-{name}",))
            self.controls[name] = dd
            default = fact.domain()[0] if not fact.is_bool else (None if name in self.guards else False)
            dd._rk_start = _to_text(start.get(name, default))
        self.result = make(W.HTML, classes=("rk-explorer-result",))
        self.flowchart = make(W.HTML, classes=("rk-flowchart",))
        self.show_flowchart = show_flowchart
        self.outcome: Outcome | None = None
        self._quiet = False
        self.render()
        for dd in self.controls.values():
            dd.observe(lambda _ch: self.update(), "value")
        left = make(W.VBox, [*self.controls.values(), self.result], layout={"max_width": "100%"})
        self.children = [left, self.flowchart] if show_flowchart else [left]

    def render(self) -> None:
        lang = self.lang
        self._quiet = True
        for name, dd in self.controls.items():
            fact = self.sop.facts[name]
            current = dd.value if dd.options else dd._rk_start
            relabel(dd, fact, lang, current, self.t("unknown") if fact.is_bool and name in self.guards else None)
        self._quiet = False
        self.update()

    def set_facts(self, **facts) -> None:
        self._quiet = True
        for name, value in facts.items():
            self.controls[name].value = _to_text(value)
        self._quiet = False
        self.update()

    @property
    def facts(self) -> dict:
        return {name: _to_value(dd.value) for name, dd in self.controls.items()}

    def update(self) -> None:
        if self._quiet:
            return
        lang = self.lang
        try:
            self.outcome = outcome(self.facts, self.sop)
        except NoRuleError:
            self.outcome = None
            self.result.value = msg(self.t("err_no_rule"), "error")
            self.flowchart.value = flowchart_svg(self.sop, lang) if self.show_flowchart else ""
            return
        self.result.value = self.result_html()
        if self.show_flowchart:
            self.flowchart.value = flowchart_svg(self.sop, lang, self.outcome)

    def result_html(self) -> str:
        o, lang, sop = self.outcome, self.lang, self.sop
        act = sop.action_by_id[o.action]
        rule = sop.rule_by_id[o.rule]
        out = [f'<p><b>{esc(self.t("action"))}</b>: <span class="rk-action" data-action="{act.id}">'
               f'{esc(act(lang))}</span><br>{esc(act.todo(lang))}</p>']
        if o.held_action:
            held = sop.action_by_id[o.held_action]
            out.append(f'<p class="rk-held"><b>{esc(self.t("held"))}</b>: {esc(held(lang))}</p>')
        out.append(f'<p class="rk-why"><b>{esc(self.t("why"))}</b>: {esc(conditions(rule.id, sop, lang))} '
                   f'{self.cite(rule.id)}</p>')
        if o.cautions:
            items = "".join(
                f'<li class="rk-caution rk-caution-{c.status}">{esc(self.t("status_" + c.status))} {esc(c.id)} '
                f'{esc(sop.caution_by_id[c.id](lang))}</li>' for c in o.cautions)
            out.append(f'<p><b>{esc(self.t("cautions"))}</b></p><ul style="list-style:none;padding-left:1em">{items}</ul>')
        return "".join(out)
