"""Exercise widgets driven as a learner would: type a name, pick, tick, move, click Check."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from refundkit.exercises import Exercise, default_bank
from refundkit.exercises.key import answer_key, choice_label
from refundkit.progress import ProgressStore
from refundkit.widgets.base import LanguageSwitch

AT = datetime(2026, 11, 20, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "room.sqlite3")


def _ex(exercise_id, sop, store, lang="zh"):
    return Exercise(exercise_id, sop=sop, store=store, lang=LanguageSwitch(sop, lang), clock=lambda: AT)


def _answer_with_mouse(w, answer):
    """Put the answer in the control the way clicks would."""
    if w.q.form == "order":
        # Select an item, click Move up until it sits where it belongs.
        for target, item in enumerate(answer):
            w.control.value = item
            while w.answer.index(item) > target:
                w.up.click()
    elif w.q.form == "multi":
        for c, box in w.boxes.items():
            if (c in answer) != box.value:
                box.value = not box.value  # a click toggles the box
    elif w.q.form == "number":
        w.control.value = str(answer)
    else:
        w.control.value = answer


def test_check_without_a_name_asks_for_it_and_records_nothing(sop, store):
    ex = _ex("ex01", sop, store)
    w = ex.question("q01")
    w.control.value = "cancel_and_refund"
    w.check()
    assert "rk-warn" in w.feedback._dom_classes
    assert sop.t("name_needed", "zh") in w.feedback.value
    assert store.count() == 0


def test_wrong_then_right_choice_gives_rule_hint_and_lands_in_the_database(sop, store):
    ex = _ex("ex01", sop, store)
    ex.name.value = "  王芳 "
    # Nothing answered yet: the score says what is to do, not that nothing needs revisiting.
    assert sop.t("revisit", "zh") not in ex.score_html.value and sop.t("answered", "zh") in ex.score_html.value
    w = ex.question("q02")
    assert [o[1] for o in w.control.options] == list(w.q.choices)
    assert w.control.options[0][0] == sop.action_by_id[w.q.choices[0]].zh
    w.control.value = "refund_now"
    fb = w.check()
    assert not fb.correct and "rk-wrong" in w.feedback._dom_classes
    assert "R08" in w.feedback.value and w.q.hint.zh in w.feedback.value and "rk-msg-error" in w.feedback.value
    w.control.value = "request_return"  # another try
    assert w.check().correct
    assert "rk-right" in w.feedback._dom_classes and "rk-wrong" not in w.feedback._dom_classes
    rows = list(store.rows())
    assert [(r["learner"], r["question"], r["answer"], r["correct"]) for r in rows] == [
        ("王芳", "ex01.q02", "refund_now", False), ("王芳", "ex01.q02", "request_return", True)]
    assert rows[0]["sop_version"] == sop.version and rows[0]["at"] == AT.isoformat()
    assert "R08" in ex.score_html.value  # the live score lists the rule to revisit


def test_number_that_is_not_a_number_is_a_message_not_a_wrong_try(sop, store):
    ex = _ex("ex02", sop, store)
    ex.name.value = "李雷"
    w = ex.question("q01")
    w.control.value = "两百"
    w.check()
    assert sop.t("invalid_number", "zh") in w.feedback.value and store.count() == 0
    w.control.value = "215.10"
    assert w.check().correct and store.count() == 1
    assert sop.t("yuan", "zh") in w.unit.value


def test_ordering_with_the_move_buttons(sop, store):
    ex = _ex("ex03", sop, store)
    ex.name.value = "李雷"
    w = ex.question("q01")
    assert w.answer == ["ST4", "ST2", "ST5", "ST3"]
    w.control.value = "ST4"
    w.down.click()
    assert w.answer == ["ST2", "ST4", "ST5", "ST3"]
    w.up.click()
    w.up.click()  # at the top already: stays
    assert w.answer == ["ST4", "ST2", "ST5", "ST3"]
    fb = w.check()
    assert not fb.correct and sop.t('position_wrong', 'zh').split("{n}")[0] + "1" in w.feedback.value
    _answer_with_mouse(w, ["ST2", "ST3", "ST4", "ST5"])
    assert w.check().correct
    assert w.control.options[0][0] == "1. " + sop.step_by_id["ST2"].zh


def test_ticks_for_cautions_name_the_missed_caution(sop, store):
    ex = _ex("ex04", sop, store)
    ex.name.value = "张三"
    w = ex.question("q04")
    assert w.boxes["C2"].description.startswith("C2 ")
    assert "rk-option-C2" in w.boxes["C2"]._dom_classes
    w.boxes["C2"].value = True
    fb = w.check()
    assert not fb.correct and "C3" in w.feedback.value
    w.boxes["C3"].value = w.boxes["C4"].value = True
    assert w.check().correct


def test_language_switch_relabels_question_feedback_and_name(sop, store):
    ex = _ex("ex06", sop, store)
    ex.name.value = "Ann"
    w = ex.question("q02")
    w.boxes["E6"].value = True
    w.check()
    assert sop.t("wrong", "zh") in w.feedback.value
    ex.lang_switch.value = "en"
    assert sop.t("wrong", "en") in w.feedback.value
    assert w.boxes["E2"].description == sop.platform_intervention.evidence[1].en
    assert ex.name.description == sop.t("your_name", "en")
    assert w.check_button.description == sop.t("check", "en")
    assert w.q.prompt.en in w.header.value
    assert store.count() == 1  # switching language did not record again


@pytest.mark.parametrize("ex_id", [e.id for e in default_bank().exercises])
def test_a_learner_finishes_every_exercise_with_the_mouse_alone(ex_id, sop, store, capsys):
    ex = _ex(ex_id, sop, store)
    ex.name.value = "王芳"
    questions = ex.session.questions
    for q in questions:
        w = ex.question(q.id)
        key = answer_key(q, sop).answer
        wrong = next((c for c in q.choices if c != key), None) if q.form == "choice" else None
        if wrong:  # first a wrong pick, then the right one
            _answer_with_mouse(w, wrong)
            assert not w.check().correct
        _answer_with_mouse(w, list(key) if isinstance(key, tuple) else key)
        assert w.check().correct, q.id
    ex.report("en")
    out = capsys.readouterr().out
    n_wrong_first = sum(1 for q in questions if q.form == "choice")
    assert f"Score (right at first try): {len(questions) - n_wrong_first}/{len(questions)}" in out
    assert f"Answered: {len(questions)}/{len(questions)}" in out and "Not answered yet" not in out
    df = store.frame()
    assert set(df["question"]) == {q.id for q in questions}
    assert df.groupby("question")["correct"].any().all()


def test_unanswered_report_says_so(sop, store, capsys):
    ex = _ex("ex05", sop, store)
    ex.report("zh")
    out = capsys.readouterr().out
    n = len(ex.session.questions)
    assert f"{sop.t('score', 'zh')}: 0/{n}" in out
    assert sop.t("not_answered", "zh") + f": {sop.t('question', 'zh')} 1, 2, 3" in out
    assert "q01" not in out and "ex05" not in out  # questions by their numbers, never internal ids


def test_choice_labels_of_data_questions_follow_the_language(sop):
    q = default_bank().question("ex07.q05")
    assert choice_label(q, "电热水壶", sop, "en") == "Electric kettle"
    assert choice_label(q, "电热水壶", sop, "zh") == "电热水壶"
