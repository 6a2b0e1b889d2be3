"""With a 10-day handling window, nothing a learner or trainer sees says 7 days.

Every number in prose is a placeholder filled from the SOP's parameters. This
test sets `handling_window.days: 10` in a copy of the SOP (REFUNDKIT_SOP), then
renders, through the package and without executing notebooks, what learners
and trainers read: lesson helpers, every exercise question with its feedback
and answer sheet, the handout, the app pages, and `refundkit decide`. The
notebooks' own prose (markdown cells) is checked statically: it must not state
the window's length at all, since only code output can follow the SOP.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
# "7天 / 七天 / 7 days / seven days / 7-day" as a length of time. Not matched: a time left such as
# "7天3小时" (a duration, which may well be 7 days under a 10-day window), and "七天无理由", the
# platform's name of the no-reason return period: another clock, which note D01 tells apart.
SEVEN = re.compile(r"(?<![\d.])7\s*天(?!\d+小时)|七天(?!无理由)|(?<![\d.])7[\s-]*days?\b|\bseven[\s-]days?\b", re.I)


def sevens(texts) -> list[str]:
    out = []
    for where, text in texts:
        for m in SEVEN.finditer(text):
            out.append(f"{where}: …{text[max(0, m.start() - 30):m.end() + 20]}…")
    return out


@pytest.fixture()
def ten_day_sop(sop_text, tmp_path, monkeypatch):
    changed, n = re.subn(r"(handling_window:\n\s+days:) \d+", r"\1 10", sop_text)
    assert n == 1
    path = tmp_path / "refund_sop.yaml"
    path.write_text(changed, encoding="utf-8")
    monkeypatch.setenv("REFUNDKIT_SOP", str(path))
    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "progress.sqlite"))
    from refundkit.sop import default_sop

    sop = default_sop()
    assert sop.window_days == 10
    return sop


def printed(fn, *args, **kw) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args, **kw)
    return buf.getvalue()


def widget_texts(w, seen=None) -> list[str]:
    """Every string an ipywidget tree shows: values, descriptions, option labels."""
    seen = set() if seen is None else seen
    if id(w) in seen:
        return []
    seen.add(id(w))
    out = []
    for attr in ("value", "description", "placeholder", "tooltip"):
        v = getattr(w, attr, None)
        if isinstance(v, str):
            out.append(v)
    for opt in getattr(w, "options", ()) or ():
        out.append(opt[0] if isinstance(opt, tuple) else str(opt))
    for child in getattr(w, "children", ()) or ():
        out += widget_texts(child, seen)
    return out


def test_no_learner_facing_output_says_seven_days(ten_day_sop, tmp_path, capsys):
    from refundkit import lessons, words
    from refundkit.app import pages
    from refundkit.cli import main
    from refundkit.exercises import default_bank
    from refundkit.exercises.solutions import Solutions
    from refundkit.exercises.check import check
    from refundkit.exercises.key import answer_key, answer_words, choice_label, rule_text
    from refundkit.review.render import html_handout, md_handout
    from refundkit.scenarios import load_scenarios

    sop, texts = ten_day_sop, []
    langs = ("zh", "en")

    # Lessons: what the helpers print, and every SOP text a lesson shows with bi().
    for sid in lessons.bank():
        texts.append((f"lesson show_case {sid}", printed(lessons.show_case, sid, amount=True, cautions=True)))
    for group in (sop.steps, sop.cautions, sop.notes, sop.advice, sop.actions, sop.reasons):
        texts += [(f"lesson bi {item.id}", lessons.bi(item)) for item in group]
    texts += [(f"lesson text {item.id}", lessons.bi(item.text)) for item in (*sop.steps, *sop.cautions)]
    texts += [(f"lesson todo {a.id}", lessons.bi(a.todo)) for a in sop.actions]
    texts.append(("window", lessons.bi(sop.parameters.handling_window.at_deadline)))

    # Scenarios and `refundkit decide` (the CLI prints words.explain).
    for sc in load_scenarios(sop):
        texts += [(f"scenario {sc.id}", sc.title(lang) + " " + sc.story(lang)) for lang in langs]
        texts += [(f"explain {sc.id}", words.explain(sc.decide(sop), sop, lang)) for lang in langs]
    raw = yaml.safe_load((REPO / "data" / "scenarios.yaml").read_text(encoding="utf-8"))
    sc19 = next(s for s in raw["scenarios"] if s["id"] == "SC19")
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(sc19["case"], allow_unicode=True), encoding="utf-8")
    for lang in langs:
        assert main(["decide", str(case), "--now", raw["training_clock"], "--lang", lang]) == 0
        texts.append((f"refundkit decide --lang {lang}", capsys.readouterr().out))

    # Exercises: every question, its choices, key, feedback to a wrong answer, and the answer sheet.
    bank = default_bank()
    for q in bank.questions:
        key = answer_key(q, sop)
        for lang in langs:
            texts.append((q.id, " ".join([q.prompt(lang), q.hint(lang), q.story(lang) if q.story else "",
                                          answer_words(q, key.answer, sop, lang), rule_text(q, key, sop, lang),
                                          *(choice_label(q, c, sop, lang) for c in q.choices)])))
            texts.append((f"{q.id} feedback", check(q, _wrong(q, key), sop, lang, key=key).message))
    for ex in bank.exercises:
        sol = Solutions(ex.id, sop, bank)
        texts.append((f"answer sheet {ex.id}", printed(sol.notes)
                      + "".join(printed(sol.show, q.id) for q in bank.questions_of(ex.id)) + printed(sol.key_points)))

    # The handout, as `refundkit sop render` writes it.
    for lang in (*langs, "both"):
        texts.append((f"handout html {lang}", html_handout(sop, lang)))
        texts.append((f"handout md {lang}", md_handout(sop, lang)))

    # The app's pages, in both languages (the exercise pages for every exercise). A part is drawn in the
    # page's language when it is shown: each is shown in each language before its words are read.
    app = pages.App(sop)  # one page holding every part: each one built into it
    for lang in langs:
        app.lang.value = lang
        for part, id in [("start", ""), ("calculators", ""), ("explorer", ""),
                         *(("exercise", ex.id) for ex in bank.exercises)]:
            app.show(part, id=id)
            texts.append((f"app page {part} {id} {lang}", "\n".join(widget_texts(app.current))))
        for sid in ("SC11", "SC19", "SC26"):
            app.show("wizard", scenario=sid)
            texts.append((f"app page wizard {sid} {lang}", "\n".join(widget_texts(app))))

    found = sevens(texts)
    assert not found, "\n".join(found[:20])
    everything = "\n".join(t for _, t in texts)
    # The scan saw the window where the SOP states it, filled with 10.
    assert "10天内处理退款申请" in everything and "within 10 days" in everything and "10-day window" in everything


def _wrong(q, key):
    if q.form == "choice":
        return next(c for c in q.choices if c != key.answer)
    if q.form == "number":
        return str(key.answer + 1)
    if q.form == "order":
        return list(reversed(key.answer))
    return [c for c in q.choices if c not in key.answer] or []


def test_notebook_prose_does_not_state_the_window():
    """Markdown can't follow the SOP: it names the window, and a cell that prints it says how long it is."""
    found = []
    for nb in sorted([*REPO.glob("notebooks/**/*.ipynb"), *REPO.glob("exercises/**/*.ipynb"), *REPO.glob("app/*.ipynb")]):
        if ".ipynb_checkpoints" in nb.parts:
            continue
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        found += sevens((f"{nb.relative_to(REPO)} cell {i + 1}", "".join(c["source"]))
                        for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    assert not found, "\n".join(found)


def test_the_scan_finds_seven_days():
    assert sevens([("x", "商家需要在7天内处理")]) and sevens([("x", "within 7 days")]) and sevens([("x", "the 7-day window")])
    assert sevens([("x", "七天内")]) and sevens([("x", "Seven days")])
    assert not sevens([("x", "剩余时间 7天3小时5分")]) and not sevens([("x", "七天无理由(不想要)")])
    assert not sevens([("x", "17天 / 2026-11-27 days")])
