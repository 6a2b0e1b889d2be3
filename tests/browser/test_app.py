"""The trainee app in a real browser: what a learner sees and clicks, checked against the SOP and engine.

The tests share one trainee page (the `learner` fixture: one tab, one kernel, as a learner keeps
one page all day) and move between its parts with the bar, as the learner does. Every expected
text is read from the SOP and every expected answer from the engine or the widget's own Python
API (a twin of the widget), never typed in here.
"""
from __future__ import annotations

import http.client
from urllib.parse import parse_qs, urlparse

import pytest

from refundkit.money import fmt

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect


@pytest.fixture(scope="module")
def sop():
    from refundkit.sop import default_sop

    return default_sop()


def test_old_addresses_lead_to_the_one_page(app_server):
    """Links handed out before the parts shared one page still open the right part, with what
    they carry (scenario, exercise, language); the entrance leads to the start page."""
    host = urlparse(app_server.base)
    tries = {"/": ("start.ipynb", {}),
             "/?lang=en": ("start.ipynb", {"lang": "en"}),
             "/voila/render/wizard.ipynb?scenario=SC05&lang=en": ("start.ipynb", {"part": "wizard", "scenario": "SC05", "lang": "en"}),
             "/voila/render/calculators.ipynb": ("start.ipynb", {"part": "calculators"}),
             "/voila/render/explorer.ipynb?lang=zh": ("start.ipynb", {"part": "explorer", "lang": "zh"}),
             "/voila/render/exercise.ipynb?id=ex02": ("start.ipynb", {"part": "exercise", "id": "ex02"})}
    # The language last chosen (the page keeps it in a cookie) opens an address that names none: a second tab
    from refundkit.app.remember import LANG_COOKIE

    remembered = {("/", "en"): ("start.ipynb", {"lang": "en"}),
                  ("/?lang=zh", "en"): ("start.ipynb", {"lang": "zh"}),  # the address's own wins
                  ("/voila/render/start.ipynb", "en"): ("start.ipynb", {"lang": "en"}),
                  ("/voila/render/wizard.ipynb", "en"): ("start.ipynb", {"part": "wizard", "lang": "en"}),
                  ("/", "xx"): ("start.ipynb", {})}  # not a language of the SOP's
    cases = [(path, None, *want) for path, want in tries.items()] + \
            [(path, cookie, *want) for (path, cookie), want in remembered.items()]
    for path, cookie, page, query in cases:
        con = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        con.request("GET", path, headers={"Cookie": f"{LANG_COOKIE}={cookie}"} if cookie else {})
        r = con.getresponse()
        r.read()
        con.close()
        assert r.status in (301, 302), f"{path}: {r.status}"
        to = urlparse(r.getheader("Location"))
        assert to.path.endswith(f"/voila/render/{page}"), (path, to)
        assert {k: v[-1] for k, v in parse_qs(to.query).items()} == query, (path, cookie, to)


def test_start_page_links_and_language_switch(learner, sop):
    page = learner.page
    learner.open("")  # the address `make app` prints
    assert "/voila/render/start.ipynb" in page.url
    print(f"voila serving after {learner.server.start_s:.1f} s")
    title = page.locator(".rk-app-title")
    expect(title).to_have_text(sop.t("app_title", "zh"))
    # The browser is told the page's language (Chinese drawn with the glyphs used in China) and titles the tab
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    expect(page).to_have_title(sop.t("app_title", "zh"))
    links = page.locator(".rk-app-links .rk-app-go")
    for name in ("app_wizard", "app_calculators", "app_explorer"):
        expect(links.filter(has_text=sop.t(name, "zh"))).to_have_count(1)
    expect(page.get_by_text(sop.t("greeting", "zh"))).to_be_visible()
    expect(page.get_by_text("refundkit.app")).to_have_count(0)  # no code on the page
    expect(page.get_by_text("Loading widget")).to_have_count(0)
    learner.no_cell_error()
    learner.shot("start_page_zh")

    page.locator(".rk-lang").get_by_text(sop.ui["lang_name"]("en"), exact=True).click()
    expect(title).to_have_text(sop.t("app_title", "en"))
    expect(page).to_have_title(sop.t("app_title", "en"))
    page.wait_for_function("document.documentElement.lang === 'en'")
    from refundkit.app.remember import LANG_COOKIE  # kept for a second tab (test_old_addresses_lead_to_the_one_page)

    page.wait_for_function(f"document.cookie.includes('{LANG_COOKIE}=en')")
    expect(page.get_by_text(sop.t("greeting", "en"))).to_be_visible()
    expect(page.get_by_text(sop.t("greeting", "zh"))).to_have_count(0)
    links.filter(has_text=sop.t("app_wizard", "en")).click()  # the same page, another part, no new kernel
    expect(page.locator(".rk-wizard")).to_be_visible()
    expect(title).to_contain_text(sop.t("app_wizard", "en"))
    page.wait_for_function("location.search.includes('part=wizard') && location.search.includes('lang=en')")
    learner.no_cell_error()

    # The error check can fail: an exception thrown in the page is counted as the kit's.
    page.evaluate("setTimeout(() => { throw new Error('rk-selftest') }, 0)")
    for _ in range(50):
        if any("rk-selftest" in e for e in page.kit_log.kit_errors(strict=True)):
            break
        page.wait_for_timeout(100)
    assert any("rk-selftest" in e for e in page.kit_log.kit_errors(strict=True)), page.kit_log
    page.kit_log.errors[:] = [e for e in page.kit_log.errors if "rk-selftest" not in e]
    # And the internet check can fail: a request that leaves localhost is cut and recorded.
    page.evaluate("fetch('http://rk-selftest.example/x').catch(() => {})")
    for _ in range(50):
        if page.kit_log.external:
            break
        page.wait_for_timeout(100)
    assert [u for u in page.kit_log.external if "rk-selftest.example" in u], page.kit_log
    page.kit_log.external.clear()
    page.kit_log.console_errors[:] = [e for e in page.kit_log.console_errors if "PROXY_CONNECTION_FAILED" not in e]


def _wizard_scenario(sop):
    """The first scenario whose wizard asks for a branch, the cautions and the amount, pays out,
    and has steps enough to switch language half way."""
    from refundkit.scenarios import load_scenarios
    from refundkit.widgets import LanguageSwitch, ProcedureWizard

    for sc in load_scenarios(sop):
        twin = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)
        kinds = set()
        for i in range(len(twin.stages)):
            twin.index = i
            kinds.add(twin.kind)
        if {"branch", "cautions", "amount"} <= kinds and not twin.decision.blocked_by and len(twin.stages) >= 5:
            return sc
    pytest.fail("no scenario in the bank walks the branch, cautions and amount steps to a refund in 5 steps or more")


def test_wizard_walk_keeps_its_step_across_a_language_switch(learner, sop):
    """One scenario through every step: a wrong branch flagged with the right answer, cautions
    required before the refund, the summary. Half way the language switches: the same step, the
    same answers, relabelled; on the summary it switches back and the summary stays."""
    from refundkit.widgets import LanguageSwitch, ProcedureWizard

    page = learner.page
    sc = _wizard_scenario(sop)
    twin = ProcedureWizard(sop, LanguageSwitch(sop), scenario=sc)  # the same wizard in Python: the expectations
    learner.go("wizard", lang="zh")
    page.locator(".rk-app-scenario select").select_option(label=sc.title("zh"))
    wz = page.locator(".rk-wizard")
    expect(wz.locator(".rk-wizard-case")).to_contain_text(sc.title("zh"))
    feedback = wz.locator(".rk-feedback")
    heading = wz.locator(".rk-step h4")
    shown_wrong = False

    def walk_one(lang: str) -> None:
        nonlocal shown_wrong
        kind = twin.kind
        step = sop.step_by_id[twin.step_id]
        expect(heading).to_contain_text(f"{twin.index + 1}/{len(twin.stages)}: {step(lang)}")  # its place, not its id
        expect(heading).not_to_contain_text(step.id)
        if kind in ("branch", "reason", "method"):
            right = twin.expected()
            answers = [right]
            if kind == "branch" and not shown_wrong:
                answers.insert(0, next(v for _, v in twin.options_for(kind) if v != right))
            for value in answers:
                wz.locator(".rk-wizard-choice").get_by_label(twin.label(kind, value, lang), exact=True).check()
                wz.locator(".rk-check").click()
                twin.answer(value)
                if value != right:
                    expect(feedback.locator(".rk-msg-error")).to_contain_text(sop.t("wrong", lang))
                    expect(feedback).to_contain_text(twin.label(kind, right, lang))  # the right answer and why
                    expect(wz.locator(".rk-next")).to_be_disabled()
                    learner.shot("wizard_wrong_choice_flagged")
                    shown_wrong = True
                else:
                    expect(feedback.locator(".rk-msg-ok")).to_have_text(sop.t("correct", lang))
        elif kind == "amount":
            wz.locator(".rk-wizard-amount input").fill(fmt(twin.expected()))
            wz.locator(".rk-check").click()
            twin.answer(twin.expected())
            expect(feedback.locator(".rk-msg-ok")).to_have_text(sop.t("correct", lang))
        elif kind == "cautions":
            refund = wz.locator(".rk-refund")
            expect(refund).to_be_disabled()  # not before every caution that applies is ticked
            boxes = twin.checklist.applicable
            assert boxes, "the scenario has cautions to tick"
            for cid in boxes[:-1]:
                wz.locator(f".rk-caution-{cid} input[type=checkbox]").check()
            expect(refund).to_be_disabled()  # one still missing
            learner.shot("wizard_cautions_pending")
            wz.locator(f".rk-caution-{boxes[-1]} input[type=checkbox]").check()
            expect(refund).to_be_enabled()
            refund.click()
            twin.checklist.tick(*boxes)
            twin.answer("refund")
            expect(feedback.locator(".rk-msg-ok")).to_have_text(sop.t("correct", lang))
        wz.locator(".rk-next").click()
        twin.next_button.click()

    for _ in range(3):
        walk_one("zh")
    step = sop.step_by_id[twin.step_id]
    expect(heading).to_contain_text(f"{twin.index + 1}/{len(twin.stages)}: {step('zh')}")
    learner.shot("wizard_step4_zh")
    learner.switch("en")
    expect(heading).to_contain_text(f"{twin.index + 1}/{len(twin.stages)}: {step('en')}")  # relabelled in place, same step
    expect(wz.locator(".rk-next")).to_have_text(sop.t("next", "en"))
    learner.shot("wizard_step4_switched_en")
    # Walking on answers this step's question: a late echo of the switch that restarted the walk
    # would have reached the kernel before these clicks, and the answers would not be found.
    while not twin.finished:
        walk_one("en")
    assert shown_wrong
    right = sum(r["right"] for r in twin.results)
    score = wz.locator(".rk-summary .rk-score")
    expect(score).to_contain_text(f"{sop.t('right_count', 'en')}: {right}")
    expect(score).to_contain_text(f"{sop.t('wrong_count', 'en')}: {len(twin.results) - right}")
    expect(wz.locator(".rk-summary .rk-result-wrong")).to_have_count(1)
    expect(wz.locator(".rk-summary")).to_contain_text(sop.action_by_id[twin.decision.action]("en"))
    learner.shot("wizard_summary_en")
    learner.switch("zh")
    expect(score).to_contain_text(f"{sop.t('right_count', 'zh')}: {right}")  # the summary follows the switch
    expect(wz.locator(".rk-summary")).to_contain_text(sop.action_by_id[twin.decision.action]("zh"))
    learner.no_cell_error()
    # The page opened again at its address (a new kernel, as a reload; by way of a blank page, so that the old
    # kernel's shutdown call is not cut) takes the walk up: the same scenario's summary, the same score
    page.wait_for_function("new URLSearchParams(location.search).has('walk')")
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.locator(".rk-app.rk-at-wizard").wait_for()
    expect(wz.locator(".rk-wizard-case")).to_contain_text(sc.title("zh"))
    expect(score).to_contain_text(f"{sop.t('right_count', 'zh')}: {right}")
    expect(wz.locator(".rk-summary .rk-result-wrong")).to_have_count(1)
    learner.quiet()
    learner.no_cell_error()
