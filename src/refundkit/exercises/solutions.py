"""The trainer's answer sheets: every answer, the SOP rule behind it, and an explanation.

    sol = Solutions("ex01")
    sol.notes()        # timing, objectives, question count (trainer notes)
    sol.show("q01")    # prompt, answer and rule in both languages, the engine's explanation
    sol.key_points()

Everything printed is computed from the SOP and the question file at run time,
so the stored outputs of the trainer notebooks fail nbval when a key moves.
"""
from __future__ import annotations

from ..cases import parse_case
from ..clock import fmt_span
from ..engine import decide
from ..money import fmt
from ..sop import LANGS, Sop, default_sop
from .bank import Bank, default_bank
from .key import answer_key, answer_words, choice_label, rule_text


class Solutions:
    def __init__(self, exercise_id: str, sop: Sop | None = None, bank: Bank | None = None):
        self.sop = sop or default_sop()
        self.bank = bank or default_bank()
        self.info = self.bank.exercise(exercise_id)
        self.questions = self.bank.questions_of(exercise_id)

    def _both(self, key: str) -> str:
        return " / ".join(self.sop.t(key, lang) for lang in LANGS)

    def notes(self) -> None:
        ex = self.info
        print(f"{ex.title.zh}\n{ex.title.en}")
        print(f"{self._both('suggested_time')}: {ex.minutes} {self.sop.t('minutes', 'zh')} / {ex.minutes} {self.sop.t('minutes', 'en')}")
        print(f"{self._both('question')}: {len(self.questions)}")
        print(f"{self._both('objectives')}:")
        for o in ex.objectives:
            print(f"  • {o.zh}\n    {o.en}")

    def show(self, qid: str, explain_case: bool = True) -> None:
        q = self.bank.question(qid if "." in qid else f"{self.info.id}.{qid}")
        sop = self.sop
        key = answer_key(q, sop)
        print(f"[{q.id}] {q.prompt.zh}\n        {q.prompt.en}")
        if q.choices and q.form != "order":
            for c in q.choices:
                right = c == key.answer if q.form == "choice" else c in key.answer
                print(f"  {'✔' if right else '✘'} {choice_label(q, c, sop, 'zh')} / {choice_label(q, c, sop, 'en')}")
        print(f"{self._both('answer_key')}: {answer_words(q, key.answer, sop, 'zh')}")
        print(f"    {answer_words(q, key.answer, sop, 'en')}")
        print(f"{self._both('why')}: {rule_text(q, key, sop, 'zh')}")
        print(f"    {rule_text(q, key, sop, 'en')}")
        print(f"{self._both('revisit')}: {', '.join(key.sop_ids)}")
        if explain_case and q.case is not None:
            d = decide(parse_case(q.case, sop), sop, q.now)
            print(f"{self._both('explanation')}:")
            for lang in LANGS:
                for line in self._explain(q, d, lang):
                    print(f"    {line}")

    def _explain(self, q, d, lang: str) -> list[str]:
        """Only what the question is about, so a change elsewhere in the SOP (the window, say)
        does not move this output: an action question prints no deadline, a deadline question no amount."""
        sop, t = self.sop, lambda k: self.sop.t(k, lang)
        if q.kind == "amount" and q.ask == "hours_left":
            dl = d.deadline
            return [f"{t('deadline')}: {dl.due:%Y-%m-%d %H:%M} ({t(dl.urgency)}; {t('time_left')} {fmt_span(dl.left, t('duration'))}) [C1]"]
        if q.kind == "amount":
            comps = {c.id: c for c in sop.parameters.amount.components}
            sign = {"include": "+", "deduct": "−", "ignore": "·"}
            lines = [f"{sign[ln.treatment]} {comps[ln.component](lang)} {fmt(ln.amount)}" for ln in d.refund.lines]
            return lines + [f"= {t('total')} {fmt(d.refund.total)} (S07)"]
        act = sop.action_by_id[d.action]
        lines = [f"{t('action')}: {act(lang)} [{act.id}] — {act.todo(lang)}"]
        if d.held_action:
            held = sop.action_by_id[d.held_action]
            lines.append(f"{t('held')}: {held(lang)} [{held.id}] ← {', '.join(d.blocked_by)}")
        if q.kind in ("cautions", "action"):
            for c in d.cautions:
                lines.append(f"  {t('status_' + c.status)} {c.id} {sop.caution_by_id[c.id](lang)}")
        if q.kind == "after":
            for a in d.after_refund:
                lines.append(f"  {a} {sop.task_by_id[a](lang)}")
        return lines

    def export_tickets(self):
        """The shop's sample after-sales export, every ticket; open ones carry the SOP's decision."""
        from .data import export_tickets

        return export_tickets(self.sop, self.bank.training_clock).copy()

    def records(self):
        """The sample records with the SOP's decision per row, as the learners see them."""
        from .data import records_for

        return records_for(self.sop, self.bank.training_clock).copy()

    def key_points(self) -> None:
        print(f"{self._both('key_points')}:")
        for p in self.info.key_points:
            print(f"  • {p.zh}\n    {p.en}")
