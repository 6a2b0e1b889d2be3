"""One learner working through one exercise: check, record, score.

    s = Session("ex01", learner="王芳")
    fb = s.check("ex01.q01", "cancel_and_refund")   # Feedback; recorded in the progress store
    print(s.report("zh"))                            # score, questions not answered, SOP items to revisit (with titles)

The widgets are a face over this; the concurrency test drives it directly.
The learner is the login name when the kit runs behind JupyterHub
(`$REFUNDKIT_LEARNER`, set by the hub's spawner), else the name typed.
A check the record cannot take (a broken file, the database away) still gets
its feedback; the attempt waits in `unsaved`, is written with the next check
that can be, and `save_error` says why for the widget to show.
The score counts questions right at the first try; a question missed first and
put right later is done, but its SOP ids stay on the list to revisit.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from ..citations import cites
from ..clock import system_now
from ..names import NameProblem, learner_name, normalise_name
from ..progress import Attempt, ProgressError, ProgressStore
from ..sop import Sop, default_sop
from .bank import Bank, Question, default_bank
from .check import Feedback, check
from .key import Key, answer_key


class NameNeeded(ValueError):
    """A check without a learner's name: nothing is recorded."""


@dataclass
class QuestionState:
    tries: int = 0
    first_right: bool | None = None
    solved: bool = False
    revisit: tuple[str, ...] = ()


@dataclass
class Session:
    exercise: str
    learner: str = field(default_factory=lambda: os.environ.get("REFUNDKIT_LEARNER", ""))
    sop: Sop = field(default_factory=default_sop)
    bank: Bank = field(default_factory=default_bank)
    store: ProgressStore | None = None          # None: the default database, opened on the first check
    clock: Callable[[], datetime] | None = None  # when a check happened (the real time by default)
    record: bool = True

    def __post_init__(self) -> None:
        self.questions: list[Question] = self.bank.questions_of(self.exercise)
        self.state: dict[str, QuestionState] = {q.id: QuestionState() for q in self.questions}
        self._keys: dict[str, Key] = {}
        self.unsaved: list[Attempt] = []     # checked, not yet in the record (kept for the next try)
        self.save_error: str | None = None   # why the last check could not be recorded, in one line

    def key(self, question_id: str) -> Key:
        if question_id not in self._keys:
            self._keys[question_id] = answer_key(self.bank.question(question_id), self.sop)
        return self._keys[question_id]

    def check(self, question_id: str, answer: Any, lang: str = "zh") -> Feedback:
        """Check and record one answer. Raises AnswerError (nothing recorded) for an unreadable answer."""
        try:
            learner = learner_name(self.login or self.learner)
        except NameProblem as exc:  # nothing recorded; the widget shows the SOP's word for exc.ui_key
            if exc.ui_key == "name_needed":
                raise NameNeeded("learner") from None
            raise
        q = self.bank.question(question_id)
        fb = check(q, answer, self.sop, lang, key=self.key(question_id))
        if self.record:
            store = self.store or ProgressStore()
            self.store = store
            at = self.clock() if self.clock else system_now(self.sop.tz)
            self._save(store, Attempt(learner, self.exercise, q.id, fb.answer, fb.correct,
                                      self.sop.version, at, fb.key.plain()))
        st = self.state[q.id]
        st.tries += 1
        if st.first_right is None:
            st.first_right = fb.correct
        if fb.correct:
            st.solved = True
        else:
            st.revisit = tuple(dict.fromkeys(st.revisit + fb.revisit))
        return fb

    @property
    def login(self) -> str:
        """The login name behind JupyterHub ($REFUNDKIT_LEARNER): it wins over any typed name."""
        return os.environ.get("REFUNDKIT_LEARNER", "").strip()

    def _save(self, store: ProgressStore, attempt: Attempt) -> None:
        """Record this check and any kept from before, in one transaction; on failure keep them all."""
        batch = self.unsaved + [attempt]
        try:
            if len(batch) == 1:
                store.record(attempt)
            else:
                store.record_many(batch)
        except ProgressError as exc:
            self.unsaved, self.save_error = batch, str(exc)
            store.note_problem(attempt.learner, str(exc), attempt.at)
            return
        self.unsaved, self.save_error = [], None

    def resume(self) -> dict[str, Any]:
        """Take up the learner's earlier checks of this exercise from the record.

        The state (tries, right at first try, solved, what to revisit) is rebuilt from
        them; returns the last answer given to each question, to show it again.
        """
        name = normalise_name(self.login or self.learner)
        self.state = {q.id: QuestionState() for q in self.questions}
        last: dict[str, Any] = {}
        if not name:
            return last
        store = self.store or ProgressStore()
        self.store = store
        for r in store.rows():
            if r["learner"] != name or r["exercise"] != self.exercise or r["question"] not in self.state:
                continue
            st = self.state[r["question"]]
            st.tries += 1
            if st.first_right is None:
                st.first_right = r["correct"]
            if r["correct"]:
                st.solved = True
            else:
                try:
                    fb = check(self.bank.question(r["question"]), r["answer"], self.sop, key=self.key(r["question"]))
                    st.revisit = tuple(dict.fromkeys(st.revisit + fb.revisit))
                except Exception:  # noqa: BLE001 - an answer this SOP cannot read still counts as a try
                    pass
            last[r["question"]] = r["answer"]
        return last

    # -- the end of the notebook -------------------------------------------
    def score(self) -> tuple[int, int]:
        return sum(1 for s in self.state.values() if s.first_right), len(self.questions)

    def unanswered(self) -> list[str]:
        return [qid for qid, s in self.state.items() if s.tries == 0]

    def revisit(self) -> list[str]:
        ids: dict[str, None] = {}
        for s in self.state.values():
            for i in s.revisit:
                ids[i] = None
        return list(ids)

    def report(self, lang: str = "zh") -> str:
        t = lambda k: self.sop.t(k, lang)  # noqa: E731
        right, total = self.score()
        answered = total - len(self.unanswered())
        lines = [f"{t('score')}: {right}/{total}", f"{t('answered')}: {answered}/{total}"]
        if self.unanswered():
            numbers = {q.id: n for n, q in enumerate(self.questions, 1)}  # as the notebook numbers them
            lines.append(f"{t('not_answered')}: {t('question')} {', '.join(str(numbers[q]) for q in self.unanswered())}")
        if answered:  # before any answer, "nothing to revisit" would be a verdict nobody earned
            lines.append(f"{t('revisit')}: {cites(self.sop, self.revisit(), lang) or t('nothing_to_revisit')}")
        return "\n".join(lines)
