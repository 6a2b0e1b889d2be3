"""Checking one answer: right, or wrong with the SOP rule that decides it and a hint.

    check(question, answer, sop, lang) -> Feedback

Pure: the widgets call it and record the result; tests call it directly.
An answer that cannot be read (no choice, not a number) raises AnswerError
carrying an interface-word key, so the widget can ask again without counting
a wrong try.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..typed_input import InputError, amount
from ..typed_input import plain as typed_text
from ..sop import Sop
from .bank import Question
from .key import Key, answer_key, answer_words, choice_label, plain, rule_text


class AnswerError(ValueError):
    """An answer that cannot be checked yet; `ui_key` names the SOP interface word to show."""

    def __init__(self, ui_key: str):
        self.ui_key = ui_key
        super().__init__(ui_key)


@dataclass(frozen=True)
class Feedback:
    question: str
    correct: bool
    answer: Any          # the learner's answer, plain (str or list of str)
    key: Key
    rule: str            # the deciding SOP rule in words, with its id
    hint: str
    message: str         # what the learner reads
    revisit: tuple[str, ...]


def normalize(question: Question, raw: Any) -> Any:
    """The learner's raw widget value as a comparable answer, or AnswerError."""
    form = question.form
    if form == "number":
        text = typed_text(raw)  # full-width "２１５．１０" reads as 215.10 (refundkit.typed_input)
        if not text:
            raise AnswerError("choose_first")
        # A minus sign is an answer, not a typo: hours left are negative once overdue.
        negative = text.startswith("-")
        try:
            value = amount(text.removeprefix("-"))
        except InputError:
            raise AnswerError("invalid_number") from None
        return -value if negative else value
    if form == "choice":
        if raw in (None, ""):
            raise AnswerError("choose_first")
        return str(raw)
    if form == "order":
        return tuple(str(x) for x in raw)
    if form == "multi":
        picked = set(str(x) for x in (raw or ()))
        # Compare as sets, keep the question's order for display and records.
        return tuple(c for c in question.choices if c in picked) + tuple(sorted(picked - set(question.choices)))
    raise ValueError(f"unknown form {form!r}")


def _same(question: Question, answer: Any, key: Key) -> bool:
    if question.form == "number":
        return Decimal(answer) == Decimal(key.answer)
    if question.form == "multi":
        return set(answer) == set(key.answer)
    if question.form == "order":
        return tuple(answer) == tuple(key.answer)
    return str(answer) == str(key.answer)


def _detail(question: Question, answer: Any, key: Key, sop: Sop, lang: str) -> tuple[str, tuple[str, ...]]:
    """What exactly is off, and which SOP ids that points at."""
    t = lambda k: sop.t(k, lang)  # noqa: E731
    label = lambda c: choice_label(question, c, sop, lang)  # noqa: E731
    if question.form == "order":
        pos = next(i for i, (a, b) in enumerate(zip(answer, key.answer)) if a != b)
        return t("position_wrong").format(n=pos + 1, item=label(answer[pos])), (key.answer[pos],)
    if question.form == "multi":
        # In words, naming the first item that is off (not the whole key): "你漏选了 C3 保证账户余额充足".
        missed = [k for k in key.answer if k not in answer]
        extra = [a for a in answer if a not in key.answer]
        parts = []
        for items, word in ((missed, "missing_item"), (extra, "extra_item")):
            if items:
                more = t("more_items").format(n=len(items) - 1) if len(items) > 1 else ""
                parts.append(t(word).format(item=label(items[0])) + more)
        if question.kind == "cautions":  # the caution's text: the rule that decides it
            c = sop.caution_by_id[(missed + extra)[0]]
            parts.append(c.text(lang))
        return "\n".join(parts), tuple(missed + extra)
    return "", ()


def check(question: Question, answer: Any, sop: Sop, lang: str = "zh", key: Key | None = None) -> Feedback:
    """Compare an answer with the key the engine computes from `sop`."""
    key = key or answer_key(question, sop)
    value = normalize(question, answer)
    right = _same(question, value, key)
    hint = question.hint(lang)
    rule = rule_text(question, key, sop, lang)
    if right:
        message = f"{sop.t('correct', lang)} {answer_words(question, key.answer, sop, lang)}"
        revisit: tuple[str, ...] = ()
    else:
        detail, ids = _detail(question, value, key, sop, lang)
        lines = [sop.t("wrong", lang)]
        if detail:
            lines.append(detail)
        lines.append(f"{sop.t('why', lang)}: {rule}")
        lines.append(f"{sop.t('hint', lang)}: {hint}")
        message = "\n".join(lines)
        revisit = tuple(dict.fromkeys(key.sop_ids + ids))
    return Feedback(question.id, right, plain(value), key, rule, hint, message, revisit)
