"""Refund amount calculator: goods, shipping, coupon, discount in; refund out.

Python API (what tests, exercises and browser tests drive):
  calc.fields[component_id]  Text input per SOP amount component (goods, shipping, coupon, discount);
                             its `description` is the SOP label; CSS class `rk-amount-<component>`
  calc.errors[component_id]  HTML next to the field: the message for invalid input (CSS `rk-field-error`)
  calc.method                RadioButtons of SOP refund methods (CSS `rk-method`)
  calc.result                HTML with the breakdown (CSS `rk-calc-result`; total in `.rk-total`)
  calc.refund                the engine's Refund, or None while input is invalid
The arithmetic is `refundkit.engine.compute_refund`; this module only parses
input and lays out the answer.
"""
from __future__ import annotations

from decimal import Decimal

import ipywidgets as W

from ..cases import Amounts
from ..engine import Refund, compute_refund
from ..money import fmt
from ..typed_input import InputError, amount
from ..words import refund_parts
from .base import SopWidget, esc, input_message, msg, seed_ids
from .shared import make


def money_problem(text: str, sop=None) -> tuple[Decimal | None, str | None]:
    """(amount, None) or (None, ui key of the message) for one typed amount (blank = 0.00).

    Read by `refundkit.typed_input`, as everywhere in the kit: full-width digits, ¥, 元 and
    commas are fine; 1e9 is not a number here; an amount above the SOP's limit is refused.
    """
    try:
        return amount(text, maximum=amount_limit(sop), blank=Decimal("0.00")), None
    except InputError as exc:
        return None, exc.key


def amount_limit(sop) -> Decimal | None:
    """The SOP's largest believable amount (parameters.amount_limit), when it sets one."""
    limit = getattr(getattr(sop, "parameters", None), "amount_limit", None)
    return getattr(limit, "max_yuan", None)


class RefundCalculator(SopWidget):
    css = "rk-calculator"

    def __init__(self, sop=None, lang=None, goods="", shipping="", coupon="", discount="", method="balance"):
        super().__init__(sop, lang)
        start = {"goods": goods, "shipping": shipping, "coupon": coupon, "discount": discount}
        self.components = list(self.sop.parameters.amount.components)
        self.fields: dict[str, W.Text] = {}
        self.errors: dict[str, W.HTML] = {}
        rows = []
        for comp in self.components:
            f = make(W.Text, value=str(start.get(comp.id, "")), placeholder="0.00", classes=(f"rk-amount-{comp.id}",),
                     style={"description_width": "12em"}, layout={"width": "26em", "max_width": "100%"})
            e = make(W.HTML, classes=("rk-field-error",))
            f.observe(lambda _ch: self.update(), "value")
            self.fields[comp.id], self.errors[comp.id] = f, e
            rows.append(make(W.HBox, [f, e]))
        # Buttons, not a list: the SOP's method names are long, and a closed list cuts its entry on a phone.
        self.method = make(W.RadioButtons, value=None, style={"description_width": "12em"},
                           layout={"width": "max-content", "max_width": "100%"}, classes=("rk-method",))
        self._method_value = method
        self.method.observe(lambda _ch: self.update(), "value")
        self.result = make(W.HTML, classes=("rk-calc-result",))
        self.refund: Refund | None = None
        self.children = [*rows, self.method, self.result]
        self.render()

    def render(self) -> None:
        lang = self.lang
        for comp in self.components:
            self.fields[comp.id].description = comp(lang)
        current = self.method.value or self._method_value
        self.method.options = [(m(lang), m.id) for m in self.sop.parameters.methods]
        self.method.value = current
        self.method.description = self.t("method")
        self.update()

    def set_amounts(self, **amounts) -> None:
        """Type several amounts at once: calc.set_amounts(goods="259", coupon="30")."""
        for name, value in amounts.items():
            self.fields[name].value = str(value)

    def update(self) -> None:
        if self.method.value is None:
            return
        lang = self.lang
        values, problems = {}, {}
        for comp in self.components:
            values[comp.id], problems[comp.id] = money_problem(self.fields[comp.id].value, self.sop)
        if not problems.get("goods") and not problems.get("coupon") and values["coupon"] > values["goods"]:
            problems["coupon"] = "err_coupon_above_price"
        elif (not any(problems.get(k) for k in ("goods", "coupon", "discount"))
              and values["coupon"] + values["discount"] > values["goods"]):
            problems["discount"] = "err_deductions_above_price"
        for comp in self.components:
            key = problems.get(comp.id)
            self.errors[comp.id].value = msg(input_message(self.sop, key, lang), "error") if key else ""
        if any(problems.values()):
            self.refund = None
            self.result.value = ""
            return
        self.refund = compute_refund(Amounts(**values), self.method.value, self.sop)
        self.result.value = self.breakdown_html()

    def breakdown_html(self) -> str:
        lang, r = self.lang, self.refund
        rows = [
            f'<tr class="rk-line rk-line-{p.component}"><td>{p.sign}</td><td>{esc(p.label)}</td>'
            f'<td style="text-align:right">{p.amount}</td><td>{esc(p.treatment)}</td></tr>'
            for p in refund_parts(r, self.sop, lang)
        ]
        rows.append(f'<tr class="rk-total"><td>=</td><td><b>{esc(self.t("refund_amount"))}</b></td>'
                    f'<td style="text-align:right"><b>{fmt(r.total)}</b></td><td></td></tr>')
        if r.fee:
            rows.append(f'<tr class="rk-fee"><td></td><td>{esc(self.t("fee"))}</td><td style="text-align:right">{fmt(r.fee)}</td><td></td></tr>')
        amount = self.sop.parameters.amount
        m = self.sop.method_by_id[r.method]
        return (f'<table class="rk-breakdown">{"".join(rows)}</table>'
                f'<p class="rk-rule">{esc(amount.rule(lang))} {self.cite(*seed_ids(amount))}</p>'
                f'<p class="rk-method-note">{esc(self.t("method"))}: {esc(m(lang))}</p>')
