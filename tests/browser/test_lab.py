"""The trainees' JupyterLab (`make lab`) in a real browser: a lesson opened, run top to bottom,
its widget clicked; its solution hidden until asked; trainer material out of reach."""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect

from chromium_launch import save_png  # noqa: E402  (tests/chromium_launch.py)
REPO = Path(__file__).resolve().parents[2]

# Every code cell has run: its prompt shows a number, not [*] or [ ] (a cell whose code is
# folded away shows no prompt).
ALL_RUN_JS = """() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
  .map(e => e.textContent.trim()).filter(t => t);
  return p.length > 0 && p.every(t => /^\\[\\d+\\]/.test(t)); }"""


def _lesson_with(*markers: str) -> str:
    """The first lesson whose code holds every marker (so a renamed lesson does not break the test)."""
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "code")
        if all(m in code for m in markers):
            return nb.name
    pytest.fail(f"no lesson in notebooks/ holds {markers}")


def test_trainee_lab_runs_a_lesson_and_hides_trainer_material_and_answers(page, lab_server):
    """`make lab`'s Lab: Chinese menus, no news pop-up, lessons and exercises only, trainer files
    out of reach. Run All on the amount lesson: no error, the solution button and not the answer;
    the calculator answers a click and typed amounts; the button shows the engine's answer."""
    from refundkit.sop import default_sop
    from refundkit.widgets import LanguageSwitch, RefundCalculator

    sop = default_sop()
    page.strict = False  # JupyterLab's own console noise is reported, the kit's errors still fail
    base = lab_server.base
    for trainer_file in ("../exercises/trainer/workshop_dashboard.ipynb", "../exercises/TRAINER.md",
                         "..%2Fexercises%2Ftrainer%2Fworkshop_dashboard.ipynb"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(f"{base}/api/contents/{trainer_file}", timeout=10)
        assert exc.value.code in (400, 403, 404), trainer_file
    with urllib.request.urlopen(f"{base}/api/contents/", timeout=10) as r:
        names = {c["name"] for c in json.load(r)["content"]}
    assert "exercises" in names and "00_start_here.ipynb" in names and not names & {"trainer", "TRAINER.md"}

    name = _lesson_with("RefundCalculator(", "solution(")
    t0 = time.monotonic()
    page.goto(f"{base}/lab/tree/{name}")  # the trainees' Lab starts at notebooks/
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    menu_run = page.locator(".lm-MenuBar-itemLabel", has_text="运行").first
    expect(menu_run).to_be_visible()  # Chinese menus (zh-CN language pack): the menus lesson 00 names
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\(ipykernel\) \| 空闲"))
    kernel_idle.wait_for()  # the lesson's kernel has started and connected
    # on Unix sockets (the app's kernel spec, as `make lab` gives it), not on TCP ports
    connections = list((lab_server.log.parent / "jupyter_runtime_dir").glob("kernel-*.json"))
    assert [json.loads(f.read_text())["transport"] for f in connections] == ["ipc"]
    expect(page.get_by_text(re.compile("news|新闻", re.I))).to_have_count(0)  # no news pop-up
    menu_run.click()
    page.get_by_role("menuitem", name="运行所有单元格", exact=True).click()
    page.wait_for_function(ALL_RUN_JS, polling=250)
    kernel_idle.wait_for()
    print(f"{name}: opened and run in {time.monotonic() - t0:.1f} s")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()

    button = page.locator(".rk-show-solution").first
    answer = RefundCalculator(sop, LanguageSwitch(sop), goods="128.00", shipping="8.00", coupon="10.00").refund.total
    notebook = page.locator(".jp-Notebook")
    assert f"{sop.t('refund_amount', 'zh')} / {sop.t('refund_amount', 'en')} {answer}" not in notebook.inner_text()
    expect(page.locator(".rk-solution pre")).to_have_count(0)
    expect(page.get_by_text("NBVAL")).to_have_count(0)
    expect(button).to_have_text(sop.t("show_solution", "zh"))
    button.scroll_into_view_if_needed()
    save_png(page, _shots() / "lab_run_all_solution_hidden.png")

    calc = page.locator(".rk-calculator").first
    goods = next(c for c in sop.parameters.amount.components if c.id == "goods")
    label = calc.locator(".rk-amount-goods label")
    expect(label).to_have_text(goods("zh"))
    page.locator(".rk-lang").first.get_by_text(sop.ui["lang_name"]("en"), exact=True).click()
    expect(label).to_have_text(goods("en"))  # the widget answers the click
    calc.locator(".rk-amount-goods input").fill("88.80")
    expect(calc.locator(".rk-calc-result .rk-total")).to_contain_text("88.80")
    calc.scroll_into_view_if_needed()
    save_png(page, _shots() / "lab_calculator_en.png")

    expect(button).to_have_text(sop.t("show_solution", "en"))  # the lesson's switch relabels it too
    button.click()
    expect(page.locator(".rk-solution pre").first).to_contain_text(str(answer))
    page.locator(".rk-solution pre").first.scroll_into_view_if_needed()
    save_png(page, _shots() / "lab_solution_shown.png")


def _shots() -> Path:
    shots = REPO / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots
