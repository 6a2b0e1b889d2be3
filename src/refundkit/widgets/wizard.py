"""Procedure wizard: walk the SOP steps on one case, making the choice each step asks.

Built from a Scenario (`ProcedureWizard(scenario=sc)`) or a learner's own case
(`ProcedureWizard(case=case, now=now)`). The right answer at every step comes
from `refundkit.engine.decide` on that case; wrong choices are flagged with the
SOP rule or text behind the right one; the refund button stays disabled until
the applicable cautions are ticked; the last page sums up right and wrong.

Python API (tests, exercises and browser tests drive these):
  wz.step_id         current step (ST1...), or "summary"
  wz.kind            what the step asks: branch | reason | cautions | amount | method | None (read only)
  wz.choice          RadioButtons for branch / reason / method (CSS `rk-wizard-choice`)
  wz.amount          Text for the refund amount (CSS `rk-wizard-amount`)
  wz.checklist       CautionChecklist at the cautions step (CSS `rk-checklist`, boxes `rk-caution-<id>`)
  wz.check_button    description = ui.check (CSS `rk-check`)
  wz.next_button     description = ui.next (CSS `rk-next`)
  wz.refund_button   description = ui.do_refund (CSS `rk-refund`), disabled until the cautions are ticked
  wz.hold_button     description = the SOP's "blocked" action (CSS `rk-hold`)
  wz.feedback        HTML: right / wrong with the reason (CSS `rk-feedback`, `.rk-msg-ok` / `.rk-msg-error`)
  wz.buttons         HBox of the four buttons (hidden on the summary; the feedback is hidden while empty)
  wz.step_html       HTML: the step's SOP title and text (CSS `rk-step`)
  wz.summary         HTML: the final table of right and wrong choices (CSS `rk-summary`)
  wz.results         [{step, kind, expected, answer, right}] first attempt per step
  wz.answer(value)   set the control for this step and click check (value: an id, an amount, "refund"/"hold")
"""
from __future__ import annotations

from datetime import datetime

import ipywidgets as W

from ..engine import decide
from ..money import fmt
from ..citations import cite
from ..words import case_details, conditions, refund_parts
from .base import SopWidget, cite_html, esc, input_message, msg, seed_ids
from .calculator import money_problem
from .checklist import CautionChecklist
from .shared import make, own_layout

HIDE, SHOW = "none", ""


class ProcedureWizard(SopWidget):
    css = "rk-wizard"

    def __init__(self, sop=None, lang=None, scenario=None, case=None, now: datetime | None = None):
        super().__init__(sop, lang)
        if scenario is not None:
            case, now = scenario.case, scenario.now
        if case is None or now is None:
            raise ValueError("ProcedureWizard needs a scenario, or a case and the time `now` to read it at")
        self.scenario, self.case, self.now = scenario, case, now
        self.decision = decide(case, self.sop, now)
        self.rule_action = self.decision.held_action or self.decision.action
        steps = ["ST1"] + [s for s in self.sop.action_by_id[self.rule_action].steps if s != "ST1"]
        self.stages = steps
        self.index = 0
        self.results: list[dict] = []
        self._answered: set[str] = set()
        # What the learner did, in order (["check", value], ["tick", caution, "1"|"0"], ["refund"], ["hold"],
        # ["next"]): `replay` on a new wizard brings it to the same place (a reloaded page); `on_walk`
        # hears of every step of it.
        self.walk: list[list[str]] = []
        self.on_walk = None
        self._replaying = False
        self._feedback = None  # (kind, lang -> html) so a language switch redraws it
        self.header = make(W.HTML, classes=("rk-wizard-case",))
        self.step_html = make(W.HTML, classes=("rk-step",))
        # Controls shown and hidden step by step: each with a Layout of its own (`render`).
        self.choice = make(W.RadioButtons, options=[], value=None, layout=W.Layout(width="max-content", max_width="100%"),
                           classes=("rk-wizard-choice",))
        self.amount = make(W.Text, placeholder="0.00", layout=W.Layout(), classes=("rk-wizard-amount",))
        self.checklist = CautionChecklist(self.sop, self.lang_switch, decision=self.decision)
        for cid, box in self.checklist.boxes.items():
            box.observe(lambda _ch: self._ticked(), "value")
            box.observe(lambda ch, cid=cid: self._log("tick", cid, "1" if ch["new"] else "0"), "value")
        self.check_button = self._button("rk-check", self._check)
        self.next_button = self._button("rk-next", self._next)
        self.refund_button = self._button("rk-refund", lambda _b: self._cautions_answer("refund"), "success")
        self.hold_button = self._button("rk-hold", lambda _b: self._cautions_answer("hold"), "warning")
        # The button row and the feedback are hidden where they have nothing to show (the summary, before
        # a check): empty, each still took a line's height, a blank gap under the summary's heading.
        self.feedback = make(W.HTML, layout=W.Layout(), classes=("rk-feedback",))
        self.summary = make(W.HTML, classes=("rk-summary",))
        self.buttons = make(W.HBox, [self.check_button, self.refund_button, self.hold_button, self.next_button],
                            layout=W.Layout())
        self.children = [self.header, self.step_html, self.choice, self.amount, self.checklist,
                         self.buttons, self.feedback, self.summary]
        self.render()

    def _button(self, css, handler, style=""):
        b = make(W.Button, button_style=style, layout=W.Layout(), classes=(css,))
        b.on_click(handler)
        return b

    # -- where we are --------------------------------------------------------
    @property
    def step_id(self) -> str:
        return self.stages[self.index] if self.index < len(self.stages) else "summary"

    @property
    def kind(self) -> str | None:
        if self.step_id == "summary":
            return None
        kind = self.sop.step_by_id[self.step_id].choice
        if kind == "reason" and self.case.reason is None:
            return None  # the case names no reason: nothing to judge
        return kind

    @property
    def finished(self) -> bool:
        return self.step_id == "summary"

    def expected(self):
        d = self.decision
        return {
            "branch": self.rule_action, "reason": self.case.reason, "method": self.case.refund_method,
            "amount": d.refund.total, "cautions": "hold" if d.blocked_by else "refund",
        }[self.kind]

    # -- labels --------------------------------------------------------------
    def label(self, kind: str, value, lang: str | None = None) -> str:
        sop, lang = self.sop, lang or self.lang
        if value is None:
            return "—"
        if kind == "branch":
            return sop.action_by_id[value](lang)
        if kind == "reason":
            return sop.reason_by_id[value](lang)
        if kind == "method":
            return sop.method_by_id[value](lang)
        if kind == "amount":
            return fmt(value)
        if kind == "cautions":
            return sop.t("do_refund", lang) if value == "refund" else sop.action_by_id["blocked"](lang)
        return str(value)

    def options_for(self, kind: str) -> list[tuple[str, str]]:
        sop = self.sop
        ids = {"branch": [a.id for a in sop.actions if a.id != "blocked"],
               "reason": [r.id for r in sop.reasons],
               "method": [m.id for m in sop.parameters.methods]}[kind]
        return [(self.label(kind, i), i) for i in ids]

    # -- drawing -------------------------------------------------------------
    def render(self) -> None:
        lang, sop = self.lang, self.sop
        self.check_button.description = self.t("check")
        self.next_button.description = self.t("next")
        self.refund_button.description = self.t("do_refund")
        self.hold_button.description = sop.action_by_id["blocked"](lang)
        self.header.value = self.case_html()
        kind, finished = self.kind, self.finished
        if not finished:
            step = sop.step_by_id[self.step_id]
            prompt = self.t(f"prompt_{kind}") if kind else self.t("no_choice")
            # The step by its place in this walk (as the summary numbers it), not by its SOP id (ST4 ...);
            # the citation names the article's own section.
            place = f"{self.index + 1}/{len(self.stages)}"
            self.step_html.value = (f'<h4>{esc(self.t("step"))} {place}: {esc(step(lang))} {self.cite(*step.seeds)}</h4>'
                                    f'<p>{esc(step.text(lang))}</p><p class="rk-prompt"><i>{esc(prompt)}</i></p>')
        else:
            self.step_html.value = f'<h4>{esc(self.t("summary"))}</h4>'
        if kind in ("branch", "reason", "method"):
            current = self.choice.value
            self.choice.options = self.options_for(kind)
            self.choice.value = current if current in dict(self.choice.options).values() else None
        done = self.step_id in self._answered
        show = {
            self.choice: kind in ("branch", "reason", "method"), self.amount: kind == "amount",
            self.checklist: kind == "cautions", self.check_button: kind in ("branch", "reason", "method", "amount"),
            self.refund_button: kind == "cautions", self.hold_button: kind == "cautions", self.next_button: not finished,
        }
        for w, visible in show.items():
            own_layout(w).display = SHOW if visible else HIDE
        self.next_button.disabled = bool(kind) and not done
        self.refund_button.disabled = done or not self.checklist.complete
        self.hold_button.disabled = done
        self.feedback.value = self._feedback(lang) if self._feedback else ""
        self.summary.value = self.summary_html() if finished else ""
        own_layout(self.buttons).display = HIDE if finished else SHOW
        own_layout(self.feedback).display = SHOW if self.feedback.value else HIDE

    def case_html(self) -> str:
        lang, sop = self.lang, self.sop
        if self.scenario is not None:
            head = f'<h3>{esc(self.scenario.title(lang))}</h3><p>{esc(self.scenario.story(lang))}</p>'
        else:
            head = f'<h3>{esc(self.t("story"))}</h3>'
        facts = "".join(
            f"<li>{esc(sop.facts[k](lang))}: {esc(sop.facts[k].label(v, lang))}</li>"
            for k, v in self.decision.facts.items() if v is not None and k in sop.facts)
        # what the amount and method steps ask about: the amounts paid, the method asked for, ...
        facts += "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in case_details(self.case, sop, lang, self.now))
        return head + f'<details class="rk-facts"><summary>{esc(self.t("story"))}</summary><ul>{facts}</ul></details>'

    # -- answering -----------------------------------------------------------
    def answer(self, value) -> None:
        """Act as the learner: choose/type `value` for this step and check it."""
        kind = self.kind
        if kind in ("branch", "reason", "method"):
            self.choice.value = value
            self.check_button.click()
        elif kind == "amount":
            self.amount.value = str(value)
            self.check_button.click()
        elif kind == "cautions":
            (self.refund_button if value == "refund" else self.hold_button).click()
        else:
            raise ValueError(f"step {self.step_id} asks for no choice; click next")

    def _log(self, *action: str) -> None:
        self.walk.append(list(action))
        if self.on_walk is not None and not self._replaying:
            self.on_walk(self.walk)

    def replay(self, walk: list) -> None:
        """Do again what a learner did (a `walk` of another wizard on the same case), as far as it
        still fits this wizard (a walk from an address may be cut short or made up): then stop."""
        self._replaying = True
        try:
            for action in walk:
                if not isinstance(action, list) or not action or not all(isinstance(a, str) for a in action):
                    break
                done = len(self.walk)
                what, args = action[0], action[1:]
                if what == "check" and len(args) == 1 and self.kind in ("branch", "reason", "method", "amount"):
                    if self.kind == "amount":
                        self.amount.value = args[0]
                    elif args[0] in dict(self.choice.options).values():
                        self.choice.value = args[0]
                    else:
                        break
                    self._check()
                elif what == "tick" and len(args) == 2 and self.kind == "cautions" and args[0] in self.checklist.boxes:
                    self.checklist.boxes[args[0]].value = args[1] == "1"
                elif what in ("refund", "hold") and not args and self.kind == "cautions":
                    self._cautions_answer(what)
                elif what == "next" and not args and not self.finished:
                    self._next()
                if len(self.walk) == done:  # it did not fit: the rest would not either
                    break
        finally:
            self._replaying = False
        if self.on_walk is not None:
            self.on_walk(self.walk)

    def _record(self, answer, right: bool) -> None:
        if self.step_id not in {r["step"] for r in self.results}:
            self.results.append({"step": self.step_id, "kind": self.kind, "expected": self.expected(),
                                 "answer": answer, "right": right})
        if right:
            self._answered.add(self.step_id)

    def _check(self, _b=None) -> None:
        kind = self.kind
        if kind == "amount":
            if not self.amount.value.strip():
                return
            value, problem = money_problem(self.amount.value, self.sop)
            if problem:
                self._feedback = lambda lang: msg(input_message(self.sop, problem, lang), "error")
                self.render()
                return
        else:
            value = self.choice.value
            if value is None:
                return
        right = value == self.expected()
        self._record(value, right)
        self._feedback = self._verdict(kind, value, right)
        self.render()
        self._log("check", str(value))

    def _verdict(self, kind, value, right):
        sop, d, expected = self.sop, self.decision, self.expected()

        def html(lang):
            t = lambda k: sop.t(k, lang)  # noqa: E731
            if right:
                return msg(t("correct"), "ok")
            head = msg(f'{t("wrong")} {t("your_choice")}: {self.label(kind, value, lang)}', "error")
            because = f'<br><b>{esc(t("right_answer"))}</b>: {esc(self.label(kind, expected, lang))}<br>'
            if kind == "branch":
                rule = sop.rule_by_id[d.rule]
                act = sop.action_by_id[expected]
                because += f'{esc(conditions(rule.id, sop, lang))} {cite_html(sop, rule.id, lang)}<br>{esc(act.todo(lang))}'
            elif kind == "amount":
                amount = sop.parameters.amount
                lines = " ".join(f'{p.sign} {esc(p.label)} {p.amount}' for p in refund_parts(d.refund, sop, lang))
                because += f'{esc(amount.rule(lang))} {cite_html(sop, seed_ids(amount), lang)}<br>{lines} = {fmt(d.refund.total)}'
            elif kind == "cautions":
                if d.blocked_by:
                    because += "<br>".join(self._held_by(lang))
                else:  # said of the case, not of the boxes: the learner may not have ticked them all
                    because += esc(t("cautions_none_hold"))
            else:
                step = sop.step_by_id[self.step_id]
                because += f'{esc(step.text(lang))} {cite_html(sop, step.id, lang)}'
            return head + because
        return html

    def _ticked(self) -> None:
        if self.kind == "cautions":
            for cid in self.checklist.wrong_ticks:
                self._record("tick:" + cid, False)
                c = self.sop.caution_by_id[cid]
                self._feedback = lambda lang, c=c: msg(f'{self.sop.t("wrong", lang)} {c.id} {c(lang)}', "error")
            self.render()

    def _cautions_answer(self, value: str) -> None:
        if self.step_id in self._answered:
            return
        if value == "refund" and not self.checklist.complete:
            self._feedback = lambda lang: msg(self.sop.t("cautions_pending", lang), "warn")
            self.render()
            return
        right = value == self.expected()
        self._record(value, right)
        self._feedback = self._verdict("cautions", value, right)
        if right and value == "hold":
            self.index = len(self.stages)  # the refund is held: the procedure stops here
            self._feedback = None
        self.render()
        self._log(value)

    def _next(self, _b=None) -> None:
        if self.kind and self.step_id not in self._answered:
            return
        self.index += 1
        self._feedback = None
        self.amount.value = ""
        self.choice.value = None
        self.render()
        self._log("next")

    def _held_by(self, lang: str) -> list[str]:
        """The cautions that hold this case's refund, each cited with its words (HTML-escaped)."""
        sop = self.sop
        return [f'{esc(cite(sop, c, lang))}: {esc(sop.caution_by_id[c].text(lang))}' for c in self.decision.blocked_by]

    def summary_html(self) -> str:
        lang, sop, d = self.lang, self.sop, self.decision
        right = sum(r["right"] for r in self.results)
        rows = "".join(  # steps by their place in the walk, as their headings said: SOP step ids are not for learners
            f'<tr class="rk-result rk-result-{"right" if r["right"] else "wrong"}"><td>{self.stages.index(r["step"]) + 1}</td>'
            f'<td>{esc(sop.step_by_id[r["step"]](lang))}</td>'
            f'<td>{esc(self.label(r["kind"], r["answer"], lang) if not str(r["answer"]).startswith("tick:") else cite(sop, r["answer"][5:], lang))}</td>'
            f'<td>{esc(self.label(r["kind"], r["expected"], lang))}</td><td>{"✔" if r["right"] else "✘"}</td></tr>'
            for r in self.results)
        head = (f'<tr><th>{esc(self.t("step"))}</th><th></th><th>{esc(self.t("your_choice"))}</th>'
                f'<th>{esc(self.t("right_answer"))}</th><th></th></tr>')
        act = sop.action_by_id[d.action]
        tasks = "".join(f"<li>{esc(cite(sop, a, lang))}</li>" for a in d.after_refund)
        after = f'<p><b>{esc(self.t("after_refund"))}</b></p><ul>{tasks}</ul>' if tasks else ""
        # A held refund: the cautions its action's words announce ("the cautions below are not met").
        held = "".join(f'<li class="rk-summary-caution">{line}</li>' for line in self._held_by(lang))
        after = (f'<ul class="rk-summary-cautions">{held}</ul>' if held else "") + after
        return (f'<p class="rk-score"><b>{esc(self.t("right_count"))}: {right}</b> · '
                f'<b>{esc(self.t("wrong_count"))}: {len(self.results) - right}</b></p>'
                f'<table class="rk-summary-table">{head}{rows}</table>'
                f'<p><b>{esc(self.t("action"))}</b>: {esc(act(lang))} — {esc(act.todo(lang))}</p>{after}'
                f'<p>{esc(self.t("finished"))}</p>')
