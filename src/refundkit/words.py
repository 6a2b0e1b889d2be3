"""Words: decisions, refunds, deadlines and rules as zh/en text, for every face.

    from refundkit import words
    words.explain(decision, sop, "en")          # the whole decision, for the terminal
    words.refund_lines(decision.refund, sop)    # ['+ 商品金额 ¥89.00', ..., '= 合计 ¥89.00']
    words.deadline_line(decision.deadline, sop) # '处理期限: 2026-11-26 20:15 (时间充足; 剩余时间 ...) [C1]'
    words.rule_line("R07", sop, "en")           # 'R07 (P03): Order status = Not shipped'

The CLI, lessons, answer sheets, widgets, handout and triage report call these
instead of writing their own: one wording, read from the SOP (its texts and
its `ui` table), so a change of the SOP changes every face alike. The SOP items
a text cites (the caution on the handling window, the notes that read it) are
found in the SOP by their article sections, never named in code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .clock import Deadline, fmt_span
from .engine import Decision, Refund
from .money import fmt
from .sop import Caution, Note, Sop, Step, seed_list

SIGNS = {"include": "+", "deduct": "−", "ignore": "·"}
TIME = "%Y-%m-%d %H:%M"


# -- rules and where they come from ------------------------------------------

def seeds(item) -> str:
    """The article sections an SOP item comes from: 'P03, S06'."""
    return ", ".join(seed_list(item.seed))


def conditions(rule_id: str, sop: Sop, lang: str = "zh") -> str:
    """A rule's conditions in words: 'Order status = Shipped / Received'."""
    parts = []
    for name, want in sop.rule_by_id[rule_id].when.items():
        fact = sop.facts[name]
        values = want if isinstance(want, list) else [want]
        parts.append(f"{fact(lang)} = {' / '.join(fact.label(v, lang) for v in values)}")
    return "; ".join(parts)


def rule_line(rule_id: str, sop: Sop, lang: str = "zh") -> str:
    """'R07 (P03): 订单状态 = 未发货': the rule, its sections, its conditions."""
    return f"{rule_id} ({seeds(sop.rule_by_id[rule_id])}): {conditions(rule_id, sop, lang)}"


def step_with_choice(sop: Sop, choice: str) -> Step | None:
    """The step at which the staff member makes `choice` (amount, method, reason ...)."""
    return next((s for s in sop.steps if s.choice == choice), None)


def window_cautions(sop: Sop) -> list[Caution]:
    """The cautions about the handling window: those from the article sections the window comes from."""
    window = set(seed_list(sop.parameters.handling_window.seed))
    return [c for c in sop.cautions if c.guard is None and window & set(c.seeds)]


def reading_notes(sop: Sop, seed) -> list[Note]:
    """How this SOP reads the article sections `seed` (notes of kind 'reading')."""
    return [n for n in sop.notes_for(*seed_list(seed)) if n.kind == "reading"]


def window_ref(sop: Sop) -> str:
    """What a deadline cites: the window's caution ids, else its article sections."""
    return ", ".join(c.id for c in window_cautions(sop)) or seeds(sop.parameters.handling_window)


# -- the refund ----------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One line of a refund, as shown: sign, component, amount entered, what the SOP does with it."""
    component: str
    sign: str
    label: str
    amount: str
    treatment: str


def refund_parts(refund: Refund, sop: Sop, lang: str = "zh") -> list[Part]:
    comps = {c.id: c for c in sop.parameters.amount.components}
    return [Part(ln.component, SIGNS[ln.treatment], comps[ln.component](lang), fmt(ln.amount),
                 sop.t("treatment_" + ln.treatment, lang)) for ln in refund.lines]


def refund_lines(refund: Refund, sop: Sop, lang: str = "zh") -> list[str]:
    """'+ 商品金额 ¥89.00' per component, then '= 合计 ¥89.00'."""
    lines = [f"{p.sign} {p.label} {p.amount}" for p in refund_parts(refund, sop, lang)]
    return lines + [f"= {sop.t('total', lang)} {fmt(refund.total)}"]


def method_lines(refund: Refund, sop: Sop, lang: str = "zh") -> list[str]:
    """The refund method and what it requires (S08: the original channel's fee is paid first)."""
    m = sop.method_by_id[refund.method]
    out = [f"{sop.t('method', lang)}: {m(lang)} [{seeds(m)}]"]
    if m.fee_paid_first or refund.fee:
        first = f" ({sop.t('fee_first', lang)})" if m.fee_paid_first else ""
        out.append(f"  {sop.t('fee', lang)}: {fmt(refund.fee)}{first}")
    return out


# -- a case --------------------------------------------------------------------

def case_details(case, sop: Sop, lang: str = "zh", now=None) -> list[tuple[str, str]]:
    """What a case gives besides its facts, as (label, value) rows for a learner: the amounts paid
    (the goods always, the others when not zero), the refund method asked for, the shop's balance,
    the reason, when it was asked for and the training's "now". Every label from the SOP."""
    t = lambda k: sop.t(k, lang)  # noqa: E731
    comps = {c.id: c for c in sop.parameters.amount.components}
    amounts = ", ".join(f"{comps[c](lang)} {fmt(getattr(case.amounts, c))}" for c in comps
                        if getattr(case.amounts, c) or c == "goods")
    rows = [(t("goods_amounts"), amounts),
            (t("refund_method"), sop.method_by_id[case.refund_method](lang)),
            (t("merchant_balance"), t("unknown") if case.merchant_balance is None else fmt(case.merchant_balance))]
    if case.reason:
        rows.append((t("reason"), sop.reason_by_id[case.reason](lang)))
    rows.append((t("requested_at"), f"{case.requested_at:{TIME}}"))
    if now is not None:
        rows.append((t("training_now"), f"{now:{TIME}}"))
    return rows


# -- the deadline --------------------------------------------------------------

def time_left(left: timedelta, sop: Sop, lang: str = "zh") -> str:
    """A span in the SOP's words (ui.duration): '2天3小时5分'; negative when overdue."""
    return fmt_span(left, sop.t("duration", lang))


def deadline_line(dl: Deadline, sop: Sop, lang: str = "zh") -> str:
    t = lambda key: sop.t(key, lang)  # noqa: E731
    return (f"{t('deadline')}: {dl.due:{TIME}} ({t(dl.urgency)}; {t('time_left')} {time_left(dl.left, sop, lang)})"
            f" [{window_ref(sop)}]")


def window_rule(sop: Sop, lang: str = "zh") -> str:
    """The window's caution and reading notes, with ids: why a deadline is where it is."""
    items = [f"{c.id}: {c.text(lang)}" for c in window_cautions(sop)]
    items += [f"{n.id}: {n(lang)}" for n in reading_notes(sop, sop.parameters.handling_window.seed)]
    return " ".join(items) or sop.parameters.handling_window.at_deadline(lang)


# -- the whole decision --------------------------------------------------------

def action_line(decision: Decision, sop: Sop, lang: str = "zh") -> list[str]:
    """The action (and the held one, with the cautions holding it)."""
    act = sop.action_by_id[decision.action]
    out = [f"{sop.t('action', lang)}: {act(lang)} [{act.id}]"]
    if decision.held_action:
        held = sop.action_by_id[decision.held_action]
        out.append(f"  {sop.t('held', lang)}: {held(lang)} [{held.id}] ← {', '.join(decision.blocked_by)}")
    return out


def caution_line(check, sop: Sop, lang: str = "zh") -> str:
    return f"{sop.t('status_' + check.status, lang)} {check.id} {sop.caution_by_id[check.id](lang)}"


def explain(decision: Decision, sop: Sop, lang: str = "zh") -> str:
    """The decision in words, citing SOP ids, for a learner or the terminal."""
    t = lambda key: sop.t(key, lang)  # noqa: E731
    act = sop.action_by_id[decision.action]
    out = action_line(decision, sop, lang) + [f"  {act.todo(lang)}"]
    out.append(f"{t('why')}: {rule_line(decision.rule, sop, lang)}")
    amount = sop.parameters.amount
    out.append(f"{t('refund_amount')}: {fmt(decision.refund.total)} ({seeds(amount)})")
    out += [f"  {line}" for line in refund_lines(decision.refund, sop, lang)]
    out += method_lines(decision.refund, sop, lang)
    dl = decision.deadline
    out.append(deadline_line(dl, sop, lang))
    if dl.overdue:
        out.append(f"  {sop.parameters.handling_window.at_deadline(lang)}")
    elif dl.urgency == "due_soon":
        out.append(f"  {sop.parameters.handling_window.late(lang)}")
    out.append(f"{t('cautions')}:")
    out += [f"  {caution_line(c, sop, lang)}" for c in decision.cautions]
    if decision.next_steps:
        out.append(f"{t('next_steps')}: " + " → ".join(f"{s} {sop.step_by_id[s](lang)}" for s in decision.next_steps))
    if decision.after_refund:
        out.append(f"{t('after_refund')}: " + "; ".join(f"{a} {sop.task_by_id[a](lang)}" for a in decision.after_refund))
    return "\n".join(out)
