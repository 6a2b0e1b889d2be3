"""Exercise widgets: each question of the bank as a control a learner answers with the mouse.

    from refundkit.exercises import Exercise
    ex = Exercise("ex01")      # one per notebook
    ex.start()                 # title, objectives, language switch, name box
    ex.question("q01")         # one question widget per cell
    ex.report()                # prints the score and what to revisit (unanswered questions say so)
    ex.score_panel()           # the same, live, with a "show my score" button

Every word comes from the SOP (`ui:` and the ids' own texts) or the question
file; every key from `refundkit.exercises.key`. A check is recorded in the
progress store (`refundkit.progress`) under the learner's name.

Python API (tests and browser tests drive these):
  ex.name                    Text, the learner's name (CSS `rk-name`), entered once per notebook
  ex.lang_switch             the shared 中文 / English switch (CSS `rk-lang`)
  ex.widgets[qid]            QuestionWidget per question id ("ex01.q01")
  ex.session                 the Session: .state, .score(), .report(lang)
  qw.control                 the answer control (CSS `rk-answer`, plus `rk-form-<choice|number|order|multi>`):
                               choice: RadioButtons (value = choice id)
                               number: Text (value = "12.50")
                               order:  Select (options in the current order; value = selected id) with
                                       buttons qw.up / qw.down (CSS `rk-move-up` / `rk-move-down`)
                               multi:  qw.boxes[id] Checkbox per choice (CSS `rk-option`, `rk-option-<id>`)
  qw.set_answer(value)       set the control: an id, a number, a list of ids (order or ticks)
  qw.answer                  the control's current answer
  qw.check_button            description = ui.check (CSS `rk-check`); qw.check() clicks it
  qw.feedback                HTML (CSS `rk-feedback`, plus `rk-right` / `rk-wrong` / `rk-warn` after a check);
                             right: `.rk-msg-ok`; wrong: `.rk-msg-error` lines with the rule id and the hint
  qw.last                    the last Feedback (or None)
  ex.score_html              HTML (CSS `rk-score`), updated after every check; button CSS `rk-show-score`
Each question's outer box has CSS `rk-question` and `rk-q-<exercise>-<question>` (e.g. `rk-q-ex01-q01`).
"""
from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as W

from ..cases import CASE_FACTS, parse_case
from ..names import NameProblem
from ..progress import ProgressStore
from ..sop import Sop, default_sop
from ..words import case_details
from ..widgets.base import LanguageSwitch, SopWidget, language_switch, msg
from ..widgets.shared import make
from .bank import Bank, Question, default_bank
from .check import AnswerError, Feedback, check
from .session import NameNeeded, Session
from .key import choice_label


def _css(qid: str) -> str:
    return "rk-q-" + qid.replace(".", "-")


def facts_html(question: Question, sop: Sop, lang: str) -> str:
    """The case's facts as a small table, every label from the SOP."""
    if question.case is None:
        return ""
    t = lambda k: sop.t(k, lang)  # noqa: E731
    case = parse_case(question.case, sop)
    rows = []
    for name in CASE_FACTS:
        value = getattr(case, name)
        fact = sop.facts[name]
        rows.append((fact(lang), t("unknown") if value is None else fact.label(value, lang)))
    rows += case_details(case, sop, lang, question.now)
    body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{escape(k)}</th><td>{escape(v)}</td></tr>"
                   for k, v in rows)
    return f"<details class='rk-facts' open><summary>{escape(t('case_facts'))}</summary><table>{body}</table></details>"


class QuestionWidget(SopWidget):
    css = "rk-question"

    def __init__(self, session: Session, question: Question, lang: LanguageSwitch | None = None,
                 on_check=None, number: int | None = None):
        super().__init__(session.sop, lang, classes=(_css(question.id),))
        self.session, self.q, self.on_check, self.number = session, question, on_check, number
        self.last: Feedback | None = None
        self._last_raw: Any = None
        self._warn: str | None = None
        self.header = make(W.HTML, classes=("rk-prompt",))  # the question, its case and how to answer
        self.up = self.down = None
        self.boxes: dict[str, W.Checkbox] = {}
        form = question.form
        answer = ("rk-answer", f"rk-form-{form}")
        if form == "choice":
            self.control = make(W.RadioButtons, options=[], value=None, layout={"width": "max-content", "max_width": "100%"},
                                classes=answer)
            parts = [self.control]
        elif form == "number":
            self.control = make(W.Text, placeholder="0.00", layout={"width": "12em", "max_width": "100%"}, classes=answer)
            self.unit = make(W.HTML)
            parts = [make(W.HBox, [self.control, self.unit])]
        elif form == "order":
            self.control = make(W.Select, options=[], rows=len(question.choices),
                                layout={"width": "max-content", "max_width": "100%"}, classes=answer)
            self._order = list(question.choices)
            self.up = make(W.Button, icon="arrow-up", classes=("rk-move-up",))
            self.down = make(W.Button, icon="arrow-down", classes=("rk-move-down",))
            self.up.on_click(lambda _b: self._move(-1))
            self.down.on_click(lambda _b: self._move(+1))
            parts = [make(W.HBox, [self.control, make(W.VBox, [self.up, self.down])])]
        else:
            self.boxes = {c: make(W.Checkbox, value=False, indent=False, layout={"width": "max-content", "max_width": "100%"},
                                  classes=("rk-option", f"rk-option-{c}"))
                          for c in question.choices}
            self.control = make(W.VBox, list(self.boxes.values()), classes=answer)
            parts = [self.control]
        self.check_button = make(W.Button, button_style="primary", classes=("rk-check",))
        self.check_button.on_click(lambda _b: self._check())
        self.feedback = make(W.HTML, classes=("rk-feedback",))
        self.children = [self.header, *parts, self.check_button, self.feedback]
        self.render()

    # -- answering -------------------------------------------------------------
    @property
    def answer(self) -> Any:
        form = self.q.form
        if form == "order":
            return list(self._order)
        if form == "multi":
            return [c for c, b in self.boxes.items() if b.value]
        return self.control.value

    def set_answer(self, value: Any) -> None:
        form = self.q.form
        if form == "order":
            if sorted(value) != sorted(self.q.choices):
                raise ValueError(f"an ordering must use exactly the items {list(self.q.choices)}")
            self._order = list(value)
            self._draw_order()
        elif form == "multi":
            for c, b in self.boxes.items():
                b.value = c in value
        elif form == "number":
            self.control.value = str(value)
        else:
            self.control.value = value

    def check(self) -> Feedback | None:
        self.check_button.click()
        return self.last

    def clear(self) -> None:
        """Back to unanswered, with no feedback: the control as a new learner finds it."""
        form = self.q.form
        if form == "order":
            self._order = list(self.q.choices)
            self._draw_order()
        elif form == "multi":
            for b in self.boxes.values():
                b.value = False
        else:
            self.control.value = "" if form == "number" else None
        self.last, self._last_raw, self._warn = None, None, None
        self._draw_feedback()

    def restore(self, answer: Any) -> None:
        """Show an answer given earlier (from the record) with its feedback; nothing is recorded."""
        try:
            self.set_answer(answer)
            self.last = check(self.q, answer, self.sop, self.lang, key=self.session.key(self.q.id))
        except (ValueError, AnswerError):
            return  # an answer the question no longer takes (the SOP moved): leave the control as it is
        self._last_raw, self._warn = answer, None
        self._draw_feedback()

    def _move(self, step: int) -> None:
        sel = self.control.value
        if sel is None:
            return
        i = self._order.index(sel)
        j = i + step
        if 0 <= j < len(self._order):
            self._order[i], self._order[j] = self._order[j], self._order[i]
            self._draw_order()

    def _draw_order(self) -> None:
        sel = self.control.value
        self.control.options = [(f"{n}. {choice_label(self.q, c, self.sop, self.lang)}", c)
                                for n, c in enumerate(self._order, 1)]
        self.control.value = sel

    def _check(self) -> None:
        raw = self.answer
        self._warn = None
        try:
            self.last = self.session.check(self.q.id, raw, self.lang)
            self._last_raw = raw
        except NameNeeded:
            self._warn = "name_needed"
        except NameProblem as exc:
            self._warn = exc.ui_key
        except AnswerError as exc:
            self._warn = exc.ui_key
        self._draw_feedback()
        if self.on_check:
            self.on_check(self)

    # -- drawing ----------------------------------------------------------------
    def _draw_feedback(self) -> None:
        for c in ("rk-right", "rk-wrong", "rk-warn"):
            self.feedback.remove_class(c)
        if self._warn:
            self.feedback.add_class("rk-warn")
            self.feedback.value = msg(self.t(self._warn), "warn")
            return
        if self.last is None:
            self.feedback.value = ""
            return
        # Words in the current language; pure re-check, not recorded again.
        fb = check(self.q, self._last_raw, self.sop, self.lang, key=self.last.key)
        self.feedback.add_class("rk-right" if fb.correct else "rk-wrong")
        self.feedback.value = "<br>".join(msg(line, "ok" if fb.correct else "error") for line in fb.message.split("\n"))
        if self.session.save_error:  # checked, but not in the record: say so (the trainer's page shows why)
            self.feedback.value += "<br>" + msg(self.t("not_saved"), "warn")

    def render(self) -> None:
        lang, q, sop = self.lang, self.q, self.sop
        self.check_button.description = self.t("check")
        form, how = q.form, ""
        if form == "choice":
            value = self.control.value
            self.control.options = [(choice_label(q, c, sop, lang), c) for c in q.choices]
            self.control.value = value
        elif form == "number":
            money = q.kind == "amount" or q.query == "refund_total"
            hours = q.kind == "deadline"
            self.unit.value = escape(self.t("yuan") if money else self.t("hours") if hours else "")
        elif form == "order":
            self._draw_order()
            self.up.description, self.down.description = self.t("move_up"), self.t("move_down")
            how = self.t("order_help")
        else:
            for c, b in self.boxes.items():
                b.description = choice_label(q, c, sop, lang)
            how = self.t("tick_all")
        num = f"{self.number}. " if self.number else ""
        story = f"<p class='rk-story'>{escape(q.story(lang))}</p>" if q.story else ""
        how = f"<p class='rk-how' style='margin-bottom:0'><i>{escape(how)}</i></p>" if how else ""
        self.header.value = (f"<h4 style='margin-bottom:0.3em'>{escape(self.t('question'))} {num}</h4>{story}"
                             f"{facts_html(q, sop, lang)}<p><b>{escape(q.prompt(lang))}</b></p>{how}")
        self._draw_feedback()


class Exercise:
    """One exercise notebook: the learner's name once, a widget per question, the score at the end."""

    def __init__(self, exercise_id: str, sop: Sop | None = None, bank: Bank | None = None,
                 store: ProgressStore | None = None, lang: LanguageSwitch | None = None, clock=None):
        self.sop = sop or default_sop()
        self.bank = bank or default_bank()
        self.info = self.bank.exercise(exercise_id)
        self.session = Session(exercise_id, sop=self.sop, bank=self.bank, store=store, clock=clock)
        self.lang_switch = lang or language_switch()
        self.name = make(W.Text, placeholder="", layout={"width": "16em", "max_width": "100%"},
                         style={"description_width": "initial"}, classes=("rk-name",))
        self.name.observe(lambda ch: setattr(self.session, "learner", ch["new"].strip()), "value")
        if self.session.login:  # behind JupyterHub: the login name, shown, not typed
            self.name.value, self.name.disabled = self.session.login, True
        self.title = make(W.HTML)
        self.score_html = make(W.HTML, classes=("rk-score",))
        self.score_button = make(W.Button, classes=("rk-show-score",))
        self.score_button.on_click(lambda _b: self._draw_score())
        self.widgets: dict[str, QuestionWidget] = {}
        self.lang_switch.observe(lambda _ch: self._relabel(), "value")
        self._relabel()

    @property
    def lang(self) -> str:
        return self.lang_switch.value

    def _relabel(self) -> None:
        lang, ex, t = self.lang, self.info, lambda k: self.sop.t(k, self.lang)
        self.name.description = t("your_name")
        self.score_button.description = t("show_score")
        objectives = "".join(f"<li>{escape(o(lang))}</li>" for o in ex.objectives)
        self.title.value = (f"<h3>{escape(ex.title(lang))}</h3><p>{escape(ex.intro(lang))}</p>"
                            f"<b>{escape(t('objectives'))}</b><ul>{objectives}</ul>")
        self._draw_score()

    # -- what a notebook calls ----------------------------------------------------
    def start(self) -> W.VBox:
        """Title, objectives, language switch and the name box: the first cell of the notebook."""
        return make(W.VBox, [self.title, self.lang_switch, self.name], classes=("rk-exercise",))

    def question(self, qid: str) -> QuestionWidget:
        full = qid if "." in qid else f"{self.info.id}.{qid}"
        if full not in self.widgets:
            number = [q.id for q in self.session.questions].index(full) + 1
            self.widgets[full] = QuestionWidget(self.session, self.bank.question(full), self.lang_switch,
                                                on_check=lambda _w: self._draw_score(), number=number)
        return self.widgets[full]

    def export_tickets(self):
        """The shop's sample after-sales export, every ticket; open ones carry the SOP's decision."""
        from .data import export_tickets

        return export_tickets(self.sop, self.bank.training_clock).copy()

    def records(self):
        """The sample after-sales records with the SOP's decision per row (the data exercise)."""
        from .data import records_for

        return records_for(self.sop, self.bank.training_clock).copy()

    def objectives(self) -> None:
        """The exercise's objectives, in both languages (the first cell)."""
        ex = self.info
        print(f"{ex.title.zh}\n{ex.title.en}\n")
        print(f"{self.sop.t('objectives', 'zh')} / {self.sop.t('objectives', 'en')}:")
        for o in ex.objectives:
            print(f"  • {o.zh}\n    {o.en}")

    def report(self, lang: str | None = None) -> None:
        """Print the score and the SOP ids to revisit (a checked cell: unanswered questions say so)."""
        print(self.session.report(lang or self.lang))

    def key_points(self) -> None:
        """The exercise's key points, in both languages (the last cell)."""
        print(f"{self.sop.t('key_points', 'zh')} / {self.sop.t('key_points', 'en')}:")
        for p in self.info.key_points:
            print(f"  • {p.zh}\n    {p.en}")

    def resume(self, clear: bool = False) -> None:
        """The learner's earlier answers, feedback and score, taken up from the record. `clear`: another
        learner's work was on show (the name changed): every question starts unanswered first."""
        answers = self.session.resume()
        if clear:
            for w in self.widgets.values():
                w.clear()
        for qid, answer in answers.items():
            self.question(qid).restore(answer)
        self._draw_score()

    def score_panel(self) -> W.VBox:
        return make(W.VBox, [self.score_button, self.score_html], classes=("rk-score-panel",))

    def _draw_score(self) -> None:
        text = self.session.report(self.lang)
        self.score_html.value = "<pre class='rk-report'>" + escape(text) + "</pre>"

