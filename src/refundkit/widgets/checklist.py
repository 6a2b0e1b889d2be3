"""Caution checklist: the SOP's cautions that apply to an action, one checkbox each.

Python API:
  cl.boxes[caution_id]   Checkbox, description = the caution's short SOP label (CSS `rk-caution-<id>`)
  cl.notes[caution_id]   HTML beside it: the caution text, or why ticking it is wrong
  cl.status              HTML: pending / all confirmed (CSS `rk-checklist-status`)
  cl.applicable          ids of the cautions that apply (from `Sop.caution_applies`)
  cl.complete            every applicable caution ticked and none of them known to fail
  cl.wrong_ticks         ticked cautions the case shows are not met
Which cautions apply and whether each is met comes from `refundkit.engine`
(a Decision or Outcome); the checklist never judges a caution itself.
"""
from __future__ import annotations

import ipywidgets as W

from .base import SopWidget, esc, msg
from .shared import make


class CautionChecklist(SopWidget):
    css = "rk-checklist"

    def __init__(self, sop=None, lang=None, action: str | None = None, decision=None, scenario=None):
        super().__init__(sop, lang)
        if scenario is not None:
            decision = scenario.decide(self.sop)
        self.decision = decision
        if decision is not None:
            action = decision.held_action or decision.action
            self.statuses = {c.id: c.status for c in decision.cautions}
            self.facts = decision.facts
        else:
            self.statuses, self.facts = {}, {}
        self.action = action
        self.applicable = [c.id for c in self.sop.cautions if self.sop.caution_applies(c, action)]
        self.boxes: dict[str, W.Checkbox] = {}
        self.notes: dict[str, W.HTML] = {}
        rows = []
        for cid in self.applicable:
            box = make(W.Checkbox, value=False, indent=False, layout={"width": "auto", "max_width": "100%"},
                       classes=(f"rk-caution-{cid}",))
            note = make(W.HTML)
            box.observe(lambda _ch: self.render(), "value")
            self.boxes[cid], self.notes[cid] = box, note
            rows.append(make(W.HBox, [box, note]))
        self.title = make(W.HTML)
        self.status = make(W.HTML, classes=("rk-checklist-status",))
        self.children = [self.title, *rows, self.status]
        self.render()

    @property
    def wrong_ticks(self) -> list[str]:
        return [cid for cid in self.applicable if self.boxes[cid].value and self.statuses.get(cid) == "failed"]

    @property
    def complete(self) -> bool:
        return all(b.value for b in self.boxes.values()) and not self.wrong_ticks

    def tick(self, *ids: str) -> None:
        for cid in ids:
            self.boxes[cid].value = True

    def render(self) -> None:
        lang, sop = self.lang, self.sop
        act = sop.action_by_id[self.action]
        self.title.value = f'<b>{esc(self.t("cautions"))}</b> — {esc(self.t("checklist_for"))}: {esc(act(lang))}'
        for cid in self.applicable:
            c = sop.caution_by_id[cid]
            self.boxes[cid].description = f"{cid} {c(lang)}"
            text = f'{esc(c.text(lang))} {self.cite(*c.seeds)}'
            if cid in self.wrong_ticks:
                fact = sop.facts[c.guard]
                text = msg(f'{self.t("status_failed")}: {fact(lang)} = {fact.label(self.facts[c.guard], lang)}', "error") + " " + text
            self.notes[cid].value = f'<span class="rk-caution-note">{text}</span>'
        done = self.complete
        # An unmet caution ticked is not "not confirmed yet": it is not met, and the refund is held.
        key = "cautions_done" if done else "cautions_unmet" if self.wrong_ticks else "cautions_pending"
        self.status.value = msg(self.t(key), "ok" if done else "warn")
