"""The trainee app in a real browser: what a learner sees and clicks, checked against the SOP and engine.

Every expected text is read from the SOP and every expected answer from the
engine or the widget's own Python API, never typed in here.
"""
from __future__ import annotations


import pytest

from refundkit.money import fmt

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect


@pytest.fixture(scope="module")
def sop():
    from refundkit.sop import default_sop

    return default_sop()


def test_start_page_links_and_language_switch(page, app, sop):
    app.open("")  # the address `make app` prints
    assert "/voila/render/start.ipynb" in page.url
    print(f"voila serving after {app.server.start_s:.1f} s")
    title = page.locator(".rk-app-title")
    expect(title).to_have_text(sop.t("app_title", "zh"))
    links = page.locator(".rk-app-links .rk-app-go")
    for name in ("app_wizard", "app_calculators", "app_explorer"):
        expect(links.filter(has_text=sop.t(name, "zh"))).to_have_count(1)
    expect(page.get_by_text(sop.t("greeting", "zh"))).to_be_visible()
    expect(page.get_by_text("refundkit.app")).to_have_count(0)  # no code on the page
    expect(page.get_by_text("Loading widget")).to_have_count(0)
    app.no_cell_error()
    app.shot("start_page_zh")

    page.locator(".rk-lang").get_by_text(sop.ui["lang_name"]("en"), exact=True).click()
    expect(title).to_have_text(sop.t("app_title", "en"))
    expect(page.get_by_text(sop.t("greeting", "en"))).to_be_visible()
    expect(page.get_by_text(sop.t("greeting", "zh"))).to_have_count(0)
    links.filter(has_text=sop.t("app_wizard", "en")).click()  # the same page, another part, no new kernel
    expect(page.locator(".rk-wizard")).to_be_visible()
    expect(title).to_contain_text(sop.t("app_wizard", "en"))
    page.wait_for_function("location.search.includes('part=wizard') && location.search.includes('lang=en')")
    app.no_cell_error()

    # The error check can fail: an exception thrown in the page is counted as the kit's.
    page.evaluate("setTimeout(() => { throw new Error('rk-selftest') }, 0)")
    for _ in range(50):
        if any("rk-selftest" in e for e in page.kit_log.kit_errors(strict=True)):
            break
        page.wait_for_timeout(100)
    assert any("rk-selftest" in e for e in page.kit_log.kit_errors(strict=True)), page.kit_log
    page.kit_log.errors[:] = [e for e in page.kit_log.errors if "rk-selftest" not in e]


def _wizard_scenario(sop):
    """The first scenario whose wizard asks for a branch, the cautions and the amount, and pays out."""
    from refundkit.scenarios import load_scenarios
    from refundkit.widgets import LanguageSwitch, ProcedureWizard

    for sc in load_scenarios(sop):
        twin = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)
        kinds = set()
        for i in range(len(twin.stages)):
            twin.index = i
            kinds.add(twin.kind)
        if {"branch", "cautions", "amount"} <= kinds and not twin.decision.blocked_by:
            return sc
    pytest.fail("no scenario in the bank walks the branch, cautions and amount steps to a refund")


def test_wizard_end_to_end(page, app, sop):
    """One scenario through every step: a wrong branch flagged, cautions required, the summary."""
    from refundkit.widgets import LanguageSwitch, ProcedureWizard

    sc = _wizard_scenario(sop)
    twin = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)  # the same wizard in Python: the expectations
    app.open("wizard.ipynb", scenario=sc.id)
    wz = page.locator(".rk-wizard")
    expect(wz.locator(".rk-wizard-case")).to_contain_text(sc.title("zh"))
    feedback = wz.locator(".rk-feedback")
    shown_wrong = False
    while not twin.finished:
        kind = twin.kind
        expect(wz.locator(".rk-step")).to_contain_text(sop.step_by_id[twin.step_id]("zh"))
        if kind in ("branch", "reason", "method"):
            right = twin.expected()
            answers = [right]
            if kind == "branch":
                answers.insert(0, next(v for _, v in twin.options_for(kind) if v != right))
            for value in answers:
                wz.locator(".rk-wizard-choice").get_by_label(twin.label(kind, value, "zh"), exact=True).check()
                wz.locator(".rk-check").click()
                twin.answer(value)
                if value != right:
                    expect(feedback.locator(".rk-msg-error")).to_contain_text(sop.t("wrong", "zh"))
                    expect(feedback).to_contain_text(twin.label(kind, right, "zh"))  # the right answer and why
                    expect(wz.locator(".rk-next")).to_be_disabled()
                    app.shot("wizard_wrong_choice_flagged")
                    shown_wrong = True
                else:
                    expect(feedback.locator(".rk-msg-ok")).to_have_text(sop.t("correct", "zh"))
        elif kind == "amount":
            wz.locator(".rk-wizard-amount input").fill(fmt(twin.expected()))
            wz.locator(".rk-check").click()
            twin.answer(twin.expected())
            expect(feedback.locator(".rk-msg-ok")).to_have_text(sop.t("correct", "zh"))
        elif kind == "cautions":
            refund = wz.locator(".rk-refund")
            expect(refund).to_be_disabled()  # not before every caution that applies is ticked
            boxes = twin.checklist.applicable
            assert boxes, "the scenario has cautions to tick"
            for cid in boxes[:-1]:
                wz.locator(f".rk-caution-{cid} input[type=checkbox]").check()
            expect(refund).to_be_disabled()  # one still missing
            app.shot("wizard_cautions_pending")
            wz.locator(f".rk-caution-{boxes[-1]} input[type=checkbox]").check()
            expect(refund).to_be_enabled()
            refund.click()
            twin.checklist.tick(*boxes)
            twin.answer("refund")
            expect(feedback.locator(".rk-msg-ok")).to_have_text(sop.t("correct", "zh"))
        wz.locator(".rk-next").click()
        twin.next_button.click()
    assert shown_wrong
    right = sum(r["right"] for r in twin.results)
    score = wz.locator(".rk-summary .rk-score")
    expect(score).to_contain_text(f"{sop.t('right_count', 'zh')}: {right}")
    expect(score).to_contain_text(f"{sop.t('wrong_count', 'zh')}: {len(twin.results) - right}")
    expect(wz.locator(".rk-summary .rk-result-wrong")).to_have_count(1)
    expect(wz.locator(".rk-summary")).to_contain_text(sop.action_by_id[twin.decision.action]("zh"))
    app.no_cell_error()
    app.shot("wizard_summary_zh")
    page.locator(".rk-app-bar .rk-lang").get_by_text(sop.ui["lang_name"]("en"), exact=True).click()
    expect(score).to_contain_text(f"{sop.t('right_count', 'en')}: {right}")  # the summary follows the switch


def test_amount_calculator(page, app, sop):
    """Type amounts, read the breakdown; invalid input shows a message beside the field."""
    from refundkit.widgets import LanguageSwitch, RefundCalculator

    app.open("calculators.ipynb", lang="en")  # the language a link carries (see the start page)
    calc = page.locator(".rk-calculator")
    goods = next(c for c in sop.parameters.amount.components if c.id == "goods")
    expect(calc.locator(".rk-amount-goods label")).to_have_text(goods("en"))
    page.locator(".rk-app-bar .rk-lang").get_by_text(sop.ui["lang_name"]("zh"), exact=True).click()
    expect(calc.locator(".rk-amount-goods label")).to_have_text(goods("zh"))
    expect(page.locator(".rk-app-title")).to_contain_text(sop.t("app_calculators", "zh"))
    typed = {"goods": "259", "shipping": "12.5", "coupon": "30", "discount": "19.90"}
    twin = RefundCalculator(sop, LanguageSwitch(sop))
    twin.set_amounts(**typed)
    for name, value in typed.items():
        calc.locator(f".rk-amount-{name} input").fill(value)
    result = calc.locator(".rk-calc-result")
    expect(result.locator(".rk-total")).to_contain_text(fmt(twin.refund.total))
    for line in twin.refund.lines:
        expect(result.locator(f".rk-line-{line.component}")).to_contain_text(fmt(line.amount))
    expect(result).to_contain_text(sop.parameters.amount.rule("zh"))
    app.shot("calculator_breakdown")

    for name, value, problem in [("goods", "abc", "err_not_number"), ("goods", "-5", "err_negative"),
                                 ("coupon", "300", "err_coupon_above_price")]:
        field = calc.locator(f".rk-amount-{name} input")
        field.fill(value)
        expect(calc.locator(f".rk-amount-{name} + .rk-field-error")).to_have_text(sop.t(problem, "zh"))
        expect(result.locator(".rk-total")).to_have_count(0)  # no amount while the input is invalid
        app.shot(f"calculator_{problem}")
        field.fill(typed[name])
        expect(calc.locator(f".rk-amount-{name} + .rk-field-error")).to_have_text("")
    expect(result.locator(".rk-total")).to_contain_text(fmt(twin.refund.total))

    # The deadline clock on the same page: type a request time, read the deadline the engine computes.
    from refundkit.lessons import clock as training_clock
    from refundkit.widgets import DeadlineClock

    clock_twin = DeadlineClock(sop, LanguageSwitch(sop), requested_at="2026-11-15 09:30", now=training_clock())
    page.locator(".rk-requested input").fill("2026-11-15 09:30")
    expect(page.locator(".rk-clock-result .rk-due")).to_have_text(f"{clock_twin.deadline.due:%Y-%m-%d %H:%M}")
    expect(page.locator(f".rk-clock-result .rk-band-{clock_twin.deadline.urgency}")).to_be_visible()
    app.no_cell_error()


def test_exercise_right_and_wrong_recorded(page, app, sop):
    """A learner answers a question wrong, then right; both checks land in the progress database."""
    from refundkit.exercises import answer_key, default_bank
    from refundkit.exercises.key import choice_label

    bank = default_bank()
    ex = bank.exercises[0]
    q = next(q for q in bank.questions_of(ex.id) if q.form == "choice")
    right = answer_key(q, sop).answer
    wrong = next(c for c in q.choices if c != right)
    learner = "测试学员"

    app.open("exercise.ipynb", id=ex.id)
    expect(page.locator(".rk-app-title")).to_contain_text(ex.title("zh"))
    page.locator(".rk-name input").fill(learner)
    box = page.locator(f".rk-q-{q.id.replace('.', '-')}")
    for value, ok in ((wrong, False), (right, True)):
        box.locator(".rk-answer").get_by_label(choice_label(q, value, sop, "zh"), exact=True).check()
        box.locator(".rk-check").click()
        if ok:
            expect(box.locator(".rk-feedback .rk-msg-ok")).to_be_visible()
        else:
            expect(box.locator(".rk-feedback .rk-msg-error").first).to_be_visible()
            app.shot("exercise_wrong_answer")
    rows = [r for r in app.server.store().rows() if r["learner"] == learner]
    assert [(r["question"], r["answer"], r["correct"]) for r in rows] == [(q.id, wrong, False), (q.id, right, True)]
    assert {r["exercise"] for r in rows} == {ex.id} and {r["sop_version"] for r in rows} == {sop.version}
    app.no_cell_error()
