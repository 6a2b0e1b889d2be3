"""The answer key, computed from the SOP by the engine: never typed in by hand.

    answer_key(question, sop) -> Key

A Key holds the answer (a str for a choice, a Decimal for a number, a tuple of
ids for an ordering or a multi-select), the id of the SOP item that decides it
(`rule`), and the SOP ids a learner who misses it should revisit. Because the
key is a pure function of (question, SOP), a change to the SOP moves the key
with it; `key_changes(questions, old_sop, new_sop)` lists the questions whose
key moved, which is what `refundkit sop impact` reports for exercises.
`Key.plain()` is a JSON-able form for comparing, storing and reviewing.

A question says what it asks (`kind`, `ask`); the SOP items a key cites are
found in the SOP (the step whose choice is the amount, the caution on the
handling window, the article sections of the refusal ...), never named here.
An SOP without such an item gets an AnswerKeyError naming the question and
what it needs; `refundkit sop check` refuses that SOP with that line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from ..cases import parse_case
from ..engine import Decision, decide
from ..money import fmt, to_money
from ..sop import Sop, Step, seed_list
from ..words import reading_notes, rule_line, seeds, step_with_choice, window_cautions, window_rule
from .bank import BankError, Question


class AnswerKeyError(ValueError):
    """The key of a question cannot be computed under this SOP (a dangling id, a tie, no rule)."""


@dataclass(frozen=True)
class Key:
    question: str
    answer: Any                 # str | Decimal | tuple[str, ...]
    rule: str                   # the SOP item that decides the answer
    sop_ids: tuple[str, ...]    # what to revisit when it is missed
    sop_version: str

    def plain(self) -> Any:
        """The answer as JSON-able data: str, or a list of str."""
        return plain(self.answer)


def plain(answer: Any) -> Any:
    if isinstance(answer, Decimal):
        return str(answer)
    if isinstance(answer, (tuple, list)):
        return [str(a) for a in answer]
    return None if answer is None else str(answer)


def _step(question: Question, sop: Sop, choice: str) -> Step:
    step = step_with_choice(sop, choice)
    if step is None:
        raise AnswerKeyError(f"{question.id}: cites the step whose choice is the {choice}, "
                             f"and SOP {sop.version} has no step with `choice: {choice}`")
    return step


def _window_cautions(question: Question, sop: Sop) -> list[str]:
    ids = [c.id for c in window_cautions(sop)]
    if not ids:
        raise AnswerKeyError(f"{question.id}: cites the caution on the handling window (article sections "
                             f"{seeds(sop.parameters.handling_window)}), and SOP {sop.version} has none (removed?)")
    return ids


def decision_for(question: Question, sop: Sop) -> Decision:
    if question.case is None:
        raise AnswerKeyError(f"{question.id}: a {question.kind} question needs a case or a scenario")
    return decide(parse_case(question.case, sop), sop, question.now)


def _in_sop_order(ids: Iterable[str], order: list[str], choices: tuple[str, ...]) -> tuple[str, ...]:
    wanted = set(ids)
    pool = [i for i in order if i in wanted]
    return tuple(i for i in pool if not choices or i in choices)


def answer_key(question: Question, sop: Sop) -> Key:
    """The right answer to `question` under `sop`, and the SOP item that decides it."""
    key = _key(question, sop)
    if question.form == "choice" and isinstance(key.answer, tuple):
        # A multi-answer kind asked as "pick the one": exactly one choice may be right.
        if len(key.answer) != 1:
            raise AnswerKeyError(f"{question.id}: {len(key.answer)} of the choices are right under SOP {sop.version}; "
                            "a single-choice question needs exactly one")
        key = Key(key.question, key.answer[0], key.rule, key.sop_ids, key.sop_version)
    if question.form == "choice" and question.choices and key.answer not in question.choices:
        raise AnswerKeyError(f"{question.id}: the right answer {key.answer!r} is not among the choices under SOP {sop.version}")
    return key


def _key(question: Question, sop: Sop) -> Key:
    kind, ask, v = question.kind, question.ask, sop.version
    if kind == "action":
        d = decision_for(question, sop)
        return Key(question.id, d.action, d.rule, (d.rule, *seed_list(sop.rule_by_id[d.rule].seed), *d.blocked_by), v)
    if kind == "amount":
        d = decision_for(question, sop)
        if ask in (None, "refund"):
            amount = sop.parameters.amount
            step = _step(question, sop, "amount")
            return Key(question.id, d.refund.total, seeds(amount), (*seed_list(amount.seed), step.id), v)
        if ask == "fee":
            step, method = _step(question, sop, "method"), sop.method_by_id[d.refund.method]
            return Key(question.id, d.refund.fee, method.id, (*method.seeds, step.id, method.id), v)
        raise AnswerKeyError(f"{question.id}: ask: unknown {ask!r} for an amount question (refund, fee)")
    if kind == "deadline":
        d = decision_for(question, sop)
        cautions = _window_cautions(question, sop)
        notes = [n.id for n in reading_notes(sop, sop.parameters.handling_window.seed)]
        hours = Decimal(math.floor(d.deadline.hours_left))
        return Key(question.id, hours, cautions[0], (*cautions, *notes), v)
    if kind == "order":
        order = [s.id for s in sop.steps]
        missing = [c for c in question.choices if c not in order]
        if missing:
            raise AnswerKeyError(f"{question.id}: choices: {', '.join(missing)} not among the SOP's steps")
        answer = tuple(sorted(question.choices, key=order.index))
        return Key(question.id, answer, answer[0], answer, v)
    if kind == "cautions":
        d = decision_for(question, sop)
        order = [c.id for c in sop.cautions]
        if ask in (None, "apply"):
            ids = [c.id for c in d.cautions]
        elif ask == "blocking":
            ids = list(d.blocked_by)
        elif ask == "to_check":
            ids = list(d.to_check)
        else:
            raise AnswerKeyError(f"{question.id}: ask: unknown {ask!r} for a cautions question (apply, blocking, to_check)")
        answer = _in_sop_order(ids, order, question.choices)
        return Key(question.id, answer, d.held_action or d.action, answer or (d.held_action or d.action,), v)
    if kind == "after":
        d = decision_for(question, sop)
        answer = _in_sop_order(d.after_refund, [t.id for t in sop.after_refund.tasks], question.choices)
        return Key(question.id, answer, d.action, (*seed_list(sop.after_refund.seed), *answer), v)
    if kind == "refusal":
        group = {"must": sop.refusal.must, "never": sop.refusal.never}.get(ask or "must")
        if group is None:
            raise AnswerKeyError(f"{question.id}: ask: unknown {ask!r} for a refusal question (must, never)")
        order = [f.id for f in sop.refusal.must + sop.refusal.never]
        answer = _in_sop_order([f.id for f in group], order, question.choices)
        return Key(question.id, answer, seeds(sop.refusal), (*seed_list(sop.refusal.seed), *answer), v)
    if kind == "evidence":
        pi = sop.platform_intervention
        order = [e.id for e in pi.evidence + pi.not_evidence]
        answer = _in_sop_order([e.id for e in pi.evidence], order, question.choices)
        notes = [n.id for n in reading_notes(sop, pi.seed)]
        return Key(question.id, answer, seeds(pi), (*seed_list(pi.seed), *notes), v)
    if kind == "data":
        from .data import QUERIES, dataset

        if question.query not in QUERIES:
            raise AnswerKeyError(f"{question.id}: query: unknown {question.query!r} (expected one of {', '.join(QUERIES)})")
        fn, _form = QUERIES[question.query]
        try:
            answer = fn(dataset(question.params.get("dataset"), sop, question.now), sop, question.params)
        except ValueError as exc:
            raise AnswerKeyError(f"{question.id}: {exc}") from None
        ids = tuple(str(x) for x in question.params.values() if _is_sop_id(sop, str(x)))
        return Key(question.id, answer, seeds(sop.after_refund), (*seed_list(sop.after_refund.seed), *ids), v)
    raise BankError(f"{question.id}: kind: unknown {kind!r}")


def _is_sop_id(sop: Sop, x: str) -> bool:
    return x in sop.action_by_id or x in sop.task_by_id


def key_changes(questions: Iterable[Question], old: Sop, new: Sop) -> list[dict[str, Any]]:
    """Questions whose key differs between two SOPs: [{question, old, new, old_rule, new_rule}].

    A key that cannot be computed under one SOP (a removed id, say) shows as
    'error: ...' on that side, so it is reported, never skipped.
    """
    out = []
    for q in questions:
        sides = []
        for sop in (old, new):
            try:
                k = answer_key(q, sop)
                sides.append((k.plain(), k.rule))
            except Exception as exc:  # noqa: BLE001 - any failure is a change a reviewer must see
                sides.append((f"error: {exc}", None))
        if sides[0] != sides[1]:
            out.append({"question": q.id, "old": sides[0][0], "new": sides[1][0],
                        "old_rule": sides[0][1], "new_rule": sides[1][1]})
    return out


# -- words -------------------------------------------------------------------

def choice_label(question: Question, choice: str, sop: Sop, lang: str = "zh") -> str:
    """The learner-facing text of a choice, read from the SOP (or the sample data for products)."""
    if question.kind == "cautions":
        return f"{choice} {sop.caution_by_id[choice](lang)}"
    pools: list[dict[str, Any]] = [
        sop.action_by_id, sop.step_by_id, sop.task_by_id, sop.caution_by_id,
        {f.id: f for f in sop.refusal.must + sop.refusal.never},
        {e.id: e for e in sop.platform_intervention.evidence + sop.platform_intervention.not_evidence},
        {r.id: r for r in sop.reasons},
    ]
    for pool in pools:
        if choice in pool:
            return pool[choice](lang)
    if question.kind == "data":
        from .data import product_label

        return product_label(choice, lang)
    raise AnswerKeyError(f"{question.id}: choice {choice!r} is not an id of the SOP")


def answer_words(question: Question, answer: Any, sop: Sop, lang: str = "zh") -> str:
    """An answer (the key's or a learner's) in words."""
    if answer is None:
        return sop.t("not_answered", lang)
    if question.form == "number":
        if question.kind == "deadline":
            return f"{answer} {sop.t('hours', lang)}"
        if question.kind == "amount" or question.query == "refund_total":
            return fmt(to_money(answer))
        return str(answer)
    if question.form == "choice":
        return choice_label(question, str(answer), sop, lang)
    items = [choice_label(question, a, sop, lang) for a in answer]
    if question.form == "order":
        return " → ".join(items)
    return "; ".join(items) if items else "—"


def rule_text(question: Question, key: Key, sop: Sop, lang: str = "zh") -> str:
    """The SOP rule that decides the key, with its id: shown when an answer is wrong."""
    kind = question.kind
    if kind == "action":
        out = rule_line(key.rule, sop, lang)
        blocked = [i for i in key.sop_ids if i in sop.caution_by_id]
        for cid in blocked:
            out += f"; {cid} {sop.caution_by_id[cid].text(lang)}"
        return out
    if kind == "deadline":
        return window_rule(sop, lang)
    if kind == "amount":
        if question.ask == "fee":
            m = sop.method_by_id[key.rule]
            return f"{seeds(m)}: {m(lang)}"
        return f"{seeds(sop.parameters.amount)}: {sop.parameters.amount.rule(lang)}"
    if kind == "order":
        first, last = sop.steps[0], sop.steps[-1]  # the whole procedure: naming the key's ends would give it away
        return f"{first.id}–{last.id} ({seeds(first)}–{seeds(last)}): {sop.title(lang)}"
    if kind in ("cautions", "after"):
        act = sop.action_by_id[key.rule]
        return f"{sop.t('action', lang)}: {act(lang)}"
    if kind == "refusal":
        return f"{seeds(sop.refusal)}: {sop.refusal.when(lang)}"
    if kind == "evidence":
        return f"{seeds(sop.platform_intervention)}: {sop.platform_intervention.merchant_does(lang)}"
    if kind == "data":
        p = question.params
        if "task" in p and p["task"] in sop.task_by_id:
            task = sop.task_by_id[p["task"]]
            after = ", ".join(sop.action_by_id[a](lang) for a in task.after if a in sop.action_by_id)
            return f"{task.id} {task(lang)} ← {after}"
        if "action" in p and p["action"] in sop.action_by_id:
            act = sop.action_by_id[p["action"]]
            return f"{act(lang)}: {act.todo(lang)}"
        if question.query == "refund_total":
            return f"{seeds(sop.parameters.amount)}: {sop.parameters.amount.rule(lang)}"
        step = step_with_choice(sop, "reason") or sop.steps[0]
        return f"{step.id} {step(lang)}: {step.text(lang)}"
    return key.rule
