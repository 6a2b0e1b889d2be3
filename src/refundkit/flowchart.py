"""The SOP's decision table drawn as an inline SVG flowchart, from the SOP itself.

Pure Python, no internet, no graphviz: the SVG string renders in JupyterLab,
Voila and a saved HTML page alike. One row per rule, read top to bottom:
the rule's conditions (left), "yes" to its action (right), "no" down to the
next rule. A payout action passes the blocking-caution gate first.

`flowchart_svg(sop, lang, outcome=None)` highlights the path an Outcome took.
SVG ids/classes: `rk-flow`, `rk-flow-rule-<R..>`, `rk-flow-action-<id>`, `rk-flow-active`.
"""
from __future__ import annotations

from html import escape

from .engine import Outcome
from .sop import Sop
from .words import rule_line

FONT = 13
COND_W, GATE_W, ACT_W = 300, 170, 250
X_COND, X_GATE, X_ACT = 10, 350, 560
WIDTH = X_ACT + ACT_W + 10
ACTIVE, IDLE = "#e8710a", "#9aa0a6"


def _units(ch: str) -> float:
    return 1.0 if ord(ch) > 0x2E80 else 0.56


def wrap(text: str, width_px: int) -> list[str]:
    """Break text into lines that fit width_px (CJK glyphs are about 1 em, Latin about half)."""
    limit = width_px / FONT
    lines, cur, used = [], "", 0.0
    for word in _tokens(text):
        w = sum(_units(c) for c in word)
        if used + w > limit and cur:
            lines.append(cur.rstrip())
            cur, used = word.lstrip(), sum(_units(c) for c in word.lstrip())
        else:
            cur, used = cur + word, used + w
    if cur.strip():
        lines.append(cur.rstrip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    # Latin words stay whole; every CJK glyph may break.
    out, buf = [], ""
    for ch in text:
        if ord(ch) > 0x2E80:
            if buf:
                out.append(buf)
                buf = ""
            out.append(ch)
        elif ch == " ":
            out.append(buf + " ")
            buf = ""
        else:
            buf += ch
    if buf:
        out.append(buf)
    return out


def _box(x, y, w, lines, fill, stroke, cls, rid=None, rx=6, bold=False):
    h = 12 + len(lines) * (FONT + 4)
    ident = f' id="{rid}"' if rid else ""
    width = 3 if stroke == ACTIVE else 1.2
    parts = [f'<g class="{cls}"{ident}><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}" '
             f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>']
    weight = ' font-weight="bold"' if bold else ""
    for i, line in enumerate(lines):
        parts.append(f'<text x="{x + 8}" y="{y + 6 + (i + 1) * (FONT + 4) - 4}"{weight}>{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts), h


def _arrow(x1, y1, x2, y2, label, active):
    color = ACTIVE if active else IDLE
    width = 3 if active else 1.2
    # Label just after the start of the line: above a horizontal one, beside a vertical one.
    if abs(x2 - x1) <= abs(y2 - y1):
        lx, ly = x1 + 6, (y1 + y2) / 2 + 4
    else:  # horizontal: above the line; slanting down: below its start, clear of the box
        lx, ly = x1 + 6, (y1 - 4 if y2 == y1 else y1 + 14)
    lab = (f'<text x="{lx}" y="{ly}" fill="{color}" font-size="{FONT - 1}">{escape(label)}</text>'
           if label else "")
    return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="{width}" '
            f'marker-end="url(#rk-arrow-{"on" if active else "off"})"/>{lab}')


def flowchart_svg(sop: Sop, lang: str = "zh", outcome: Outcome | None = None) -> str:
    t = lambda k: sop.t(k, lang)  # noqa: E731
    rule_ids = [r.id for r in sop.rules]
    hit = rule_ids.index(outcome.rule) if outcome else -1
    body, y = [], 10
    start, h = _box(X_COND, y, COND_W, wrap(t("flow_start"), COND_W - 16), "#eef3fb", ACTIVE if outcome else "#5f6368",
                    "rk-flow-start", rx=16, bold=True)
    body.append(start)
    y += h
    bottom = y  # bottom of the previous condition box: the "no" arrow starts there
    for i, rule in enumerate(sop.rules):
        on_path = outcome is not None and i <= hit
        y += 24
        body.append(_arrow(X_COND + 40, bottom, X_COND + 40, y - 2, t("word_no") if i else "", on_path))
        label = rule_line(rule.id, sop, lang)
        stroke = ACTIVE if i == hit else ("#5f6368" if not on_path else "#c77c3a")
        box, hc = _box(X_COND, y, COND_W, wrap(label, COND_W - 16), "#fff8e1", stroke,
                       "rk-flow-rule" + (" rk-flow-active" if i == hit else ""), f"rk-flow-rule-{rule.id}")
        action = sop.action_by_id[rule.action]
        blocked = outcome is not None and i == hit and outcome.action == "blocked"
        act_lines = wrap(action(lang), ACT_W - 16)
        row_mid = y + 20
        parts = [box]
        if action.holdable:  # a payout the merchant makes passes the blocking-caution gate
            gate, hg = _box(X_GATE, y, GATE_W, wrap(t("flow_gate"), GATE_W - 16), "#fce8e6",
                            ACTIVE if i == hit else "#5f6368", "rk-flow-gate")
            parts += [gate, _arrow(X_COND + COND_W, row_mid, X_GATE - 2, row_mid, t("word_yes"), i == hit)]
            act, ha = _box(X_ACT, y, ACT_W, act_lines, "#e6f4ea", ACTIVE if i == hit and not blocked else "#5f6368",
                           f"rk-flow-action{' rk-flow-active' if i == hit and not blocked else ''}",
                           f"rk-flow-action-{action.id}-{rule.id}")
            parts += [act, _arrow(X_GATE + GATE_W, row_mid, X_ACT - 2, row_mid, t("word_yes"), i == hit and not blocked)]
            held = sop.action_by_id["blocked"]
            by = y + max(hg, ha) + 16
            blk, hb = _box(X_ACT, by, ACT_W, wrap(held(lang), ACT_W - 16), "#fce8e6",
                           ACTIVE if blocked else "#5f6368",
                           f"rk-flow-action{' rk-flow-active' if blocked else ''}", f"rk-flow-action-blocked-{rule.id}")
            parts += [blk, _arrow(X_GATE + GATE_W / 2, y + hg, X_ACT - 2, by + 14, t("word_no"), blocked)]
            row_h = max(hc, by - y + hb)
        else:
            act, ha = _box(X_ACT, y, ACT_W, act_lines, "#e8f0fe", ACTIVE if i == hit else "#5f6368",
                           f"rk-flow-action{' rk-flow-active' if i == hit else ''}", f"rk-flow-action-{action.id}-{rule.id}")
            parts += [act, _arrow(X_COND + COND_W, row_mid, X_ACT - 2, row_mid, t("word_yes"), i == hit)]
            row_h = max(hc, ha)
        body.extend(parts)
        bottom = y + hc
        y += row_h
    height = y + 10
    defs = "".join(
        f'<marker id="rk-arrow-{k}" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto" markerUnits="userSpaceOnUse">'
        f'<path d="M0,0 L8,4 L0,8 z" fill="{c}"/></marker>' for k, c in (("on", ACTIVE), ("off", IDLE)))
    title = escape(t("flow_title"))
    return (f'<svg class="rk-flow" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif" '
            f'font-size="{FONT}" role="img" aria-label="{title}"><title>{title}</title><defs>{defs}</defs>'
            + "".join(body) + "</svg>")
