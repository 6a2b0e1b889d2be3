"""Shared Layouts and styles: one model per distinct set of settings, not one per widget.

    from refundkit.widgets.shared import make, own_layout
    make(W.HTML, value="...")                                  # shared default Layout and HTMLStyle
    make(W.Text, layout={"width": "12em"}, style={"description_width": "initial"})
    make(W.Button, layout=W.Layout(width="auto"))              # a Layout of its own (changed later)
    own_layout(widget).display = "none"                        # hide this widget, and only it

Left to itself every ipywidgets control makes a Layout and a style of its own: two models
beside its own, each a message the page's server relays and a model the browser builds.
ipywidgets lets one Layout, and one style of a widget type, serve many widgets; a page of
~1,500 models becomes a few hundred, which is what makes a room of trainees fast.

The price: changing a shared Layout or style changes every widget holding it. A widget
whose layout or style is changed after it is made (hidden with `layout.display`, say) gets
one of its own: a `W.Layout(...)` given to `make`, or `own_layout(widget)` before the change.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W

_layouts: dict[tuple, W.Layout] = {}
_styles: dict[tuple, W.Widget] = {}


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))


def _alive(widget: W.Widget | None) -> bool:
    return widget is not None and widget.comm is not None  # a closed widget (close_all) is not reused


def layout(**settings: Any) -> W.Layout:
    """The shared Layout with these settings (not to be changed: see `own_layout`)."""
    key = _key(settings)
    if not _alive(_layouts.get(key)):
        _layouts[key] = W.Layout(**settings)
    return _layouts[key]


def style_class(cls: type[W.Widget]) -> type[W.Widget] | None:
    """The style model a widget class takes (ButtonStyle for Button ...), or None."""
    trait = cls.class_traits().get("style")
    return getattr(trait, "klass", None) if trait is not None else None


def style(cls: type[W.Widget], **settings: Any) -> W.Widget:
    """The shared style for widgets of class `cls` with these settings."""
    klass = style_class(cls)
    if klass is None:
        raise TypeError(f"{cls.__name__} has no style")
    key = (klass, _key(settings))
    if not _alive(_styles.get(key)):
        _styles[key] = klass(**settings)
    return _styles[key]


def make(cls: type[W.Widget], *args: Any, layout: dict | W.Layout | None = None,
         style: dict | W.Widget | None = None, classes: tuple[str, ...] = (), **kw: Any) -> W.Widget:
    """A widget of class `cls` with shared Layout and style (settings as dicts), unless given
    instances of its own; `classes` are its CSS classes."""
    kw["layout"] = layout if isinstance(layout, W.Layout) else _shared_layout(**(layout or {}))
    if style_class(cls) is not None:
        kw["style"] = style if isinstance(style, W.Widget) else _shared_style(cls, **(style or {}))
    elif style is not None:
        raise TypeError(f"{cls.__name__} has no style")
    if classes:
        kw["_dom_classes"] = (*kw.get("_dom_classes", ()), *classes)
    return cls(*args, **kw)


_shared_layout, _shared_style = layout, style  # `make`'s arguments hide the names


def is_shared(model: W.Widget) -> bool:
    """Whether a Layout or style is one of the shared ones."""
    return any(model is m for m in (*_layouts.values(), *_styles.values()))


def own_layout(widget: W.Widget) -> W.Layout:
    """The widget's layout, made its own first if it is shared (same settings), to be changed."""
    if is_shared(widget.layout):
        widget.layout = W.Layout(**{k: v for k, v in widget.layout.get_state().items()
                                    if not k.startswith("_") and v is not None})
    return widget.layout


_widgets: dict[str, W.Widget] = {}


def shared_widget(name: str, build) -> W.Widget:
    """One widget many boxes hold (each draws a view of it), built by `build()` the first time."""
    if not _alive(_widgets.get(name)):
        _widgets[name] = build()
    return _widgets[name]
