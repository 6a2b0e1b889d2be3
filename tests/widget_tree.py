"""The widget models behind a widget, for the tests that count or inspect them (not a test module)."""
from __future__ import annotations

import ipywidgets as W


def models(widget: W.Widget, seen: dict[int, W.Widget] | None = None) -> dict[int, W.Widget]:
    """Every model the browser needs to draw `widget`: it, its Layout and style, its children's."""
    seen = {} if seen is None else seen
    if id(widget) in seen:
        return seen
    seen[id(widget)] = widget
    for attr in ("layout", "style"):
        part = getattr(widget, attr, None)
        if isinstance(part, W.Widget):
            seen.setdefault(id(part), part)
    for child in getattr(widget, "children", ()):
        models(child, seen)
    return seen
