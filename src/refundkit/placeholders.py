"""Numbers in prose: `{window_days}` in a text is filled from the SOP's parameters.

    fill("商家需要在{window_days}天内处理", placeholder_values(sop.parameters))   # -> the sentence with the SOP's window_days in it

The one fill function of the kit. The SOP loader fills the SOP's own texts,
the scenario and question loaders fill theirs, with `placeholder_values()` of
the SOP in use, so a changed window changes every sentence that states it.
Braces that name no parameter are left alone: interface words such as
`{hours}` are filled later by the code that shows them. The names: {window_days},
{window_hours} (days x 24), {due_soon_hours}, {amount_limit} (the largest amount, as 1,000,000.00). Imports nothing of the kit.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def placeholder_values(parameters: Mapping[str, Any] | Any) -> dict[str, str]:
    """The placeholders an author may write, from the SOP's `parameters` (raw mapping or model)."""
    get = (lambda o, k: o.get(k) if isinstance(o, Mapping) else getattr(o, k, None))  # noqa: E731
    window = get(parameters, "handling_window")
    days = get(window, "days") if window is not None else None
    soon = get(parameters, "due_soon_hours")
    out = {}
    if isinstance(days, int) and not isinstance(days, bool):
        out["window_days"] = str(days)
        out["window_hours"] = str(days * 24)
    if isinstance(soon, int) and not isinstance(soon, bool):
        out["due_soon_hours"] = str(soon)
    limit = get(parameters, "amount_limit")
    top = get(limit, "max_yuan") if limit is not None else None
    try:
        out["amount_limit"] = f"{Decimal(str(top)):,.2f}" if top is not None else None
    except InvalidOperation:
        pass  # the loader reports the bad number itself
    return {k: v for k, v in out.items() if v is not None}


def fill(text: str, vals: Mapping[str, str]) -> str:
    """`text` with every known `{name}` replaced by its value."""
    if "{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: vals.get(m.group(1), m.group(0)), text)


def unknown(text: str, vals: Mapping[str, str]) -> list[str]:
    """Placeholder-shaped names in `text` that are not parameters (a typo, say)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) not in vals]


def fill_tree(node: Any, vals: Mapping[str, str], skip: tuple[str, ...] = ()) -> Any:
    """A copy of a YAML tree with every string filled; mapping keys in `skip` are copied as they are."""
    if isinstance(node, str):
        return fill(node, vals)
    if isinstance(node, dict):
        return {k: (v if k in skip else fill_tree(v, vals)) for k, v in node.items()}
    if isinstance(node, list):
        return [fill_tree(v, vals) for v in node]
    return node


def unknown_in_tree(node: Any, vals: Mapping[str, str], path: tuple = (), skip: tuple[str, ...] = ()):
    """(path, name) for every unknown placeholder in a tree's strings."""
    if isinstance(node, str):
        for name in unknown(node, vals):
            yield path, name
    elif isinstance(node, dict):
        for k, v in node.items():
            if k not in skip:
                yield from unknown_in_tree(v, vals, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from unknown_in_tree(v, vals, path + (i,))
