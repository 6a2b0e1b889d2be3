"""What changed between two SOPs, item by item and by id.

Each SOP is flattened into items (group, id) -> {field path: value}; an item
is added, removed, reworded (only its zh/en texts changed), changed (a rule,
number or reference changed) or moved (same content, new place in an ordered
list: for branches this changes which rule wins).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sop import LANGS, Sop

# Group -> how to read its items from the SOP as data; order = report order.
GROUPS = ("meta", "parameters", "steps", "cautions", "rules", "actions", "facts", "reasons", "refusal",
          "evidence", "after_refund", "advice", "notes", "sections", "ui")
ORDERED = {"steps", "rules"}


@dataclass(frozen=True)
class Change:
    group: str
    id: str
    kind: str                       # added | removed | reworded | changed | moved
    fields: tuple[tuple[str, Any, Any], ...] = field(default=())  # (path, old, new)
    position: tuple[int | None, int | None] = (None, None)


def _flat(node: Any, path: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_flat(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(node, list) and node and all(isinstance(x, dict) and "id" in x for x in node):
        out = {}
        for x in node:
            out.update(_flat({k: v for k, v in x.items() if k != "id"}, f"{path}[{x['id']}]"))
        return out
    return {path: node}


def items(sop: Sop) -> dict[str, dict[str, dict[str, Any]]]:
    """group -> id -> flat fields (JSON-mode dump, so decimals and booleans compare as text)."""
    d = sop.model_dump(mode="json")
    by_id = lambda xs: {x["id"]: _flat({k: v for k, v in x.items() if k != "id"}) for x in xs}  # noqa: E731
    p = d["parameters"]
    params = {
        "timezone": {"value": p["timezone"]},
        "handling_window": _flat(p["handling_window"]),
        "due_soon_hours": {"value": p["due_soon_hours"]},
        "money_places": {"value": p["money_places"]},
        "amount": _flat({"seed": p["amount"]["seed"], "rule": p["amount"]["rule"]}),
    }
    params |= {f"amount.{c['id']}": _flat({k: v for k, v in c.items() if k != "id"}) for c in p["amount"]["components"]}
    params |= {f"method.{m['id']}": _flat({k: v for k, v in m.items() if k != "id"}) for m in p["methods"]}
    ri, pi = d["refusal"], d["platform_intervention"]
    return {
        "meta": {"title": _flat(d["title"]), "summary": _flat(d["summary"]), "source": _flat(d["source"])},
        "parameters": params,
        "steps": by_id(d["steps"]),
        "cautions": by_id(d["cautions"]),
        "rules": by_id(d["rules"]),
        "actions": by_id(d["actions"]),
        "facts": {k: _flat(v) for k, v in d["facts"].items()},
        "reasons": by_id(d["reasons"]),
        "refusal": {"refusal": _flat({"seed": ri["seed"], "when": ri["when"]})}
        | {x["id"]: {**_flat({k: v for k, v in x.items() if k != "id"}), "kind": side}
           for side in ("must", "never") for x in ri[side]},
        "evidence": {"platform_intervention": _flat({k: pi[k] for k in ("seed", "when", "merchant_does")})}
        | {x["id"]: {**_flat({k: v for k, v in x.items() if k != "id"}), "kind": side}
           for side in ("evidence", "not_evidence") for x in pi[side]},
        "after_refund": {"after_refund": {"seed": str(d["after_refund"]["seed"])}} | by_id(d["after_refund"]["tasks"]),
        "advice": by_id(d["advice"]),
        "notes": by_id(d["notes"]),
        "sections": by_id(d["sections"]),
        "ui": {k: v for k, v in d["ui"].items()},
    }


def _is_text(path: str) -> bool:
    return path.split(".")[-1] in LANGS


def sop_diff(old: Sop, new: Sop) -> list[Change]:
    """Every added, removed, reworded, changed or moved item, in report order."""
    a, b = items(old), items(new)
    out: list[Change] = []
    if old.version != new.version or old.effective_date != new.effective_date:
        pairs = (("version", old.version, new.version), ("effective_date", old.effective_date, new.effective_date))
        out.append(Change("meta", "version", "changed", tuple(f for f in pairs if f[1] != f[2])))
    for g in GROUPS:
        ga, gb = a[g], b[g]
        order_a, order_b = list(ga), list(gb)
        for i in order_b:
            if i not in ga:
                out.append(Change(g, i, "added", tuple((k, None, v) for k, v in gb[i].items()),
                                  (None, order_b.index(i) + 1)))
        for i in order_a:
            if i not in gb:
                out.append(Change(g, i, "removed", tuple((k, v, None) for k, v in ga[i].items()),
                                  (order_a.index(i) + 1, None)))
                continue
            fa, fb = ga[i], gb[i]
            fields = tuple((k, fa.get(k), fb.get(k)) for k in dict.fromkeys([*fa, *fb]) if fa.get(k) != fb.get(k))
            if fields:
                kind = "reworded" if all(_is_text(k) for k, _, _ in fields) else "changed"
                out.append(Change(g, i, kind, fields))
        if g in ORDERED:
            common_a = [i for i in order_a if i in gb]
            common_b = [i for i in order_b if i in ga]
            if common_a != common_b:
                for i in common_b:
                    pa, pb = common_a.index(i), common_b.index(i)
                    if pa != pb:
                        out.append(Change(g, i, "moved", (), (order_a.index(i) + 1, order_b.index(i) + 1)))
    return out


# -- words -------------------------------------------------------------------

def word(key: str, lang: str, *sops: Sop) -> str:
    """A ui word from the first SOP that has it (an old revision may predate the key)."""
    for s in sops:
        if key in s.ui:
            return s.t(key, lang)
    return key


def item_name(group: str, item_id: str, lang: str, *sops: Sop) -> str:
    """The item's own name in `lang`, when it has one."""
    for s in sops:
        try:
            if group == "steps" and item_id in s.step_by_id:
                return s.step_by_id[item_id](lang)
            if group == "cautions" and item_id in s.caution_by_id:
                return s.caution_by_id[item_id](lang)
            if group == "actions" and item_id in s.action_by_id:
                return s.action_by_id[item_id](lang)
            if group == "rules":
                from ..words import conditions

                if item_id in s.rule_by_id:
                    return f"{conditions(item_id, s, lang)} → {s.action_by_id[s.rule_by_id[item_id].action](lang)}"
            if group == "facts" and item_id in s.facts:
                return s.facts[item_id](lang)
            if group == "ui" and item_id in s.ui:
                return s.ui[item_id](lang)
            pools = {"reasons": s.reasons, "advice": s.advice, "notes": s.notes, "sections": s.sections,
                     "after_refund": s.after_refund.tasks, "refusal": s.refusal.must + s.refusal.never,
                     "evidence": s.platform_intervention.evidence + s.platform_intervention.not_evidence}
            for x in pools.get(group, []):
                if x.id == item_id:
                    return x(lang)
        except (KeyError, StopIteration):
            continue
    return ""


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _fields_for(change: Change, lang: str) -> list[tuple[str, Any, Any]]:
    """Fields worth showing: texts only in the chosen language (the other one is reported too if it alone changed)."""
    other = "en" if lang == "zh" else "zh"
    mine = [f for f in change.fields if not f[0].endswith("." + other) and f[0] != other]
    return mine or list(change.fields)


def format_diff(changes: list[Change], old: Sop, new: Sop, lang: str = "zh", fmt: str = "text") -> str:
    w = lambda k: word(k, lang, new, old)  # noqa: E731
    head = f"{w('rv_diff_title')}: {old.version} ({old.effective_date}) → {new.version} ({new.effective_date})"
    if not changes:
        return head + "\n" + w("rv_no_change")
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    summary = ", ".join(f"{w('rv_' + k)} {n}" for k, n in counts.items())
    lines = [("# " if fmt == "md" else "") + head, summary, ""]
    group = None
    for c in changes:
        if c.group != group:
            group = c.group
            lines.append(f"\n## {w('rv_group_' + group)}\n" if fmt == "md" else f"[{w('rv_group_' + group)}]")
        name = item_name(c.group, c.id, lang, new, old)
        title = f"{c.id}" + (f" {name}" if name and c.group not in ("meta",) else "")
        tag = w("rv_" + c.kind)
        if c.kind == "moved":
            pos = f" {c.position[0]} → {c.position[1]}"
            lines.append(f"- **{tag}** {title}{pos}" if fmt == "md" else f"  {tag}: {title}{pos}")
            continue
        lines.append(f"- **{tag}** {title}" if fmt == "md" else f"  {tag}: {title}")
        if c.kind in ("added", "removed"):
            continue
        for path, o, n in _fields_for(c, lang):
            if fmt == "md":
                lines.append(f"  - `{path}`: {_show(o)} → {_show(n)}")
            else:
                lines.append(f"      {path}: {_show(o)}")
                lines.append(f"      {' ' * len(path)}→ {_show(n)}")
    return "\n".join(lines).rstrip()
