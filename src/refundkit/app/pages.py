"""The trainee app's pages: what each notebook in `app/` shows, in one call.

    from refundkit.app import pages
    pages.start()         # app/start.ipynb: links to every page and exercise
    pages.wizard()        # app/wizard.ipynb?scenario=SC01
    pages.calculators()   # refund amount calculator and deadline clock
    pages.explorer()      # decision explorer with the SOP flowchart
    pages.exercise()      # app/exercise.ipynb?id=<exercise id>

Every page opens with the same bar: the kit's title, a link back to the start
page and the language switch. The language comes from the page address
(`?lang=en`; Chinese by default) and every link carries the current one, so a
learner's choice follows them from page to page. Texts come from the SOP,
answers from the engine through the lesson and exercise widgets; nothing is
decided here.
"""
from __future__ import annotations

import os
from html import escape
from urllib.parse import parse_qs, urlencode

import ipywidgets as W

from ..sop import LANGS, Sop, default_sop

# page -> (SOP ui word for its name, ui word for one line about it)
PAGES = {
    "wizard": ("app_wizard", "app_wizard_about"),
    "calculators": ("app_calculators", "app_calculators_about"),
    "explorer": ("app_explorer", "app_explorer_about"),
}


def query(text: str | None = None) -> dict[str, str]:
    """The page address's parameters; Voila hands them to the kernel as QUERY_STRING."""
    text = os.environ.get("QUERY_STRING", "") if text is None else text
    return {k: v[-1] for k, v in parse_qs(text).items()}


def page_lang(params: dict[str, str]) -> str:
    lang = params.get("lang", LANGS[0])
    return lang if lang in LANGS else LANGS[0]


def href(page: str, lang: str, **params: str) -> str:
    """A link to another app page, relative so it works under any base URL."""
    return f"{page}.ipynb?" + urlencode({"lang": lang, **params})


class Page(W.VBox):
    """A page: the top bar (title, home link, language switch) above its body.

    `self.lang` is the language switch every widget of the page obeys; `on_lang`
    callbacks redraw the page's own texts (the widgets redraw themselves).
    """

    def __init__(self, name: str, sop: Sop | None = None, params: dict[str, str] | None = None):
        from ..widgets import LanguageSwitch  # the lessons' switch, so the widgets follow it

        super().__init__()
        self.name = name
        self.sop = sop or default_sop()
        self.params = query() if params is None else params
        self.lang = LanguageSwitch(self.sop, value=page_lang(self.params))
        self.title = W.HTML()
        self.title.add_class("rk-app-title")
        self.home = W.HTML()
        self.home.add_class("rk-app-home")
        self.bar = W.HBox([self.title, self.lang, self.home],
                          layout=W.Layout(align_items="center", justify_content="space-between",
                                          flex_flow="row wrap"))
        self.bar.add_class("rk-app-bar")
        self.body = W.VBox()
        self.children = [self.bar, self.body]
        self.add_class("rk-app")
        self.add_class(f"rk-app-{name}")
        self.subtitle = None  # lang -> text after the kit's title, for pages not in PAGES
        self._redraws = [self._draw_bar]
        self._draw_bar()
        self.lang.observe(lambda _ch: self.redraw(), "value")

    def t(self, key: str) -> str:
        return self.sop.t(key, self.lang.value)

    def on_lang(self, draw) -> None:
        self._redraws.append(draw)
        draw()

    def redraw(self) -> None:
        for draw in self._redraws:
            draw()

    def _draw_bar(self) -> None:
        own = PAGES.get(self.name, (None,))[0]
        text = self.t(own) if own else self.subtitle(self.lang.value) if self.subtitle else ""
        sub = f" · {escape(text)}" if text else ""
        self.title.value = f"<h2 style='margin:0.3em 0'>{escape(self.t('app_title'))}{sub}</h2>"
        self.home.value = "" if self.name == "start" else (
            f"<a class='rk-app-link' data-page='start' href='{href('start', self.lang.value)}'>"
            f"⌂ {escape(self.t('app_start'))}</a>")


def _link_item(page: str, lang: str, name: str, about: str, **params: str) -> str:
    return (f"<li style='margin:0.4em 0'><a class='rk-app-link' data-page='{escape(page)}' "
            f"href='{escape(href(page, lang, **params))}' style='color:#1565c0;text-decoration:underline'>"
            f"<b>{escape(name)}</b></a>"
            f"<br><span style='color:#555'>{escape(about)}</span></li>")


def exercise_list() -> list:
    """The exercises a learner answers with the mouse alone: those with no data question,
    which needs a code cell (pandas) and stays in JupyterLab."""
    from ..exercises import default_bank

    bank = default_bank()
    return [ex for ex in bank.exercises if all(q.query is None for q in bank.questions_of(ex.id))]


def start(sop: Sop | None = None, params: dict[str, str] | None = None) -> Page:
    """The start page: what the app is, and a link to every page and exercise."""
    page = Page("start", sop, params)
    intro, links = W.HTML(), W.HTML()
    intro.add_class("rk-app-intro")
    links.add_class("rk-app-links")
    page.body.children = [intro, links]
    exercises = exercise_list()

    def draw() -> None:
        lang = page.lang.value
        intro.value = f"<p>{escape(page.t('greeting'))}</p><p>{escape(page.t('app_intro'))}</p>"
        items = [_link_item(p, lang, page.t(k), page.t(a)) for p, (k, a) in PAGES.items()]
        html = "<ul style='list-style:none;padding-left:0'>" + "".join(items) + "</ul>"
        if exercises:
            ex_items = [_link_item("exercise", lang, ex.title(lang), ex.intro(lang), id=ex.id)
                        for ex in exercises]
            html += (f"<h3>{escape(page.t('app_exercises'))}</h3><p>{escape(page.t('app_exercises_about'))}</p>"
                     "<ul style='list-style:none;padding-left:0'>" + "".join(ex_items) + "</ul>")
        links.value = html

    page.on_lang(draw)
    return page


def wizard(sop: Sop | None = None, params: dict[str, str] | None = None) -> Page:
    """The procedure wizard on a scenario of the bank, chosen from a list (`?scenario=` preselects)."""
    from ..scenarios import load_scenarios
    from ..widgets import ProcedureWizard

    page = Page("wizard", sop, params)
    bank = {sc.id: sc for sc in load_scenarios(page.sop)}
    first = page.params.get("scenario")
    picker = W.Dropdown(options=list(bank), value=first if first in bank else next(iter(bank)),
                        layout=W.Layout(width="36em"), style={"description_width": "initial"})
    picker.add_class("rk-app-scenario")
    holder = W.VBox()  # the wizard shows the scenario's title and story itself
    page.body.children = [picker, holder]

    relabelling = False

    def show(_ch=None) -> None:
        # Only a learner's pick starts a new walk. New option labels (a language switch) move the
        # value to the first scenario and back: that must keep the learner's step and choices.
        shown = holder.children[0].scenario.id if holder.children else None
        if not relabelling and picker.value in bank and picker.value != shown:
            holder.children = [ProcedureWizard(page.sop, page.lang, scenario=bank[picker.value])]

    def draw() -> None:
        nonlocal relabelling
        lang = page.lang.value
        picker.description = page.t("app_scenario")
        value = picker.value
        relabelling = True
        try:
            picker.options = [(f"{sc.id} {sc.title(lang)}", sc.id) for sc in bank.values()]
            picker.value = value
        finally:
            relabelling = False

    page.on_lang(draw)
    show()
    picker.observe(show, "value")
    return page


def calculators(sop: Sop | None = None, params: dict[str, str] | None = None) -> Page:
    """The refund amount calculator and the deadline clock, read at the training clock."""
    from ..lessons import bank, clock as training_clock
    from ..widgets import DeadlineClock, RefundCalculator

    page = Page("calculators", sop, params)
    calc = RefundCalculator(page.sop, page.lang)
    example = next(iter(bank().values()))  # the clock opens on the bank's first case, read as the lessons read it
    clock = DeadlineClock(page.sop, page.lang, requested_at=example.case.requested_at, now=training_clock())
    heads = [W.HTML(), W.HTML()]
    page.body.children = [heads[0], calc, heads[1], clock]

    def draw() -> None:
        heads[0].value = f"<h3>{escape(page.t('refund_amount'))}</h3>"
        heads[1].value = f"<h3>{escape(page.t('deadline'))}</h3>"

    page.on_lang(draw)
    return page


def explorer(sop: Sop | None = None, params: dict[str, str] | None = None) -> Page:
    """The decision explorer and its flowchart."""
    from ..widgets import DecisionExplorer

    page = Page("explorer", sop, params)
    page.body.children = [DecisionExplorer(page.sop, page.lang)]
    return page


def exercise(sop: Sop | None = None, params: dict[str, str] | None = None) -> Page:
    """One exercise (`?id=`): the learner's name once, every question, the score.

    The checks land in the same progress record as in JupyterLab ($REFUNDKIT_DB),
    through the exercises' own session.
    """
    from ..exercises import BankError, Exercise, default_bank

    page = Page("exercise", sop, params)
    bank = default_bank()
    try:
        ex = Exercise(page.params.get("id", ""), page.sop, bank, lang=page.lang)
    except BankError:
        missing = W.HTML()
        missing.add_class("rk-app-missing")
        page.body.children = [missing]
        page.on_lang(lambda: setattr(missing, "value", f"<p>{escape(page.t('app_no_exercise'))}</p>"))
        return page
    page.exercise = ex
    questions = [ex.question(q.id) for q in bank.questions_of(ex.info.id)]
    page.body.children = [ex.title, ex.name, *questions, ex.score_panel()]
    page.subtitle = lambda lang: f"{page.sop.t('app_exercises', lang)} {ex.info.id}"
    page.redraw()
    return page
