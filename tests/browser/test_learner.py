"""What a trainee sees and types, in a real browser: input as people type it, and every control
whole at a phone's width and at a desktop's, in both languages.

Both tests use the shared trainee page (the `learner` fixture) and move to their parts with the
bar. Expected texts come from the SOP, expected answers from the engine through a Python twin of
the widget; screenshots go to out/screenshots/.
"""
from __future__ import annotations

import pytest

from refundkit.money import fmt

playwright = pytest.importorskip("playwright.sync_api")  # the conftest says, in one line, how to enable
expect = playwright.expect

# A control whose content is wider than its box is cut: the learner cannot read or reach all of it.
CLIPPED_JS = """(selector) => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  for (const e of document.querySelectorAll(selector)) {
    if (e.offsetParent === null) continue;
    let need = e.scrollWidth, have = e.clientWidth + 1;
    if (e.tagName === 'SELECT' && e.options.length) {  // a closed list shows the entry chosen: any may be
      const cs = getComputedStyle(e);
      ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
      need = Math.max(...[...e.options].map(o => ctx.measureText(o.text).width)) + 24;  // room for the arrow
    }
    const name = `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`;
    const text = (e.innerText || e.value || e.placeholder || '').slice(0, 60);
    if (need > have) out.push(`${name} ${Math.round(need)}>${have}: ${text}`);
    // A box that runs past the screen's edge, or past an ancestor that hides what overflows, is cut too.
    const r = e.getBoundingClientRect();
    if (r.width && (r.right > innerWidth + 1 || r.left < -1)) out.push(`${name} off screen ${Math.round(r.left)}..${Math.round(r.right)}: ${text}`);
    for (let a = e.parentElement; a && r.width; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox !== 'hidden' && ox !== 'clip') continue;
      const ar = a.getBoundingClientRect();
      if (r.right > ar.right + 1 || r.left < ar.left - 1) {
        out.push(`${name} cut by ${a.tagName.toLowerCase()}.${[...a.classList].join('.')} at ${Math.round(ar.right)} (${Math.round(r.right)}): ${text}`);
        break;
      }
    }
    // A hint in an empty text box is read by the learner: it must show whole.
    if (e.tagName === 'INPUT' && !e.value && e.placeholder) {
      const cs = getComputedStyle(e);
      ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
      const hint = ctx.measureText(e.placeholder).width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
      if (hint > e.clientWidth + 1) out.push(`${name} hint ${Math.round(hint)}>${e.clientWidth}: ${e.placeholder}`);
    }
  }
  return out;
}"""
# A label drawn over another control (a row taller than its box runs into the next one) hides it.
OVERLAP_JS = """() => {
  const seen = (e) => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  const labels = [...document.querySelectorAll('.rk-app .widget-label')].filter(seen);
  const controls = [...document.querySelectorAll('.rk-app select, .rk-app input, .rk-app button')].filter(seen);
  const out = [];
  for (const l of labels) {
    const a = l.getBoundingClientRect();
    for (const c of controls) {
      const b = c.getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push(`label ${l.innerText.slice(0, 30)} over ${c.tagName.toLowerCase()} ${(c.value || c.innerText || '').slice(0, 30)}`);
    }
  }
  // and a control over the text beside or below it (a heading, a paragraph)
  const texts = [...document.querySelectorAll('.rk-app .widget-html-content :is(h2, h3, h4, p)')].filter(seen);
  for (const t of texts) {
    const a = t.getBoundingClientRect();
    for (const c of controls) {
      const b = c.getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push(`${c.tagName.toLowerCase()} ${(c.value || c.innerText || '').slice(0, 30)} over ${t.innerText.slice(0, 30)}`);
    }
  }
  return out;
}"""
# At a desktop's width a list sits beside its label, not under it.
BESIDE_JS = """() => [...document.querySelectorAll('.rk-app .widget-dropdown')].filter(e => e.offsetParent).flatMap(e => {
  const l = e.querySelector('.widget-label'), s = e.querySelector('select');
  if (!l || !s || !l.innerText.trim()) return [];
  return s.getBoundingClientRect().top >= l.getBoundingClientRect().bottom - 1 ? [`${l.innerText.slice(0, 40)}: the list is under its label`] : [];
})"""
CONTROLS = ("input, select, button, label, .widget-radio-box, .widget-dropdown, .widget-text, "
            ".widget-inline-hbox, .rk-app-bar")


@pytest.fixture(scope="module")
def sop():
    from refundkit.sop import default_sop

    return default_sop()


def test_calculators_take_amounts_and_times_as_people_type_them(learner, sop):
    """The amount calculator: labels follow the switch; typed amounts give the engine's breakdown;
    bad input a message beside the field and no amount; full-width digits, ¥ and 元 accepted,
    1e9 refused. The deadline clock: a typed time gives the engine's deadline; 9:30 and 11月18日
    accepted; a request after "now" refused."""
    from refundkit.lessons import clock as training_clock
    from refundkit.widgets import DeadlineClock, LanguageSwitch, RefundCalculator

    page = learner.page
    learner.go("calculators", lang="en")
    calc = page.locator(".rk-calculator")
    goods = next(c for c in sop.parameters.amount.components if c.id == "goods")
    expect(calc.locator(".rk-amount-goods label")).to_have_text(goods("en"))
    learner.switch("zh")
    expect(calc.locator(".rk-amount-goods label")).to_have_text(goods("zh"))
    expect(page.locator(".rk-app-title")).to_contain_text(sop.t("app_calculators", "zh"))

    result = calc.locator(".rk-calc-result")
    typed = {"goods": "259", "shipping": "12.5", "coupon": "30", "discount": "19.90"}
    twin = RefundCalculator(sop, LanguageSwitch(sop))
    twin.set_amounts(**typed)
    for name, value in typed.items():
        calc.locator(f".rk-amount-{name} input").fill(value)
    expect(result.locator(".rk-total")).to_contain_text(fmt(twin.refund.total))
    for line in twin.refund.lines:
        expect(result.locator(f".rk-line-{line.component}")).to_contain_text(fmt(line.amount))
    expect(result).to_contain_text(sop.parameters.amount.rule("zh"))
    learner.shot("calculator_breakdown")

    for name, value, problem in [("goods", "abc", "err_not_number"), ("goods", "-5", "err_negative"),
                                 ("coupon", "300", "err_coupon_above_price"), ("goods", "1e9", "err_not_number")]:
        field = calc.locator(f".rk-amount-{name} input")
        field.fill(value)
        expect(calc.locator(f".rk-amount-{name} + .rk-field-error")).to_have_text(sop.t(problem, "zh"))
        expect(result.locator(".rk-total")).to_have_count(0)  # no amount while the input is invalid
        learner.shot(f"calculator_{problem}")
        field.fill(typed[name])
        expect(calc.locator(f".rk-amount-{name} + .rk-field-error")).to_have_text("")
    expect(result.locator(".rk-total")).to_contain_text(fmt(twin.refund.total))

    as_typed = {"goods": "２１５．１０", "shipping": "¥8", "coupon": "10元", "discount": ""}
    twin.set_amounts(**as_typed)
    for name, value in as_typed.items():
        calc.locator(f".rk-amount-{name} input").fill(value)
    expect(result.locator(".rk-total")).to_contain_text(fmt(twin.refund.total))
    learner.shot("calculator_full_width")

    now = training_clock()
    requested = page.locator(".rk-requested input")
    for text in ("2026-11-15 09:30", "９：３０"):  # the second on the training clock's day
        clock_twin = DeadlineClock(sop, LanguageSwitch(sop), requested_at=text, now=now)
        requested.fill(text)
        expect(page.locator(".rk-clock-result .rk-due")).to_have_text(f"{clock_twin.deadline.due:%Y-%m-%d %H:%M}")
        expect(page.locator(f".rk-clock-result .rk-band-{clock_twin.deadline.urgency}")).to_be_visible()
    requested.fill(f"{now.month}月{now.day + 1 if now.day < 28 else 1}日 10:00")  # after "now"
    expect(page.locator(".rk-clock .rk-field-error").first).to_have_text(sop.t("err_future", "zh"))
    expect(page.locator(".rk-clock-result .rk-left")).to_have_count(0)
    learner.no_cell_error()


def test_every_control_shows_whole_at_phone_and_desktop_width(learner, sop):
    """At 1280 px in English long SOP labels (methods, facts) show whole and each list sits beside its label; at 390 px, in both
    languages, every control shows whole (nothing wider than its box, past the screen or past a
    box that hides overflow, no label over another control, no control over a text) and the page does not scroll sideways, except the flowchart, which
    scrolls inside its own box. Every part is checked before the test fails, naming each cut."""
    page = learner.page
    cut: list[str] = []
    for part in ("wizard", "explorer", "calculators"):
        learner.go(part, lang="en")
        cut += [f"{part} (en) at 1280 px: {c}" for c in page.evaluate(CLIPPED_JS, CONTROLS)]
        cut += [f"{part} (en) at 1280 px: {c}" for c in page.evaluate(OVERLAP_JS)]
        cut += [f"{part} (en) at 1280 px: {c}" for c in page.evaluate(BESIDE_JS)]
        if part == "calculators":  # the longest method name is there to read and choose, whole
            longest = max((m("en") for m in sop.parameters.methods), key=len)
            page.locator(".rk-method").get_by_label(longest, exact=True).check()
            learner.quiet()
            cut += [f"{longest!r} cut at 1280 px: {c}" for c in page.evaluate(CLIPPED_JS, ".rk-method label")]
        learner.shot(f"desktop_en_{part}")

    page.set_viewport_size({"width": 390, "height": 844})
    # Every part in each language, the language switched once: a switch relabels the part shown, and
    # each part is drawn in the new language as it is shown.
    parts = ("calculators", "explorer", "wizard", "start")
    for lang, part in [("en", p) for p in parts] + [("zh", p) for p in reversed(parts)]:
        learner.go(part, lang=lang)
        cut += [f"{part} ({lang}) at 390 px: {c}" for c in page.evaluate(CLIPPED_JS, CONTROLS)]
        cut += [f"{part} ({lang}) at 390 px: {c}" for c in page.evaluate(OVERLAP_JS)]
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > 392:
            cut.append(f"{part} ({lang}) at 390 px scrolls sideways ({wide} px)")
        learner.shot(f"phone_{part}_{lang}")
    learner.no_cell_error()
    assert not cut, "cut controls:\n" + "\n".join(cut)
