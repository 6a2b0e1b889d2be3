"""The trainee app in a real browser: what a learner sees and clicks, checked against the SOP and engine.

Every expected text is read from the SOP and every expected answer from the
engine or the widget's own Python API, never typed in here.
"""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from refundkit.money import fmt

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect


@pytest.fixture(scope="module")
def sop():
    from refundkit.sop import default_sop

    return default_sop()


def test_start_page_links_and_language_switch(page, app, sop):
    app.open("start.ipynb")
    print(f"voila serving after {app.server.start_s:.1f} s")
    title = page.locator(".rk-app-title")
    expect(title).to_have_text(sop.t("app_title", "zh"))
    links = page.locator(".rk-app-links a.rk-app-link")
    for name in ("app_wizard", "app_calculators", "app_explorer"):
        expect(links.filter(has_text=sop.t(name, "zh"))).to_have_count(1)
    expect(page.get_by_text(sop.t("greeting", "zh"))).to_be_visible()
    assert page.locator(".jp-InputArea").count() == 0 or not page.locator(".jp-InputArea").first.is_visible()
    app.no_cell_error()
    app.shot("start_page_zh")

    page.locator(".rk-lang").get_by_text(sop.ui["lang_name"]("en")).click()
    expect(title).to_have_text(sop.t("app_title", "en"))
    expect(page.get_by_text(sop.t("greeting", "en"))).to_be_visible()
    expect(page.get_by_text(sop.t("greeting", "zh"))).to_have_count(0)
    wizard_link = links.filter(has_text=sop.t("app_wizard", "en"))
    expect(wizard_link).to_have_attribute("href", "wizard.ipynb?lang=en")

    t0 = time.monotonic()
    wizard_link.click()  # the choice of language follows the link
    page.locator(".rk-wizard").wait_for()
    print(f"wizard page drawn {time.monotonic() - t0:.1f} s after the click")
    expect(page.locator(".rk-app-title")).to_contain_text(sop.t("app_wizard", "en"))
    expect(page.locator(".rk-next")).to_have_text(sop.t("next", "en"))
    app.no_cell_error()
