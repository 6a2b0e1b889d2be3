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
from ..engine import decide
from ..sop import LANGS, Sop, default_sop
from .bank import Bank, default_bank
from ..words import action_line, caution_line, deadline_line, refund_lines, seeds
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
        sop = self.sop
        if q.kind == "deadline":
            return [deadline_line(d.deadline, sop, lang)]
        if q.kind == "amount":
            lines = refund_lines(d.refund, sop, lang)
            return lines[:-1] + [f"{lines[-1]} ({seeds(sop.parameters.amount)})"]
        act = sop.action_by_id[d.action]
        head, *held = action_line(d, sop, lang)
        lines = [f"{head} — {act.todo(lang)}", *(h.strip() for h in held)]
        if q.kind in ("cautions", "action"):
            for c in d.cautions:
                lines.append(f"  {caution_line(c, sop, lang)}")
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
