"""How many widget models the trainee app's parts take, and that sharing them hides nothing by mistake."""
from __future__ import annotations

import ipywidgets as W
import pytest

from refundkit.app import pages
from refundkit.widgets import shared

from widget_tree import models  # tests/widget_tree.py


@pytest.fixture
def app(sop, tmp_path, monkeypatch):
    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "p.sqlite"))
    for var in pages.LEARNER_ENV:
        monkeypatch.delenv(var, raising=False)
    return pages.App(sop)


def test_an_exercise_and_the_whole_app_take_few_widget_models(app):
    """Every widget model is a message the room's one server relays and a model the trainee's browser
    builds: with 20 trainees at once, moving into an exercise took 1.8 s (p95) when an exercise took
    ~200-280 models and the app ~1,565. Layouts and styles shared across widgets keep each exercise
    under 100 models and every part of the app together under 700."""
    for ex in pages.exercise_list():
        app.show("exercise", id=ex.id)
        n = len(models(app.current))
        assert n < 100, f"{ex.id}: {n} widget models"
    for part in pages.PARTS:
        app.show(part)
    assert len(models(app)) < 700


def test_hiding_a_part_or_a_wizard_control_hides_nothing_else(app):
    """Shared Layouts must not be the ones a part or a control is hidden through: hiding one part
    would hide every widget holding the same Layout."""
    for part in ("wizard", "calculators", "explorer"):
        app.show(part)
    for ex in pages.exercise_list()[:2]:
        app.show("exercise", id=ex.id)
    wizard = app.parts["wizard"].children[1].children[0]
    hidden_on_purpose = [*app.parts.values(), wizard.choice, wizard.amount, wizard.checklist,
                         wizard.check_button, wizard.next_button, wizard.refund_button, wizard.hold_button,
                         wizard.buttons, wizard.feedback]
    everything = models(app).values()
    for widget in hidden_on_purpose:
        holders = [w for w in everything if getattr(w, "layout", None) is widget.layout]
        assert holders == [widget], f"{type(widget).__name__} shares its Layout with {len(holders) - 1} others"
    # and so, in the part shown, nothing is hidden but the style sheets
    hidden = [w for w in models(app.current).values()
              if isinstance(getattr(w, "layout", None), W.Layout) and w.layout.display == "none"
              and not (isinstance(w, W.HTML) and w.value.startswith("<style>"))]
    assert hidden == []
    shown = [w for w in app.body.children if w.layout.display != "none"]
    assert shown == [app.current]


def test_a_changed_shared_layout_is_made_the_widgets_own_first():
    a, b = shared.make(W.HTML, layout={"width": "3em"}), shared.make(W.HTML, layout={"width": "3em"})
    assert a.layout is b.layout and shared.is_shared(a.layout)
    shared.own_layout(a).display = "none"
    assert a.layout is not b.layout and a.layout.width == "3em" and b.layout.display is None
    c = shared.make(W.Checkbox, style={"description_width": "initial"})
    assert c.style is shared.make(W.Checkbox, style={"description_width": "initial"}).style
    assert c.style is not shared.make(W.Checkbox).style
