"""Case builder: a learner sets up a case with the mouse, then walks it in the wizard.

Python API:
  b.controls[fact]   Dropdown per case fact (CSS `rk-fact-<fact>`; "true"/"false", "" = unknown)
  b.calculator       RefundCalculator for the amounts and the method (its own API)
  b.requested        Text: request time (CSS `rk-requested`); "now" is the fixed clock given
  b.balance          Text: the shop's balance in yuan, blank = unknown (CSS `rk-balance`)
  b.reason           Dropdown of the SOP's refund reasons (CSS `rk-reason`)
  b.start_button     description = ui.start_wizard (CSS `rk-start`)
  b.message          HTML: what is wrong with the case, if anything (CSS `rk-field-error`)
  b.wizard           the ProcedureWizard built on the last click, or None
The case is checked by `refundkit.cases.parse_case`, the same check as a case file.
"""
from __future__ import annotations

from datetime import datetime

import ipywidgets as W

from ..cases import CASE_FACTS, CaseError, parse_case
from .base import SopWidget, esc, input_message, msg, typed_time
from .calculator import RefundCalculator, money_problem
from .explorer import _to_text, _to_value, relabel
from .shared import make
from .wizard import ProcedureWizard


class CaseBuilder(SopWidget):
    css = "rk-builder"

    def __init__(self, sop=None, lang=None, now: datetime | None = None):
        super().__init__(sop, lang)
        if now is None:
            from ..lessons import clock

            now = clock()
        self.now = now
        self.guards = {c.guard for c in self.sop.cautions if c.guard}
        self.controls: dict[str, W.Dropdown] = {}
        for name in CASE_FACTS:
            dd = make(W.Dropdown, style={"description_width": "16em"}, layout={"width": "max-content", "max_width": "100%"},
                      classes=(f"rk-fact-{name}",))
            self.controls[name] = dd
        self.calculator = RefundCalculator(self.sop, self.lang_switch)
        self.requested = make(W.Text, value=f"{now:%Y-%m-%d %H:%M}", style={"description_width": "16em"},
                              classes=("rk-requested",))
        self.balance = make(W.Text, placeholder="0.00", style={"description_width": "16em"}, classes=("rk-balance",))
        self.reason = make(W.Dropdown, style={"description_width": "16em"},
                           layout={"width": "max-content", "max_width": "100%"}, classes=("rk-reason",))
        self.start_button = make(W.Button, button_style="primary", classes=("rk-start",))
        self.start_button.on_click(lambda _b: self.start())
        self.title = make(W.HTML)
        self.message = make(W.HTML, classes=("rk-field-error",))
        self.wizard_box = make(W.VBox)
        self.wizard: ProcedureWizard | None = None
        self.children = [self.title, *self.controls.values(), self.reason, self.requested, self.balance,
                         self.calculator, self.start_button, self.message, self.wizard_box]
        self.render()

    def render(self) -> None:
        lang, sop = self.lang, self.sop
        self.title.value = (f"<h4>{esc(self.t('build_case'))}</h4>"
                            f"<p>{esc(self.t('training_now'))}: {self.now:%Y-%m-%d %H:%M}</p>")
        for name, dd in self.controls.items():
            fact = sop.facts[name]
            default = None if (fact.is_bool and name in self.guards) else (False if fact.is_bool else fact.domain()[0])
            current = dd.value if dd.options else _to_text(default)
            relabel(dd, fact, lang, current, self.t("unknown") if fact.is_bool and name in self.guards else None)
        current = self.reason.value
        self.reason.options = [(r(lang), r.id) for r in sop.reasons]
        self.reason.value = current or sop.reasons[0].id
        self.reason.description = self.t("reason")
        self.requested.description = self.t("requested_at")
        self.balance.description = self.t("merchant_balance")
        self.start_button.description = self.t("start_wizard")

    def set_facts(self, **facts) -> None:
        for name, value in facts.items():
            self.controls[name].value = _to_text(value)

    def case_data(self) -> dict | None:
        """The case as data for parse_case, or None (with the message shown) when input is invalid."""
        self.message.value = ""
        calc = self.calculator
        if calc.refund is None:  # the calculator shows why beside the field; repeat it by the button
            self.message.value = "<br>".join(f"{esc(c(self.lang))}: {calc.errors[c.id].value}"
                                             for c in calc.components if calc.errors[c.id].value)
            return None
        requested, problem = typed_time(self.requested.value, self.sop.tz, self.now.date())
        if problem is None and requested > self.now:
            problem = "err_future"
        if problem:
            self.message.value = msg(f'{self.t("requested_at")}: {self.t(problem)}', "error")
            return None
        balance, problem = money_problem(self.balance.value, self.sop) if self.balance.value.strip() else (None, None)
        if problem:
            self.message.value = msg(f'{self.t("merchant_balance")}: {input_message(self.sop, problem, self.lang)}', "error")
            return None
        data = {name: _to_value(dd.value) for name, dd in self.controls.items()}
        data.update(
            requested_at=requested.isoformat(), refund_method=calc.method.value, reason=self.reason.value,
            merchant_balance=None if balance is None else str(balance),
            amounts={k: str(money_problem(f.value, self.sop)[0]) for k, f in calc.fields.items()},
        )
        return data

    def start(self) -> ProcedureWizard | None:
        data = self.case_data()
        if data is None:
            return None
        try:
            case = parse_case(data, self.sop)
        except CaseError as exc:  # the builder offers only valid values; kept as a safety net
            self.message.value = msg(str(exc), "error")
            return None
        self.wizard = ProcedureWizard(self.sop, self.lang_switch, case=case, now=self.now)
        self.wizard_box.children = [self.wizard]
        return self.wizard
