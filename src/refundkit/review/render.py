"""The printable handout: every step, caution and branch, the flowchart, the numbers, the version.

Everything is read from the SOP; the flowchart is the same SVG builder the
lessons' decision explorer draws (refundkit.flowchart), so there is one
drawing of the decision table. HTML is laid out for A4 (print stylesheet,
page footer with version and page numbers); Markdown is for a repository page
(the flowchart goes next to it as an .svg file).
"""
from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Callable

from ..sop import LANGS, Sop, Text
from ..words import conditions, seeds

Progress = Callable[[str], None] | None

CSS = """
:root { --ink: #202124; --muted: #5f6368; --rule: #dadce0; --accent: #c5221f; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
       "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); line-height: 1.5;
       max-width: 190mm; margin: 0 auto; padding: 8mm 6mm; font-size: 11pt; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 4mm; padding-bottom: 2mm; }
h1 { font-size: 19pt; margin: 0 0 1mm; }
h2 { font-size: 13.5pt; border-bottom: 1px solid var(--rule); margin: 6mm 0 2mm; padding-bottom: 1mm; }
/* A heading never ends a page: it stays with what follows it. Chromium does not always honour
   break-after: avoid, so a heading also carries 35 mm of invisible room below it, unbreakable:
   when less than that is left on the page, the heading moves to the next one. */
h1, h2, h3, h4, thead { break-after: avoid; page-break-after: avoid; }
h2 + *, h3 + *, h4 + * { break-before: avoid; page-break-before: avoid; }
h2, h3 { break-inside: avoid; page-break-inside: avoid; }
h2::after, h3::after { content: ""; display: block; height: 35mm; margin-bottom: -35mm; }
.meta { display: flex; gap: 6mm; flex-wrap: wrap; color: var(--muted); font-size: 10pt; }
.meta b { color: var(--ink); }
.en { color: var(--muted); font-size: .92em; display: block; }
.id { font-family: "DejaVu Sans Mono", monospace; font-size: .85em; color: var(--muted); }
/* Tables stay inside the A4 margins: fixed layout, long words and ids wrap. */
table { border-collapse: collapse; width: 100%; max-width: 100%; table-layout: fixed; font-size: 10pt; }
th, td { border: 1px solid var(--rule); padding: 1.2mm 2mm; vertical-align: top; text-align: left;
         overflow-wrap: anywhere; word-break: break-word; }
th { background: #f1f3f4; }
tr, li, .card, .flow, figure { break-inside: avoid; page-break-inside: avoid; }
section { break-inside: auto; }
ol.steps { padding-left: 0; list-style: none; counter-reset: none; }
ol.steps li { display: grid; grid-template-columns: 13mm 1fr; gap: 2mm; margin-bottom: 2mm; }
ol.steps .num { font-weight: bold; font-size: 12pt; }
.card { border: 1px solid var(--rule); border-left: 4px solid var(--muted); padding: 1.5mm 3mm; margin-bottom: 2mm; }
.card.blocks { border-left-color: var(--accent); }
.tag { display: inline-block; font-size: 8.5pt; border: 1px solid var(--muted); border-radius: 2mm; padding: 0 1.5mm; margin-right: 1mm; }
.card.blocks .tag.block { border-color: var(--accent); color: var(--accent); }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 4mm; }
.flow svg { width: 100%; height: auto; }
footer { margin-top: 6mm; color: var(--muted); font-size: 9pt; border-top: 1px solid var(--rule); padding-top: 2mm; }
@page { size: A4 portrait; margin: 14mm 12mm 16mm 12mm;
        @bottom-center { content: "__FOOTER__ · " counter(page) " / " counter(pages); font-size: 8pt; color: #5f6368; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  #flowchart, .flow + .flow { break-before: page; }
  .screen-only { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""


class _Html:
    def __init__(self, sop: Sop, lang: str):
        self.sop, self.lang = sop, lang
        self.langs = LANGS if lang == "both" else (lang,)

    def tx(self, text: Text) -> str:
        """A bilingual text in the handout's language(s): Chinese first, English below it."""
        if self.lang != "both":
            return escape(text(self.lang))
        return f'<span lang="zh">{escape(text.zh)}</span><span class="en" lang="en">{escape(text.en)}</span>'

    def w(self, key: str) -> str:
        return self.tx(self.sop.ui[key])

    def one(self, key: str) -> str:
        """A ui word inline (both languages side by side)."""
        t = self.sop.ui[key]
        return escape(t(self.lang)) if self.lang != "both" else f"{escape(t.zh)} / {escape(t.en)}"


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _applies(sop: Sop, caution, h: _Html) -> str:
    if caution.applies_to == "all":
        return h.one("ho_applies_all")
    if caution.applies_to == "payout":
        return h.one("ho_applies_payout")
    return ", ".join(h.tx(sop.action_by_id[a]) if h.lang != "both" else escape(sop.action_by_id[a].zh)
                     for a in caution.applies_to)


def flowchart(sop: Sop, lang: str) -> str:
    from ..flowchart import flowchart_svg

    return flowchart_svg(sop, lang)


def html_handout(sop: Sop, lang: str = "zh", progress: Progress = None) -> str:
    h = _Html(sop, lang)
    say = progress or (lambda msg: None)
    p = sop.parameters
    parts: list[str] = []
    sections = ["numbers", "steps", "cautions", "branches", "flowchart", "refusal", "after", "notes"]

    def step(name: str) -> None:
        say(f"[{sections.index(name) + 1}/{len(sections)}] {name}")

    footer = f"{sop.title(lang if lang != 'both' else 'zh')} · {sop.ui['ho_version'](lang if lang != 'both' else 'zh')} {sop.version} · {sop.effective_date}"
    parts.append(f"""<header><h1>{h.tx(sop.title)}</h1>
<div class="meta"><span>{h.one('ho_version')}: <b data-sop-version>{escape(sop.version)}</b></span>
<span>{h.one('ho_effective')}: <b data-effective-date>{escape(sop.effective_date)}</b></span>
<span class="screen-only">{h.one('ho_print_hint')}</span></div>
<p>{h.tx(sop.summary)}</p></header>""")

    step("numbers")
    wnd = p.handling_window
    comps = "".join(f"<tr><td>{h.tx(c)}</td><td>{h.one('ho_' + c.treatment)}</td></tr>" for c in p.amount.components)
    methods = "".join(f"<tr><td>{h.tx(m)}</td><td>{_rate(m.fee_rate)}</td></tr>" for m in p.methods)
    parts.append(f"""<section id="numbers"><h2>{h.w('ho_numbers')}</h2>
<div class="cols"><table><tr><th>{h.one('ho_window')}</th><td><b data-window-days>{wnd.days}</b> {h.one('days')}
<br>{h.tx(wnd.at_deadline)}<br>{h.tx(wnd.late)}</td></tr>
<tr><th>{h.one('ho_due_soon')}</th><td><b>{p.due_soon_hours}</b> {h.one('hours')}</td></tr></table>
<table><tr><th colspan="2">{h.one('ho_amount')} <span class="id">{seeds(p.amount)}</span></th></tr>{comps}
<tr><td colspan="2">{h.tx(p.amount.rule)}</td></tr></table></div>
<table style="margin-top:2mm"><tr><th>{h.one('ho_methods')}</th><th>{h.one('ho_fee_rate')}</th></tr>{methods}</table></section>""")

    step("steps")
    items = "".join(f"""<li id="{s.id}"><span class="num">{s.id}</span><div><b>{h.tx(s)}</b>
<span class="id">{seeds(s)}</span><br>{h.tx(s.text)}</div></li>""" for s in sop.steps)
    parts.append(f'<section id="steps"><h2>{h.w("ho_steps")}</h2><ol class="steps">{items}</ol></section>')

    step("cautions")
    cards = []
    for c in sop.cautions:
        block = (f'<span class="tag block">{h.one("ho_blocks")}: {h.tx(sop.facts[c.guard])}</span>'
                 if c.blocks and c.guard else "")
        cards.append(f"""<div class="card{' blocks' if c.blocks else ''}" id="{c.id}"><b>{c.id} {h.tx(c)}</b>
<span class="id">{seeds(c)}</span><br>{h.tx(c.text)}<br>
<span class="tag">{h.one('ho_applies')}: {_applies(sop, c, h)}</span>{block}</div>""")
    parts.append(f'<section id="cautions"><h2>{h.w("cautions")}</h2>{"".join(cards)}</section>')

    step("branches")
    rows = []
    for r in sop.rules:
        act = sop.action_by_id[r.action]
        conds = (escape(conditions(r.id, sop, lang)) if lang != "both"
                 else f'<span lang="zh">{escape(conditions(r.id, sop, "zh"))}</span><span class="en">{escape(conditions(r.id, sop, "en"))}</span>')
        rows.append(f"""<tr id="{r.id}"><td><b>{r.id}</b><br><span class="id">{seeds(r)}</span></td><td>{conds}</td>
<td><b>{h.tx(act)}</b><br>{h.tx(act.todo)}</td></tr>""")
    parts.append(f"""<section id="branches"><h2>{h.w('ho_branches')}</h2>
<table><thead><tr><th>{h.one('ho_rule')}</th><th>{h.one('ho_when')}</th><th>{h.one('action')}</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></section>""")

    step("flowchart")
    charts = "".join(f'<div class="flow" lang="{lg}">{flowchart(sop, lg)}</div>' for lg in h.langs)
    parts.append(f'<section id="flowchart"><h2>{h.w("ho_flowchart")}</h2>{charts}</section>')

    step("refusal")
    ref, pi = sop.refusal, sop.platform_intervention
    li = lambda xs: "".join(f"<li>{h.tx(x)} <span class='id'>{x.id}</span></li>" for x in xs)  # noqa: E731
    parts.append(f"""<section id="refusal"><h2>{h.w('ho_refusal')} <span class="id">{seeds(ref)}</span></h2>
<p>{h.tx(ref.when)}</p><div class="cols"><div><b>{h.one('ho_must')}</b><ul>{li(ref.must)}</ul></div>
<div><b>{h.one('ho_never')}</b><ul>{li(ref.never)}</ul></div></div>
<h2>{h.w('ho_intervention')} <span class="id">{seeds(pi)}</span></h2><p>{h.tx(pi.when)}<br>{h.tx(pi.merchant_does)}</p>
<div class="cols"><div><b>{h.one('ho_evidence')}</b><ul>{li(pi.evidence)}</ul></div>
<div><b>{h.one('ho_not_evidence')}</b><ul>{li(pi.not_evidence)}</ul></div></div></section>""")

    step("after")
    tasks = "".join(f"<li>{h.tx(t)} <span class='id'>{t.id}</span></li>" for t in sop.after_refund.tasks)
    parts.append(f"""<section id="after"><h2>{h.w('after_refund')} <span class="id">{seeds(sop.after_refund)}</span></h2>
<ul>{tasks}</ul><h2>{h.w('ho_reasons')}</h2><ul>{li(sop.reasons)}</ul></section>""")

    step("notes")
    adv = "".join(f"<li>{h.tx(a)} <span class='id'>{a.id} · {seeds(a)}</span></li>" for a in sop.advice)
    notes = "".join(f"""<div class="card"><b>{n.id}</b> <span class="tag">{h.one('platform_note' if n.kind == 'platform' else 'reading_note')}</span>
<span class="id">{seeds(n)}</span><br>{h.tx(n)}</div>""" for n in sop.notes)
    parts.append(f"""<section id="advice"><h2>{h.w('ho_advice')}</h2><ul>{adv}</ul></section>
<section id="notes"><h2>{h.w('ho_notes')}</h2>{notes}</section>""")

    src = sop.source
    parts.append(f"""<footer>{h.one('ho_source')}: {escape(src.title)} ({escape(src.published)}) ·
{h.one('ho_version')} {escape(sop.version)} · {h.one('ho_effective')} {escape(sop.effective_date)}</footer>""")
    html_lang = "zh-CN" if lang in ("zh", "both") else "en"
    css = CSS.replace("__FOOTER__", footer.replace('"', "'"))
    return (f'<!doctype html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(sop.title(lang if lang != 'both' else 'zh'))} {escape(sop.version)}</title>"
            f"<style>{css}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def md_handout(sop: Sop, lang: str = "zh", svg_name: str | None = None, progress: Progress = None) -> str:
    langs = LANGS if lang == "both" else (lang,)
    say = progress or (lambda msg: None)
    tx = lambda t: " / ".join(t(lg) for lg in langs)  # noqa: E731
    w = lambda k: tx(sop.ui[k])  # noqa: E731
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    p = sop.parameters
    out = [f"# {tx(sop.title)}", "",
           f"**{w('ho_version')}:** {sop.version} · **{w('ho_effective')}:** {sop.effective_date}", "", tx(sop.summary), ""]
    say("[1/4] numbers")
    out += [f"## {w('ho_numbers')}", "",
            f"- **{w('ho_window')}:** {p.handling_window.days} {w('days')}. {tx(p.handling_window.at_deadline)}",
            f"- **{w('ho_due_soon')}:** {p.due_soon_hours} {w('hours')}",
            f"- **{w('ho_amount')}** ({seeds(p.amount)}): {tx(p.amount.rule)}"]
    out += [f"  - {tx(c)}: {w('ho_' + c.treatment)}" for c in p.amount.components]
    out += [f"- **{w('ho_methods')}:** " + "; ".join(f"{tx(m)} ({w('ho_fee_rate')} {_rate(m.fee_rate)})" for m in p.methods), ""]
    say("[2/4] steps, cautions")
    out += [f"## {w('ho_steps')}", ""]
    out += [f"{i}. **{s.id} {tx(s)}** ({seeds(s)}): {tx(s.text)}" for i, s in enumerate(sop.steps, 1)]
    out += ["", f"## {w('cautions')}", ""]
    for c in sop.cautions:
        block = f" **{w('ho_blocks')}:** {tx(sop.facts[c.guard])}." if c.blocks and c.guard else ""
        out.append(f"- **{c.id} {tx(c)}** ({seeds(c)}): {tx(c.text)}{block}")
    say("[3/4] branches, flowchart")
    out += ["", f"## {w('ho_branches')}", "", f"| {w('ho_rule')} | {w('ho_when')} | {w('action')} |", "| --- | --- | --- |"]
    for r in sop.rules:
        act = sop.action_by_id[r.action]
        conds = " / ".join(conditions(r.id, sop, lg) for lg in langs)
        out.append(f"| {r.id} ({seeds(r)}) | {esc(conds)} | **{esc(tx(act))}**: {esc(tx(act.todo))} |")
    if svg_name:
        out += ["", f"## {w('ho_flowchart')}", "", f"![{w('ho_flowchart')}]({svg_name})"]
    say("[4/4] refusal, intervention, after the refund, notes")
    ref, pi = sop.refusal, sop.platform_intervention
    out += ["", f"## {w('ho_refusal')}", "", tx(ref.when), "", f"**{w('ho_must')}:**", ""]
    out += [f"- {tx(x)} ({x.id})" for x in ref.must] + ["", f"**{w('ho_never')}:**", ""]
    out += [f"- {tx(x)} ({x.id})" for x in ref.never]
    out += ["", f"## {w('ho_intervention')}", "", tx(pi.when), tx(pi.merchant_does), "", f"**{w('ho_evidence')}:**", ""]
    out += [f"- {tx(x)} ({x.id})" for x in pi.evidence] + ["", f"**{w('ho_not_evidence')}:**", ""]
    out += [f"- {tx(x)} ({x.id})" for x in pi.not_evidence]
    out += ["", f"## {w('after_refund')}", ""] + [f"- {tx(t)} ({t.id})" for t in sop.after_refund.tasks]
    out += ["", f"## {w('ho_reasons')}", ""] + [f"- {tx(r)}" for r in sop.reasons]
    out += ["", f"## {w('ho_advice')}", ""] + [f"- {tx(a)} ({a.id})" for a in sop.advice]
    out += ["", f"## {w('ho_notes')}", ""]
    out += [f"- **{n.id}** ({w('platform_note' if n.kind == 'platform' else 'reading_note')}): {tx(n)}" for n in sop.notes]
    out += ["", f"{w('ho_source')}: {sop.source.title} ({sop.source.published}) · {w('ho_version')} {sop.version} · {sop.effective_date}"]
    return "\n".join(out) + "\n"


def write_handout(sop: Sop, out: Path, lang: str = "zh", fmt: str = "html", progress: Progress = None) -> Path:
    """Write the handout (and, for Markdown, its flowchart .svg beside it); return the file written."""
    from .source import ReviewError

    if out.parent and not out.parent.exists():
        raise ReviewError(f"{out}: the folder {out.parent} does not exist")
    try:
        if fmt == "html":
            out.write_text(html_handout(sop, lang, progress), encoding="utf-8")
        else:
            svg = out.with_suffix(".flowchart.svg")
            svg.write_text(flowchart(sop, "zh" if lang == "both" else lang), encoding="utf-8")
            out.write_text(md_handout(sop, lang, svg.name, progress), encoding="utf-8")
    except (PermissionError, IsADirectoryError) as exc:
        raise ReviewError(f"{exc.filename or out}: cannot be written ({exc.strerror})") from None
    return out
