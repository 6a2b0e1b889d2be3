"""What a learner sees: no solution before they ask, no internal ids, no test markers.

Stored notebook outputs are what Run All shows (nbval keeps them equal to a fresh run);
widget texts are read through their Python API, in both languages.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from refundkit.exercises import Exercise, default_bank
from refundkit.widgets import (CautionChecklist, DeadlineClock, DecisionExplorer, LanguageSwitch, ProcedureWizard,
                               RefundCalculator, Solution, solution)

REPO = Path(__file__).resolve().parent.parent
TRAINEE_ROOT = REPO / "notebooks"  # what `make lab` serves
NOTEBOOKS = sorted(p for p in TRAINEE_ROOT.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
# The pandas exercise works on the export's data, whose columns hold the SOP's action ids as values.
DATA_EXERCISES = {q.exercise for q in default_bank().questions if q.kind == "data"}


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        out.append("".join(o.get("text", "")))
        for mime, v in o.get("data", {}).items():
            if mime.startswith("text/"):
                out.append("".join(v) if isinstance(v, list) else str(v))
    return re.sub(r"<[^>]+>", " ", "\n".join(out))  # what shows, not the markup (data-action=...)


def internal_ids(sop) -> re.Pattern:
    """Action and method ids (snake_case words no learner should read), and question ids."""
    ids = sorted(i for i in {a.id for a in sop.actions} | set(sop.method_by_id) if "_" in i)  # "balance" is a word too
    ids.sort(key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ids)) + r")(?![\w-])|\bex\d\d(\.q\d\d)?\b")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(TRAINEE_ROOT)))
def test_run_all_reveals_no_solution_and_no_internals(path, sop):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    pattern = internal_ids(sop)
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        assert "NBVAL" not in src, f"cell {i}: a test marker on the learner's screen; use a cell tag"
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            assert "solution(" in src and not _text(cell).strip(), f"cell {i}: a solution shows before it is asked for"
            assert not cell.get("metadata", {}).get("jupyter", {}).get("outputs_hidden"), "the button must show"
        hit = pattern.search(_text(cell))
        if any(path.name == f"{e.notebook}.ipynb" for e in default_bank().exercises if e.id in DATA_EXERCISES):
            continue
        assert not hit, f"cell {i}: internal id {hit.group(0)!r} in what the learner reads"


def test_solution_opens_only_when_asked_one_at_a_time(sop, capsys, monkeypatch):
    monkeypatch.delenv("REFUNDKIT_TRAINER", raising=False)
    lang = LanguageSwitch(sop)
    first = Solution(lambda: print("¥126.00"), sop, lang)
    second = Solution(lambda: print("R08"), sop, lang)
    assert first.body.value == "" and first.button.description == sop.t("show_solution", "zh")
    first.button.click()
    assert "¥126.00" in first.body.value and second.body.value == ""
    assert first.button.description == sop.t("hide_solution", "zh")
    lang.value = "en"
    assert first.button.description == sop.t("hide_solution", "en")
    first.button.click()
    assert first.body.value == ""
    assert capsys.readouterr().out == ""  # nothing leaked to the cell's own output
    assert isinstance(solution(lambda: print("x")), Solution)
    monkeypatch.setenv("REFUNDKIT_TRAINER", "1")  # the trainer's build prints at once
    assert solution(lambda: print("¥126.00")) is None
    assert "¥126.00" in capsys.readouterr().out


def _texts(widget) -> str:
    """Every text a widget tree shows: HTML values, descriptions, option labels."""
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        shown = ("description", "placeholder") if hasattr(w, "options") else ("value", "description", "placeholder")
        for attr in shown:  # a choice's value is an id the screen never shows; its labels are
            v = getattr(w, attr, None)
            if isinstance(v, str):
                out.append(v)
        for label in getattr(w, "_options_labels", ()):
            out.append(str(label))
        stack.extend(getattr(w, "children", ()))
    return "\n".join(out)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_widgets_show_titles_not_ids(sop, scenarios, lang):
    switch = LanguageSwitch(sop, value=lang)
    pattern = internal_ids(sop)
    shown = []
    for sc in scenarios:
        wz = ProcedureWizard(sop, switch, scenario=sc)
        for _ in wz.stages:  # a walk with a wrong first answer at each step, then the right one
            if wz.kind == "cautions":
                wz.checklist.tick(*wz.checklist.applicable)
            if wz.kind in ("branch", "reason", "method"):
                wrong = next(v for _, v in wz.choice.options if v != wz.expected())
                wz.answer(wrong)
                shown.append(_texts(wz))
            if wz.kind:
                wz.answer(wz.expected())
            shown.append(_texts(wz))
            wz.next_button.click()
        shown.append(_texts(wz))
        shown.append(_texts(DecisionExplorer(sop, switch, scenario=sc, show_flowchart=False)))
        shown.append(_texts(CautionChecklist(sop, switch, scenario=sc)))
    shown.append(_texts(RefundCalculator(sop, switch, goods="100")))
    shown.append(_texts(DeadlineClock(sop, switch, requested_at="2026-11-18 10:00", now="2026-11-20 10:00")))
    text = re.sub(r"<[^>]+>", " ", "\n".join(shown))
    hit = pattern.search(text)
    assert not hit, f"internal id {hit.group(0)!r} on a learner's screen"
    assert not re.search(r"\[[A-Za-z_.0-9]+\]", text), "no bracketed ids"
    # An SOP citation carries its title: the amount rule's section, as the learner reads it.
    section = sop.section_by_id["S07"]
    assert f"S07 {section(lang)}" in text


def test_exercise_feedback_and_report_in_words(sop, tmp_path):
    from refundkit.progress import ProgressStore

    ex = Exercise("ex04", sop=sop, store=ProgressStore(tmp_path / "p.sqlite3"), lang=LanguageSwitch(sop))
    ex.name.value = "王芳"
    q = next(q for q in default_bank().questions_of("ex04") if q.form == "multi")
    w = ex.question(q.id.split(".")[1])
    w.set_answer([])
    w.check()
    text = _texts(w) + _texts(ex.start()) + ex.session.report("zh")
    assert "你漏选了" in text
    assert not internal_ids(sop).search(re.sub(r"<[^>]+>", "", text))
    assert not re.search(r"\b(missing|extra)\b|漏选: \d|多选: \d", text)


@pytest.mark.parametrize("sid", ["SC01", "SC06"])  # the list's first scenario, and one further down
def test_language_switch_keeps_the_wizard_step_on_the_app_page(sop, sid):
    """Relabelling the scenario list moves its value to the first entry and back: no new walk."""
    from refundkit.app import pages

    page = pages.App(sop, params={})
    page.show("wizard", scenario=sid)
    holder = page.current.children[1]
    wz = holder.children[0]
    for _ in range(3):
        if wz.kind == "cautions":
            wz.checklist.tick(*wz.checklist.applicable)
        if wz.kind:
            wz.answer(wz.expected())
        wz.next_button.click()
    step, results = wz.step_id, list(wz.results)
    page.lang.value = "en"
    assert holder.children[0] is wz and wz.step_id == step and wz.results == results
    assert sop.step_by_id[step].en in wz.step_html.value
    assert not re.search(rf"\b{step}\b", wz.step_html.value)  # the step by its place in the walk, not its id
    while not wz.finished:
        if wz.kind == "cautions":
            wz.checklist.tick(*wz.checklist.applicable)
        if wz.kind:
            wz.answer(wz.expected())
        wz.next_button.click()
    page.lang.value = "zh"
    assert holder.children[0] is wz and wz.finished and sop.t("right_count", "zh") in wz.summary.value
    assert not any(s.id in wz.summary.value for s in sop.steps)  # steps by title, never by id (ST1 ...)
