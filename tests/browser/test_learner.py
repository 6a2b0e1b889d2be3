"""What a trainee sees and types, in a real browser: nothing lost on a language switch, answers
only when asked, no trainer material in their Lab, input as people type it, a phone-width page.

Expected texts come from the SOP, expected answers from the engine through a Python twin of
the widget; screenshots go to out/screenshots/ (the page fixture takes the last one).
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from refundkit.money import fmt

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect

# A control whose content is wider than its box is cut: the learner cannot read or reach all of it.
CLIPPED_JS = """(selector) => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  for (const e of document.querySelectorAll(selector)) {
    if (e.offsetParent === null) continue;
    let need = e.scrollWidth, have = e.clientWidth + 1;
    if (e.tagName === 'SELECT' && e.selectedIndex >= 0) {  // a list shows its chosen entry: does it fit?
      const cs = getComputedStyle(e);
      ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
      need = ctx.measureText(e.options[e.selectedIndex].text).width + 24;  // room for the arrow
    }
    if (need > have) out.push(`${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${Math.round(need)}>${have}: ` +
                              (e.innerText || e.value || '').slice(0, 60));
  }
  return out;
}"""
CONTROLS = ("input, select, button, label, .widget-radio-box, .widget-dropdown, .widget-text, "
            ".widget-inline-hbox, .rk-app-bar")


@pytest.fixture(scope="module")
def sop():
    from refundkit.sop import default_sop

    return default_sop()


def _switch(page, sop, lang):
    page.locator(".rk-app-bar .rk-lang").get_by_text(sop.ui["lang_name"](lang), exact=True).click()


def test_language_switch_mid_wizard_keeps_the_step(page, app, sop):
    """Walk the wizard to its fourth step, switch language: same step, same answers, relabelled;
    then to the summary, switch back: the summary stays."""
    from refundkit.scenarios import load_scenarios
    from refundkit.widgets import LanguageSwitch, ProcedureWizard

    sc = next(s for s in load_scenarios(sop)
              if len(ProcedureWizard(sop, LanguageSwitch(sop), scenario=s).stages) >= 5
              and not s.decide(sop).blocked_by)
    twin = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)
    app.open("wizard.ipynb", scenario=sc.id)
    wz = page.locator(".rk-wizard")

    def walk_one(lang):
        kind = twin.kind
        if kind in ("branch", "reason", "method"):
            wz.locator(".rk-wizard-choice").get_by_label(twin.label(kind, twin.expected(), lang), exact=True).check()
            wz.locator(".rk-check").click()
        elif kind == "amount":
            wz.locator(".rk-wizard-amount input").fill(fmt(twin.expected()))
            wz.locator(".rk-check").click()
        elif kind == "cautions":
            for cid in twin.checklist.applicable:
                wz.locator(f".rk-caution-{cid} input[type=checkbox]").check()
            wz.locator(".rk-refund").click()
            twin.checklist.tick(*twin.checklist.applicable)
        if kind:
            twin.answer("refund" if kind == "cautions" else twin.expected())
            expect(wz.locator(".rk-feedback .rk-msg-ok")).to_have_text(sop.t("correct", lang))
        wz.locator(".rk-next").click()
        twin.next_button.click()

    for _ in range(3):
        walk_one("zh")
    step = sop.step_by_id[twin.step_id]
    heading = wz.locator(".rk-step h4")
    expect(heading).to_contain_text(f"{step.id}: {step('zh')}")
    app.shot("wizard_step4_zh")
    _switch(page, sop, "en")
    expect(heading).to_contain_text(f"{step.id}: {step('en')}")  # relabelled in place, same step
    expect(wz.locator(".rk-next")).to_have_text(sop.t("next", "en"))
    page.wait_for_timeout(1500)  # a late echo from the browser must not restart the walk either
    expect(heading).to_contain_text(f"{step.id}: {step('en')}")
    app.shot("wizard_step4_switched_en")

    while not twin.finished:
        walk_one("en")
    summary = wz.locator(".rk-summary .rk-score")
    right = sum(r["right"] for r in twin.results)
    expect(summary).to_contain_text(f"{sop.t('right_count', 'en')}: {right}")
    _switch(page, sop, "zh")
    expect(summary).to_contain_text(f"{sop.t('right_count', 'zh')}: {right}")
    page.wait_for_timeout(1500)
    expect(summary).to_contain_text(f"{sop.t('right_count', 'zh')}: {right}")
    app.no_cell_error()


def test_full_width_and_common_spellings_accepted(page, app, sop):
    """２１５．１０, ¥ and 元 in the calculator; 9:30 and 11月18日 in the clock; 1e9 and a future request refused."""
    from refundkit.lessons import clock as training_clock
    from refundkit.widgets import DeadlineClock, LanguageSwitch, RefundCalculator

    app.open("calculators.ipynb")
    calc = page.locator(".rk-calculator")
    typed = {"goods": "２１５．１０", "shipping": "¥8", "coupon": "10元", "discount": ""}
    twin = RefundCalculator(sop, LanguageSwitch(sop))
    twin.set_amounts(**typed)
    for name, value in typed.items():
        calc.locator(f".rk-amount-{name} input").fill(value)
    expect(calc.locator(".rk-calc-result .rk-total")).to_contain_text(fmt(twin.refund.total))
    app.shot("calculator_full_width")
    calc.locator(".rk-amount-goods input").fill("1e9")
    expect(calc.locator(".rk-amount-goods + .rk-field-error")).to_have_text(sop.t("err_not_number", "zh"))
    expect(calc.locator(".rk-calc-result .rk-total")).to_have_count(0)

    now = training_clock()
    clock_twin = DeadlineClock(sop, LanguageSwitch(sop), requested_at="９：３０", now=now)
    requested = page.locator(".rk-requested input")
    requested.fill("９：３０")  # on the training clock's day
    expect(page.locator(".rk-clock-result .rk-due")).to_have_text(f"{clock_twin.deadline.due:%Y-%m-%d %H:%M}")
    requested.fill(f"{now.month}月{now.day + 1 if now.day < 28 else 1}日 10:00")  # after "now"
    expect(page.locator(".rk-clock .rk-field-error").first).to_have_text(sop.t("err_future", "zh"))
    expect(page.locator(".rk-clock-result .rk-left")).to_have_count(0)
    app.no_cell_error()


# Open: the app's scenario list in the wizard part cuts its longest English titles at 390 px.
WIZARD_EN_CUT = pytest.mark.xfail(reason="the wizard's scenario list cuts long English titles at 390 px (open)")


@pytest.mark.parametrize("path", ["start.ipynb", pytest.param("wizard.ipynb", marks=WIZARD_EN_CUT),
                                  "calculators.ipynb", "explorer.ipynb"])
def test_phone_width_nothing_clipped(page, app, sop, path):
    """At 390 px every control shows whole (no scrollWidth beyond its box) and the page does not
    scroll sideways, except the flowchart, which scrolls inside its own box."""
    page.set_viewport_size({"width": 390, "height": 844})
    for lang in ("zh", "en"):
        app.open(path, lang=lang)
        page.wait_for_timeout(500)
        clipped = page.evaluate(CLIPPED_JS, CONTROLS)
        assert not clipped, f"{path} ({lang}) at 390 px: cut controls {clipped}"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 392, f"{path} ({lang}) at 390 px scrolls sideways ({wide} px)"
        app.shot(f"phone_{path.split('.')[0]}_{lang}")
    app.no_cell_error()


@pytest.mark.parametrize("path", ["wizard.ipynb", "explorer.ipynb", "calculators.ipynb"])
def test_desktop_width_nothing_cut_in_english(page, app, sop, path):
    """At 1280 px in English, long SOP labels (methods, facts) show whole."""
    page.set_viewport_size({"width": 1280, "height": 900})
    app.open(path, lang="en")
    page.wait_for_timeout(500)
    clipped = page.evaluate(CLIPPED_JS, CONTROLS)
    assert not clipped, f"{path} (en) at 1280 px: cut controls {clipped}"
    if path == "calculators.ipynb":  # the longest method name is readable in full in the list
        longest = max((m("en") for m in sop.parameters.methods), key=len)
        expect(page.locator(".rk-method select option", has_text=longest)).to_have_count(1)
        page.locator(".rk-method select").select_option(label=longest)
        assert not page.evaluate(CLIPPED_JS, ".rk-method select"), f"{longest!r} is cut"
    app.shot(f"desktop_en_{path.split('.')[0]}")


@pytest.mark.xfail(reason="open: passes alone, failed in the full parallel run (the solution button's label not yet drawn)", strict=False)
def test_trainee_lab_hides_trainer_material_and_answers(page, lab_server, sop):
    """`make lab`'s Lab: Chinese, lessons and exercises only, trainer files out of reach; Run All on
    the amount lesson shows the solution button, not the answer, until the button is clicked."""
    page.strict = False  # JupyterLab's own console noise is reported, the kit's errors still fail
    base = lab_server.base
    for trainer_file in ("../exercises/trainer/workshop_dashboard.ipynb", "../exercises/TRAINER.md",
                         "..%2Fexercises%2Ftrainer%2Fworkshop_dashboard.ipynb"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(f"{base}/api/contents/{trainer_file}", timeout=10)
        assert exc.value.code in (400, 403, 404), trainer_file
    with urllib.request.urlopen(f"{base}/api/contents/", timeout=10) as r:
        import json

        names = {c["name"] for c in json.load(r)["content"]}
    assert "exercises" in names and "00_start_here.ipynb" in names and not names & {"trainer", "TRAINER.md"}

    page.goto(f"{base}/lab/tree/02_amount.ipynb")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    expect(page.locator(".lm-MenuBar-itemLabel", has_text="运行").first).to_be_visible()  # Chinese menus
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\(ipykernel\) \| 空闲"))
    kernel_idle.wait_for()
    expect(page.get_by_text(re.compile("news|新闻", re.I))).to_have_count(0)  # no news pop-up
    page.locator(".lm-MenuBar-itemLabel", has_text="运行").first.click()
    page.get_by_role("menuitem", name="运行所有单元格", exact=True).click()
    button = page.locator(".rk-show-solution")
    button.first.wait_for()
    kernel_idle.wait_for()
    page.wait_for_timeout(1000)
    from refundkit.widgets import LanguageSwitch, RefundCalculator

    answer = RefundCalculator(sop, LanguageSwitch(sop), goods="128.00", shipping="8.00", coupon="10.00").refund.total
    notebook = page.locator(".jp-Notebook")
    assert f"{sop.t('refund_amount', 'zh')} / {sop.t('refund_amount', 'en')} {answer}" not in notebook.inner_text()
    expect(page.locator(".rk-solution pre")).to_have_count(0)
    expect(page.get_by_text("NBVAL")).to_have_count(0)
    button.first.scroll_into_view_if_needed()
    page.screenshot(path=str(_shots() / "lab_run_all_solution_hidden.png"))
    expect(button.first).to_have_text(sop.t("show_solution", "zh"))
    button.first.click()
    expect(page.locator(".rk-solution pre").first).to_contain_text(str(answer))
    page.screenshot(path=str(_shots() / "lab_solution_shown.png"))


def _shots():
    from pathlib import Path

    shots = Path(__file__).resolve().parents[2] / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots
