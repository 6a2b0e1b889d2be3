"""Interactive lesson widgets: thin faces over `refundkit.engine` and the SOP file.

    from refundkit.widgets import (language_switch, ProcedureWizard, RefundCalculator,
                                   DeadlineClock, DecisionExplorer, CautionChecklist)

Every text comes from the SOP (`sop.t(key, lang)`, step, caution, action and
fact labels); every answer from the engine. All widgets share one language
switch (`language_switch()`, Chinese first) unless given their own `lang=`.

Stable hooks for browser tests (CSS classes; buttons' `description` is the SOP
ui word in the current language):
  rk-widget            every widget's outer box; plus rk-wizard / rk-calculator / rk-clock /
                       rk-explorer / rk-checklist
  rk-lang              the language ToggleButtons (options 中文 / English)
  rk-amount-<id>       calculator inputs (goods, shipping, coupon, discount); rk-method the method dropdown
  rk-field-error       message beside an input; the text sits in .rk-msg.rk-msg-error
  rk-calc-result       breakdown table .rk-breakdown, total row .rk-total
  rk-requested, rk-now clock inputs; rk-clock-result with .rk-due, .rk-left, .rk-band-<urgency>
  rk-fact-<fact>       explorer dropdowns; rk-explorer-result .rk-action[data-action]; rk-flowchart svg.rk-flow
  rk-caution-<id>      checklist checkboxes; rk-checklist-status
  rk-wizard-choice, rk-wizard-amount, rk-check, rk-next, rk-refund, rk-hold, rk-feedback, rk-step, rk-summary
  rk-show-solution     a lesson's solution button; the solution appears in .rk-solution when clicked
  rk-builder           case builder: rk-fact-<fact>, rk-reason, rk-requested, rk-balance, rk-start, then a wizard
Each module's docstring lists its Python API. Widgets share their Layouts and styles
(`refundkit.widgets.shared`: far fewer models for a page); change a widget's layout only
through `shared.own_layout(widget)`.
"""
from .base import LanguageSwitch, SopWidget, language_switch
from .builder import CaseBuilder
from .calculator import RefundCalculator
from .checklist import CautionChecklist
from .deadline import DeadlineClock
from .explorer import DecisionExplorer
from ..flowchart import flowchart_svg
from .solution import Solution, solution
from .wizard import ProcedureWizard

__all__ = ["CaseBuilder", "LanguageSwitch", "SopWidget", "language_switch", "RefundCalculator", "CautionChecklist",
           "DeadlineClock", "DecisionExplorer", "flowchart_svg", "ProcedureWizard", "Solution", "solution"]
