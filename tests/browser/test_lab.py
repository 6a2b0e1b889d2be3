"""A lesson opened in JupyterLab, run top to bottom, one of its widgets clicked (in a real browser)."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect
REPO = Path(__file__).resolve().parents[2]


def _lesson_with(marker: str) -> str:
    """The first lesson whose code builds `marker` (so a renamed lesson does not break the test)."""
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        if any(marker in "".join(c["source"]) for c in cells if c["cell_type"] == "code"):
            return nb.name
    pytest.fail(f"no lesson in notebooks/ shows a {marker}")


def test_lesson_runs_in_jupyterlab(page, lab_server):
    from refundkit.sop import default_sop

    sop = default_sop()
    page.strict = False  # JupyterLab's own console noise is reported, the kit's errors still fail
    name = _lesson_with("RefundCalculator(")
    t0 = time.monotonic()
    page.goto(f"{lab_server.base}/lab/tree/{name}")  # the trainees' Lab starts at notebooks/
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\(ipykernel\) \| 空闲"))
    kernel_idle.wait_for()  # the lesson's kernel has started and connected
    # The trainees' Lab is in Chinese (zh-CN language pack): the menus lesson 00 names.
    page.locator(".lm-MenuBar-itemLabel", has_text="运行").first.click()
    page.get_by_role("menuitem", name="运行所有单元格", exact=True).click()
    calc = page.locator(".rk-calculator").first
    calc.wait_for()
    kernel_idle.wait_for()
    print(f"{name}: opened and run in {time.monotonic() - t0:.1f} s")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()

    goods = next(c for c in sop.parameters.amount.components if c.id == "goods")
    label = calc.locator(".rk-amount-goods label")
    expect(label).to_have_text(goods("zh"))
    switch = page.locator(".rk-lang").first
    switch.get_by_text(sop.ui["lang_name"]("en"), exact=True).click()  # the widget answers the click
    expect(label).to_have_text(goods("en"))
    calc.locator(".rk-amount-goods input").fill("88.80")
    expect(calc.locator(".rk-calc-result .rk-total")).to_contain_text("88.80")
    calc.scroll_into_view_if_needed()
