"""The trainee app's pages driven in Python (no browser): texts from the SOP, links, language, serving."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from refundkit.app import pages
from refundkit.app.serve import APP_DIR, SHARE_DIR, START_PAGE, voila_argv, voila_env

TEMPLATE = SHARE_DIR / "voila" / "templates" / "refundkit"


def _links(page) -> list[tuple[str, str]]:
    html = page.body.children[1].value
    return re.findall(r"href='([^']+)'[^>]*><b>([^<]+)</b>", html)


def test_language_comes_from_the_address():
    assert pages.page_lang(pages.query("lang=en&id=ex01")) == "en"
    assert pages.page_lang(pages.query("")) == "zh"           # Chinese by default
    assert pages.page_lang(pages.query("lang=fr")) == "zh"    # an unknown language is not an error


def test_start_page_links_every_page_and_follows_the_switch(sop):
    page = pages.start(sop, params={})
    assert sop.t("app_title", "zh") in page.title.value
    links = _links(page)
    names = [name for _, name in links]
    for key, _about in pages.PAGES.values():
        assert sop.t(key, "zh") in names
    assert all("lang=zh" in href for href, _ in links)
    for href, _ in links:  # every link opens a page that exists
        assert (APP_DIR / href.split("?")[0]).is_file(), href

    page.lang.value = "en"
    assert sop.t("app_title", "en") in page.title.value and sop.t("app_title", "zh") not in page.title.value
    links = _links(page)
    assert sop.t("app_wizard", "en") in [name for _, name in links]
    assert all("lang=en" in href for href, _ in links)


def test_start_page_lists_the_exercises_answerable_without_code(sop):
    from refundkit.exercises import default_bank

    bank = default_bank()
    listed = {href.split("id=")[1] for href, _ in _links(pages.start(sop, params={})) if "id=" in href}
    no_code = {ex.id for ex in bank.exercises if all(q.query is None for q in bank.questions_of(ex.id))}
    assert listed == no_code and no_code
    data_only = {ex.id for ex in bank.exercises} - no_code
    assert data_only, "the data exercise (pandas) stays in JupyterLab"


def test_exercise_page_shows_every_question_and_records_in_the_progress_db(sop, tmp_path, monkeypatch):
    from refundkit.exercises import answer_key, default_bank
    from refundkit.progress import ProgressStore

    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "p.sqlite"))
    bank = default_bank()
    ex = bank.exercises[0]
    page = pages.exercise(sop, params={"id": ex.id, "lang": "en"})
    assert page.lang.value == "en" and ex.id in page.title.value
    questions = bank.questions_of(ex.id)
    assert list(page.exercise.widgets) == [q.id for q in questions]
    page.exercise.name.value = "Li Lei"
    q = questions[0]
    w = page.exercise.widgets[q.id]
    w.set_answer(answer_key(q, sop).answer)
    w.check()
    rows = list(ProgressStore(tmp_path / "p.sqlite").rows())
    assert [(r["learner"], r["question"], r["correct"]) for r in rows] == [("Li Lei", q.id, True)]


def test_unknown_exercise_says_so(sop):
    page = pages.exercise(sop, params={"id": "nope"})
    assert page.body.children[0].value == f"<p>{sop.t('app_no_exercise', 'zh')}</p>"


def test_wizard_page_lists_the_scenarios_and_preselects_one(sop, scenarios):
    page = pages.wizard(sop, params={"scenario": scenarios[2].id})
    picker, holder = page.body.children
    assert picker.value == scenarios[2].id and len(picker.options) == len(scenarios)
    assert holder.children[0].scenario.id == scenarios[2].id
    picker.value = scenarios[0].id  # another scenario: a fresh wizard
    assert holder.children[0].scenario.id == scenarios[0].id and holder.children[0].index == 0
    page.lang.value = "en"
    assert picker.options[0][0] == f"{scenarios[0].id} {scenarios[0].title('en')}"


def test_every_app_notebook_calls_one_page():
    for nb in APP_DIR.glob("*.ipynb"):
        source = "".join(json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"])
        call = re.search(r"pages\.(\w+)\(\)", source)
        assert call and callable(getattr(pages, call.group(1))), nb.name
        assert call.group(1) == nb.stem
    assert (APP_DIR / START_PAGE.rsplit("/", 1)[1]).is_file()


def test_voila_command_uses_the_kits_template():
    argv = voila_argv(8899, ["--theme=dark"])
    assert str(APP_DIR) in argv and "--port=8899" in argv and "--template=refundkit" in argv
    assert argv[-1] == "--theme=dark"
    env = voila_env({"JUPYTER_PATH": "/elsewhere"})
    assert env["JUPYTER_PATH"].split(":")[0] == str(SHARE_DIR) and env["JUPYTER_PATH"].endswith("/elsewhere")
    assert json.loads((TEMPLATE / "conf.json").read_text())["base_template"] == "lab"


def test_template_drops_every_cdn_link_of_voilas_lab_template():
    """If a Voila upgrade adds or changes a CDN link, this names it (the browser test sees the request)."""
    from jupyter_core.paths import jupyter_path

    lab = next((Path(p) / "lab" / "index.html.j2" for p in jupyter_path("voila", "templates")
                if (Path(p) / "lab" / "index.html.j2").is_file()), None)
    if lab is None:
        pytest.skip("Voila's lab template is not installed")
    cdn_links = re.findall(r'<link [^>]*href="https?://[^"]+"[^>]*/>', lab.read_text())
    ours = (TEMPLATE / "index.html.j2").read_text()
    assert cdn_links and all(link in ours for link in cdn_links), cdn_links
