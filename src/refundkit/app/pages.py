"""The trainee app: one page per trainee holding every part, swapped in place.

    from refundkit.app import pages
    app = pages.App()          # the bar (title, parts, language, name) and the start part
    app                        # displayed by app/start.ipynb
    app.open_request()         # waits for the trainee's request (a preheated kernel), opens the part it names
    app.show("wizard")         # or "start", "calculators", "explorer", ("exercise", id="ex01")

Parts are built the first time they are shown and kept, so moving between them
costs no new kernel and keeps what the learner did there. A preheated kernel
builds every part before the trainee comes (they reach the browser with the
page's widget states) and puts them into the page once it is drawn; a kernel
that was not preheated builds them in idle time after the first draw, one kernel
of a room at a time (`prebuild`, `refundkit.app.turn`), or when asked for. The address says
which part to open (`?part=wizard`, `?part=exercise&id=ex01`, `?scenario=SC01`)
and in which language (`?lang=en`; Chinese by default). A language switch relabels the bar and
the part shown; a hidden part is relabelled when it is shown (`PartLanguage`).

The learner's name is asked once, in the bar (CSS `rk-app-name`), and reaches
every exercise; the page's script keeps it in the browser (localStorage), so a
reload or a second tab fills it in. A name set by the environment
(`REFUNDKIT_LEARNER`, or `JUPYTERHUB_USER` under JupyterHub) is used as it is.
With a name, each exercise takes up the learner's earlier checks from the
record: answers, feedback and score, and the start part shows done/total.

CSS hooks for the page's script and the browser tests: `rk-app` on the page,
`rk-at-<part>`, `rk-at-id-<exercise>` and `rk-lang-<lang>` say where it is, `rk-state-<key>-<value>`
what the address keeps besides (the wizard's scenario and walk, the calculators' and the explorer's
values), so a reload takes the learner's work up where it was (and a second page too: the browser keeps it,
`refundkit.app.remember`; another learner's name puts it back as it first looked);
`rk-app-go` buttons with `rk-go-<part>` (and `rk-go-<exercise id>`) move.
Texts come from the SOP, answers from the engine through the lesson and
exercise widgets; nothing is decided here.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from html import escape
from urllib.parse import parse_qs

import ipywidgets as W
from traitlets import HasTraits, TraitError, Unicode

from ..names import normalise_name
from ..sop import LANGS, Sop, default_sop
from ..widgets.shared import layout as shared_layout, make, own_layout
from .remember import KEPT_PARTS

# part -> (SOP ui word for its name, ui word for one line about it)
PARTS = {
    "wizard": ("app_wizard", "app_wizard_about"),
    "calculators": ("app_calculators", "app_calculators_about"),
    "explorer": ("app_explorer", "app_explorer_about"),
}
LEARNER_ENV = ("REFUNDKIT_LEARNER", "JUPYTERHUB_USER")


def query(text: str | None = None) -> dict[str, str]:
    """The page address's parameters; Voila hands them to the kernel as QUERY_STRING."""
    text = os.environ.get("QUERY_STRING", "") if text is None else text
    return {k: v[-1] for k, v in parse_qs(text).items()}


STATE_MAX = 4096  # characters of a part's state in an address: some hundred steps, more than any walk takes


def state_text(state) -> str:
    """A part's state (the wizard's walk, a part's values) as address-safe text: base64url of its JSON. It
    goes into a CSS class and from there into the page's address."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _read_state(text: str):
    if not text or len(text) > STATE_MAX:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):  # not base64, not UTF-8, not JSON
        return None


def read_walk(text: str) -> list:
    """The wizard's walk an address carries; [] if it carries none that reads (anyone can type an address)."""
    walk = _read_state(text)
    return walk if isinstance(walk, list) else []


def read_values(text: str) -> dict:
    """A part's values an address carries (name -> text or None); {} if none that reads."""
    values = _read_state(text)
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(k, str) and (v is None or isinstance(v, str))}


def page_lang(params: dict[str, str]) -> str:
    lang = params.get("lang", LANGS[0])
    return lang if lang in LANGS else LANGS[0]


def env_learner() -> str:
    """The learner's name when a login provides it (JupyterHub), else ''."""
    return next((normalise_name(os.environ[v]) for v in LEARNER_ENV if os.environ.get(v, "").strip()), "")


def exercise_list() -> list:
    """The exercises a learner answers with the mouse alone: those with no data question,
    which needs a code cell (pandas) and stays in JupyterLab."""
    from ..exercises import default_bank

    bank = default_bank()
    return [ex for ex in bank.exercises if all(q.query is None for q in bank.questions_of(ex.id))]


# The page's own layout (the widgets' rules are in refundkit.widgets.base): the bar wraps its
# parts; on a phone (up to 600 px) the name and the scenario list take a line each, their
# labels above them, so long English titles and the name's hint show whole.
APP_STYLE = """<style>
.rk-app-bar { display: flex; flex-flow: row wrap; align-items: center; justify-content: space-between;
  gap: 0.3em 1em; max-width: 100%; }
.rk-app-nav, .rk-app-name-box { display: flex; flex-flow: row wrap; align-items: center; max-width: 100%;
  gap: 0.2em 0.5em; }
.rk-app-name-hint .widget-html-content { white-space: normal; line-height: 1.3; }
.rk-app .rk-app-go { max-width: 100%; white-space: normal; height: auto; line-height: 1.3;
  min-height: var(--jp-widgets-inline-height, 28px); padding-top: 0.2em; padding-bottom: 0.2em; }
.rk-app-links .rk-app-go { text-align: left; }
.rk-app-scenario { flex-wrap: wrap; max-width: 100%; height: auto !important;
  min-height: var(--jp-widgets-inline-height, 28px); }  /* its label above it (a phone) makes it taller */
.rk-app-scenario > select { height: var(--jp-widgets-inline-height, 28px); }  /* and the list keeps its height */
@media (max-width: 600px) {
  .rk-app-name-box { width: 100%; }
  .rk-app-scenario { width: calc(100% - 2 * var(--jp-widgets-margin, 2px)) !important; }
  .rk-app-name { flex: 1 1 10em; }
  .rk-app-scenario > .widget-label { width: 100% !important; max-width: 100% !important; text-align: left;
    margin-right: 0; }
  .rk-app-scenario > select { flex: 1 1 100% !important; width: 100% !important; }
}
</style>"""


def _key(part: str, id: str = "") -> str:
    """A built part's key in `App.parts`: the part, or `exercise:<id>` for an exercise."""
    return f"exercise:{id}" if part == "exercise" else part


def _go(cls: str, link: bool = False) -> W.Button:
    """A button moving to a part; with `link`, drawn as a link on the start part (it moves within
    the page, no new address)."""
    if link:
        return make(W.Button, layout={"width": "auto", "align_self": "flex-start"},
                    style={"button_color": "#e3f2fd", "text_color": "#0d47a1", "font_weight": "bold"},
                    classes=("rk-app-go", f"rk-go-{cls}"))
    return make(W.Button, layout={"width": "auto"}, classes=("rk-app-go", f"rk-go-{cls}"))


class PartLanguage(HasTraits):
    """The language one part of the page is drawn in (its widgets follow `value`, as they follow a
    LanguageSwitch): the page's language as it was when the part was last in sight. A switch
    relabels the part shown; a hidden part catches up when it is shown, so a switch costs the
    browser one part's relabelling, not the whole page's (~500 widgets)."""

    value = Unicode("zh")


class App(W.VBox):
    """Every part of the trainee app in one page: bar above, the part shown below."""

    def __init__(self, sop: Sop | None = None, params: dict[str, str] | None = None, store=None):
        from ..widgets import LanguageSwitch  # the lessons' switch, so the widgets follow it

        super().__init__(layout=shared_layout())  # not changed: see `refundkit.widgets.shared`
        self.sop = sop or default_sop()
        if store is None:  # one record for every part of the page (one connection, opened once)
            from ..progress import ProgressStore

            store = ProgressStore()
        self.store = store
        self.lang = LanguageSwitch(self.sop, value=page_lang(params or {}))
        self.title = make(W.HTML, classes=("rk-app-title",))
        self.nav = {p: _go(p) for p in ("start", *PARTS)}
        for p, b in self.nav.items():
            b.on_click(lambda _b, p=p: self.show(p))
        self.name = make(W.Text, continuous_update=False, layout={"width": "14em", "max_width": "100%"},
                         style={"description_width": "initial"}, classes=("rk-name", "rk-app-name"))
        # What the box is for, beside it and wrapping (a hint inside the box is cut on a phone).
        self.name_hint = make(W.HTML, classes=("rk-app-name-hint",))
        fixed = env_learner()
        if fixed:
            self.name.value, self.name.disabled = fixed, True
            own_layout(self.name_hint).display = "none"  # the login gave the name
        self.learner = fixed
        self._firsts: dict[str, dict] = {}  # part -> how its kept widgets first look (`_keep`)
        self.name.observe(lambda ch: self._set_learner(ch["new"]), "value")
        name_box = make(W.HBox, [self.name, self.name_hint], classes=("rk-app-name-box",))
        nav = make(W.HBox, list(self.nav.values()), classes=("rk-app-nav",))
        self.bar = make(W.HBox, [self.title, nav, self.lang, name_box], classes=("rk-app-bar",))
        self.body = make(W.VBox)
        self.children = [make(W.HTML, APP_STYLE, layout={"display": "none"}), self.bar, self.body]
        self.add_class("rk-app")
        self.parts: dict[str, W.Widget] = {}
        self._kept: dict[str, dict] = {}  # part -> its widgets whose values a reload takes up (`_keep`)
        self._langs: dict[str, PartLanguage] = {}  # part key -> the language it is drawn in
        self.exercises: dict[str, object] = {}  # exercise id -> refundkit.exercises.Exercise
        self.part, self.part_id = "", ""
        self._prebuilding = False
        self._view_count = 0  # the browser reports its views of the page: see _drawn
        self.observe(self._drawn, "_view_count")
        self.lang.observe(lambda ch: self._on_lang(ch["old"], ch["new"]), "value")
        self.add_class(f"rk-lang-{self.lang.value}")
        self.show("start")

    # -- words and redraws ---------------------------------------------------------
    def t(self, key: str) -> str:
        return self.sop.t(key, self.lang.value)

    @staticmethod
    def _drawn_in(lang: PartLanguage, draw) -> None:
        """Draw a part's own texts now, and again whenever its language moves."""
        draw()
        lang.observe(lambda _ch: draw(), "value")

    def _on_lang(self, old: str, new: str) -> None:
        # One message for the page's classes, however many of them the relabelling moves on the way
        # (a relabelled list passes through other values): the browser writes the address once.
        with self.hold_sync():
            self.remove_class(f"rk-lang-{old}")
            self.add_class(f"rk-lang-{new}")
            self._draw_bar()
            if self.part:
                self._langs[_key(self.part, self.part_id)].value = new

    def _draw_bar(self) -> None:
        if self.part == "exercise" and self.part_id in self.exercises:
            sub = self.exercises[self.part_id].info.title(self.lang.value)
        else:
            sub = self.t(PARTS[self.part][0]) if self.part in PARTS else ""
        sub = f" · {escape(sub)}" if sub else ""
        self.title.value = f"<h2 style='margin:0.3em 0'>{escape(self.t('app_title'))}{sub}</h2>"
        self.nav["start"].description = "⌂ " + self.t("app_start")
        for p, (k, _a) in PARTS.items():
            self.nav[p].description = self.t(k)
        for p, b in self.nav.items():
            b.button_style = "info" if p == self.part else ""
        self.name.description = self.t("your_name")
        self.name_hint.value = f"<span style='color:#666'>{escape(self.t('app_name_once'))}</span>"

    # -- moving between parts --------------------------------------------------------
    def open_request(self, part: str | None = None) -> None:
        """Open what the page's address asks for. With a preheated kernel this waits for the
        trainee's request first (the kernel ran this page before anyone asked for it)."""
        try:
            from voila.utils import ENV_VARIABLE, wait_for_request
        except ImportError:  # not under Voila (a test, a notebook)
            wait_for_request = None
        if wait_for_request is not None:
            if os.getenv(ENV_VARIABLE.VOILA_PREHEAT, "False") != "False":  # nobody is waiting yet
                self._open_record()
                # Every part built now: when the trainee comes they reach the browser with the page's
                # widget states (one message), not as widget messages in the rush, and the kernel has
                # nothing left to build while the trainee clicks (~500 models in all, their Layouts and
                # styles shared: see refundkit.widgets.shared).
                for ahead, id in self._other_parts():
                    self._add(ahead, id, attach=False)
            wait_for_request()
        self.follow(query(), part)

    def _open_record(self) -> None:
        """Connect to the progress record before the trainee comes (a preheated kernel has the
        time): the first check or return of a room then does not queue to open it."""
        from ..progress import ProgressError

        try:
            self.store.connection().close()  # the connection stays in the store's pool
        except ProgressError:
            pass  # said where it matters: at the learner's first check

    def prebuild(self, delay: float = 1.0, gap: float = 0.4) -> None:
        """Build the other parts into the page, hidden, in the kernel's idle time: one every `gap`
        seconds, starting `delay` seconds after the page is drawn in the browser (so its first
        draw does not wait for them), and in a room only on the room's turn (`turn`: one
        kernel at a time). Moving to them later only changes a style; a part not built yet is
        built when asked for. Parts a preheated kernel built before the trainee came
        (`open_request`) are only put into the page (no turn needed: one message each, the
        browser draws them in its idle time). Outside a running kernel: nothing."""
        import asyncio
        import random

        from .turn import Turn

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        todo = self._other_parts()
        room = Turn()

        def step() -> None:
            room.give_back()  # held through the gap after a part: the server relays it before the next kernel's
            while todo and _key(*todo[0]) in self.parts:
                part, id = todo.pop(0)  # built already: ahead, or the learner went there
                if self.parts[_key(part, id)] not in self.body.children:  # built ahead: into the page (one message)
                    self._add(part, id)
                    loop.call_later(gap, step)
                    return
            if not todo:
                return
            if room.take():
                self._add(*todo.pop(0))
                if todo:
                    loop.call_later(gap, step)
                else:
                    room.give_back()  # the last part: nothing to hold the turn for
            else:  # another kernel's turn: try again a little later, not in step with the others
                loop.call_later(gap * (0.5 + random.random()), step)

        loop.call_later(delay, step)

    @staticmethod
    def _other_parts() -> list[tuple[str, str]]:
        """(part, exercise id) of every part but the start, in the order a trainee meets them."""
        return [*((p, "") for p in PARTS), *(("exercise", ex.id) for ex in exercise_list())]

    def _drawn(self, change) -> None:
        """The browser shows the page (ipywidgets counts its views): time to prepare the other parts."""
        if change["new"] and not self._prebuilding:
            self._prebuilding = True
            self.prebuild()

    def follow(self, params: dict[str, str], part: str | None = None) -> None:
        """Open the part an address names (`part`, `id`, `scenario`) in its language (`lang`)."""
        self.lang.value = page_lang(params)
        for kept in KEPT_PARTS:  # what a reloaded page's address keeps of these parts, taken up before showing
            if params.get(kept):
                self._add(kept)
                self._take_up(kept, read_values(params[kept]))
        shown = params.get("part", part or "start")
        if shown != "wizard" and params.get("scenario") and params.get("walk"):
            # A walk the learner has under way (a second tab opened elsewhere): taken up, shown when asked for.
            self._add("wizard")
            self._take_up_walk(params["scenario"], params["walk"])
        self.show(shown, **{k: v for k, v in params.items() if k in ("id", "scenario", "walk")})

    def show(self, part: str, id: str = "", scenario: str = "", walk: str = "") -> None:
        """Show a part, building it the first time; an unknown part shows the start part.

        Built parts stay in the page, hidden (`display: none`), so showing one again is a
        style change, not a redraw: the browser keeps its views."""
        if part not in ("start", *PARTS, "exercise"):
            part, id = "start", ""
        with self.hold_sync():  # the page's classes change in one message: the address moves once
            self._show(part, id, scenario, walk)

    def _show(self, part: str, id: str, scenario: str, walk: str) -> None:
        key = self._add(part, id)
        self._langs[key].value = self.lang.value  # a part built or drawn in the other language catches up
        if part == "wizard" and scenario:
            self._take_up_walk(scenario, walk)
        for cls in [c for c in self._dom_classes if c.startswith("rk-at-")]:
            self.remove_class(cls)
        self.part, self.part_id = part, id if part == "exercise" else ""
        self.add_class(f"rk-at-{part}")
        if self.part_id:
            self.add_class(f"rk-at-id-{self.part_id}")
        if part == "start":
            self._draw_done()
        for k, w in self.parts.items():
            own_layout(w).display = None if k == key else "none"
        self._draw_bar()

    @property
    def current(self) -> W.Widget:
        """The part shown."""
        return self.parts[_key(self.part, self.part_id)]

    def _add(self, part: str, id: str = "", attach: bool = True) -> str:
        """Build a part (hidden) unless it is built, and put it into the page unless `attach` is
        False (built ahead, it then reaches the browser as widget states only, drawn when shown);
        returns its key."""
        key = _key(part, id)
        if key not in self.parts:
            self._langs[key] = lang = PartLanguage(value=self.lang.value)
            widget = self._build(part, id, lang)
            own_layout(widget).display = "none"  # a part has a Layout of its own: hiding it hides no other
            self.parts[key] = widget
        if attach and self.parts[key] not in self.body.children:
            self.body.children = [*self.body.children, self.parts[key]]
        return key

    def _build(self, part: str, id: str, lang: PartLanguage) -> W.Widget:
        if part == "exercise":
            return self._exercise(id, lang)
        return {"start": self._start, "wizard": self._wizard, "calculators": self._calculators,
                "explorer": self._explorer}[part](lang)

    # -- the learner -------------------------------------------------------------------
    def _set_learner(self, typed: str) -> None:
        name = normalise_name(typed)
        if name != typed and not self.name.disabled:
            self.name.value = name  # shows the spelling the record keeps (observer runs again)
            return
        if name == self.learner:
            return
        previous, self.learner = self.learner, name
        if previous:  # another learner at this computer: not the previous one's work under way
            self._forget_work()
        for ex in self.exercises.values():
            ex.name.value = name
            # Another name on a shared computer: the page shows that learner's record, not what the
            # previous one did; a name given for the first time keeps what was done before it.
            if name or previous:
                ex.resume(clear=bool(previous))
        self._draw_done()

    def _forget_work(self) -> None:
        """The calculators, the explorer and the wizard as they first look (the address, and the browser's
        memory of it, follow: nothing of the previous learner's is kept)."""
        with self.hold_sync():  # the page's classes change once
            for part in self._kept:
                self._take_up(part, self._firsts[part])
            restart = getattr(self, "_restart_wizard", None)
            if restart:
                restart()

    def done(self) -> dict[str, tuple[int, int]]:
        """Exercise id -> (questions put right, questions) for the learner, from the record."""
        from ..exercises import default_bank
        from ..progress import ProgressError

        bank = default_bank()
        totals = {ex.id: len(bank.questions_of(ex.id)) for ex in exercise_list()}
        solved: dict[str, set[str]] = {e: set() for e in totals}
        if self.learner:
            try:
                rows = self.store.rows()
                for r in rows:
                    if r["learner"] == self.learner and r["correct"] and r["exercise"] in solved:
                        solved[r["exercise"]].add(r["question"])
            except ProgressError:
                pass  # the exercise says so when a check cannot be recorded
        return {e: (len(solved[e]), totals[e]) for e in totals}

    def _draw_done(self) -> None:
        draw = getattr(self, "_start_draw", None)
        if draw:
            draw()

    # -- the parts ----------------------------------------------------------------------
    def _start(self, lang: PartLanguage) -> W.Widget:
        intro = make(W.HTML, classes=("rk-app-intro",))
        items, abouts = {}, {}
        for p in PARTS:
            items[p], abouts[p] = _go(p, link=True), make(W.HTML)
            items[p].on_click(lambda _b, p=p: self.show(p))
        exercises = exercise_list()
        for ex in exercises:
            items[ex.id], abouts[ex.id] = _go(ex.id, link=True), make(W.HTML)
            items[ex.id].add_class("rk-go-exercise")
            items[ex.id].on_click(lambda _b, e=ex.id: self.show("exercise", id=e))
        rows = {k: make(W.VBox, [items[k], abouts[k]], layout={"margin": "0 0 0.6em 0"}) for k in items}
        ex_head = make(W.HTML)
        box = make(W.VBox, [intro, *[rows[p] for p in PARTS], ex_head, *[rows[ex.id] for ex in exercises]],
                   layout=W.Layout(), classes=("rk-app-links",))

        def draw() -> None:
            now = lang.value
            t = lambda k: self.sop.t(k, now)  # noqa: E731
            intro.value = f"<p>{escape(t('greeting'))}</p><p>{escape(t('app_intro'))}</p>"
            for p, (k, a) in PARTS.items():
                items[p].description = t(k)
                abouts[p].value = f"<span style='color:#555'>{escape(t(a))}</span>"
            ex_head.value = (f"<h3>{escape(t('app_exercises'))}</h3>"
                             f"<p>{escape(t('app_exercises_about'))}</p>")
            done = self.done() if self.learner else {}
            for ex in exercises:
                items[ex.id].description = ex.title(now)
                mark = ""
                if ex.id in done:
                    right, total = done[ex.id]
                    mark = (f" <b class='rk-done' data-exercise='{ex.id}'>"
                            f"{escape(t('app_done'))} {right}/{total}</b>")
                abouts[ex.id].value = f"<span style='color:#555'>{escape(ex.intro(now))}</span>{mark}"

        self._start_draw = draw
        self._drawn_in(lang, draw)
        return box

    def _wizard(self, lang: PartLanguage) -> W.Widget:
        """The procedure wizard on a scenario of the bank, chosen from a list."""
        from ..scenarios import load_scenarios
        from ..widgets import ProcedureWizard

        bank = {sc.id: sc for sc in load_scenarios(self.sop)}
        picker = make(W.Dropdown, options=list(bank), value=next(iter(bank)), classes=("rk-app-scenario",),
                      layout={"width": "36em", "max_width": "100%"}, style={"description_width": "initial"})
        holder = make(W.VBox)  # the wizard shows the scenario's title and story itself

        relabelling = False

        def show(_ch=None) -> None:
            # Only a learner's pick starts a new walk. New option labels (a language switch) move the
            # value to the first scenario and back: that must keep the learner's step and choices.
            shown = holder.children[0].scenario.id if holder.children else None
            if not relabelling and picker.value in bank and picker.value != shown:
                wizard = ProcedureWizard(self.sop, lang, scenario=bank[picker.value])
                holder.children = [wizard]
                wizard.on_walk = lambda walk, sc=picker.value: self._mark_walk(sc, walk)
                self._mark_walk(picker.value, [])

        def draw() -> None:
            nonlocal relabelling
            picker.description = self.sop.t("app_scenario", lang.value)
            value = picker.value
            relabelling = True
            try:
                picker.options = [(sc.title(lang.value), sc.id) for sc in bank.values()]
                picker.value = value
            finally:
                relabelling = False

        def restart() -> None:  # the wizard as it first looks: the first scenario, a new walk
            holder.children = []
            picker.value = next(iter(bank))
            show()

        self._drawn_in(lang, draw)
        show()
        picker.observe(show, "value")
        self._restart_wizard = restart
        self._scenarios = (picker, bank, holder)
        return make(W.VBox, [picker, holder], layout=W.Layout())

    def _wizard_shown(self):
        return self._scenarios[2].children[0]

    def _keep(self, part: str, widgets: dict) -> None:
        """What a learner sets in `part` (these widgets' values, where they differ from the part's first
        look) goes into the page's address as it changes (`rk-state-<part>-…`): a reload takes it up."""
        first = self._firsts[part] = {k: w.value for k, w in widgets.items()}

        def mark(_ch=None) -> None:
            changed = {k: w.value for k, w in widgets.items() if w.value != first[k]}
            self._set_state((f"rk-state-{part}-",), [f"rk-state-{part}-{state_text(changed)}"] if changed else [])

        for w in widgets.values():
            w.observe(mark, "value")
        self._kept[part] = widgets

    def _take_up(self, part: str, values: dict) -> None:
        """Set a kept part's widgets to `values` (from an address): each through its own checks; a value a
        widget does not take (an address made up, a list that changed) leaves it as it is."""
        widgets = self._kept.get(part, {})
        for name, value in values.items():
            if name in widgets:
                try:
                    widgets[name].value = value
                except (TraitError, ValueError, TypeError):
                    pass

    def _mark_walk(self, scenario: str, walk: list) -> None:
        """The wizard's scenario and walk as CSS classes on the page (`rk-state-scenario-…`, `rk-state-walk-…`):
        the page's script writes them into the address, so a reload takes the walk up where it was."""
        # a scenario only looked at is no work to keep (and a part built ahead changes no address)
        self._set_state(("rk-state-scenario-", "rk-state-walk-"),
                        [f"rk-state-scenario-{scenario}", f"rk-state-walk-{state_text(walk)}"] if walk else [])

    def _set_state(self, prefixes: tuple[str, ...], classes: list[str]) -> None:
        """Replace the page's classes that start with `prefixes` by `classes`: one message to the browser,
        none if nothing changed (a typed key, a relabelled list, would otherwise send two each time)."""
        kept = [c for c in self._dom_classes if not c.startswith(prefixes)]
        if [c for c in self._dom_classes if c.startswith(prefixes)] != classes:
            self._dom_classes = (*kept, *classes)

    def _take_up_walk(self, scenario: str, walk: str) -> None:
        """The wizard on `scenario`, walked as far as an address's `walk` says (a reloaded page, a second one)."""
        self._pick_scenario(scenario)
        if walk:
            self._wizard_shown().replay(read_walk(walk))

    def _pick_scenario(self, scenario: str) -> None:
        picker, bank, _holder = self._scenarios
        if scenario in bank:
            picker.value = scenario

    def _calculators(self, lang: PartLanguage) -> W.Widget:
        """The refund amount calculator and the deadline clock, read at the training clock."""
        from ..lessons import bank, clock as training_clock
        from ..widgets import DeadlineClock, RefundCalculator

        calc = RefundCalculator(self.sop, lang)
        example = next(iter(bank().values()))  # the clock opens on the bank's first case, as the lessons read it
        clock = DeadlineClock(self.sop, lang, requested_at=example.case.requested_at, now=training_clock())
        heads = [make(W.HTML), make(W.HTML)]

        def draw() -> None:
            heads[0].value = f"<h3>{escape(self.sop.t('refund_amount', lang.value))}</h3>"
            heads[1].value = f"<h3>{escape(self.sop.t('deadline', lang.value))}</h3>"

        self._drawn_in(lang, draw)
        self._keep("calculators", {**calc.fields, "method": calc.method, "requested": clock.requested, "now": clock.now})
        return make(W.VBox, [heads[0], calc, heads[1], clock], layout=W.Layout())

    def _explorer(self, lang: PartLanguage) -> W.Widget:
        from ..widgets import DecisionExplorer

        explorer = DecisionExplorer(self.sop, lang)
        self._keep("explorer", explorer.controls)
        return explorer

    def _exercise(self, exercise_id: str, lang: PartLanguage) -> W.Widget:
        """One exercise: every question and the score; checks land in the progress record
        ($REFUNDKIT_DB) under the name given in the bar."""
        from ..exercises import BankError, Exercise, default_bank

        bank = default_bank()
        try:
            ex = Exercise(exercise_id, self.sop, bank, store=self.store, lang=lang)
        except BankError:
            missing = make(W.HTML, layout=W.Layout(), classes=("rk-app-missing",))
            self._drawn_in(lang, lambda: setattr(missing, "value",
                                                 f"<p>{escape(self.sop.t('app_no_exercise', lang.value))}</p>"))
            return missing
        self.exercises[exercise_id] = ex
        questions = [ex.question(q.id) for q in bank.questions_of(ex.info.id)]
        if self.learner:
            ex.name.value = self.learner
            ex.resume()
        return make(W.VBox, [ex.title, *questions, ex.score_panel()], layout=W.Layout(), classes=("rk-exercise",))
