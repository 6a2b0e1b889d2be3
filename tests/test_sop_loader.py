"""The SOP file loads, covers the article, and broken variants are refused with a precise message."""
from __future__ import annotations

import re

import pytest

from refundkit.sop import SopError, load_sop


def test_shipped_sop_summary(sop):
    assert re.fullmatch(r"\d+\.\d+\.\d+", sop.version)
    assert len(sop.steps) == 8 and len(sop.cautions) == 6
    assert sop.window_days == 7
    assert sop.summary_line().startswith(f"SOP {sop.version}")


def test_every_article_section_is_cited(sop):
    # The loader refuses an SOP that leaves a section unused; check the shipped one holds all 30.
    assert [s.id for s in sop.sections] == [f"S{i:02d}" for i in range(1, 16)] + [f"P{i:02d}" for i in range(1, 16)]


def test_amount_rule_is_the_articles(sop):
    treat = {c.id: c.treatment for c in sop.parameters.amount.components}
    assert treat == {"goods": "include", "shipping": "include", "coupon": "deduct", "discount": "deduct"}


def test_six_cautions_follow_the_article_order(sop):
    assert [c.seed for c in sop.cautions] == ["S09", "S10", "S11", "S12", "S13", "S14"]


def test_readings_and_platform_notes_present(sop):
    kinds = {n.kind for n in sop.notes}
    assert kinds == {"reading", "platform"}
    assert sop.notes_for("S10"), "caution 2 against the return flow needs a stated reading"


def _broken(tmp_path, sop_text, old, new, count=1):
    assert old in sop_text, f"fixture text not found: {old!r}"
    path = tmp_path / "broken.yaml"
    path.write_text(sop_text.replace(old, new, count), encoding="utf-8")
    with pytest.raises(SopError) as info:
        load_sop(path)
    return path, info.value


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


BROKEN = [
    # (what is wrong, old text, new text, expected message part)
    ("unknown key", "effective_date:", "effective_dat:", "effective_dat: unknown key"),
    ("missing translation", 'not_shipped: {zh: "未发货", en: "Not shipped"}', 'not_shipped: {zh: "未发货"}', None),
    ("dangling action in a rule", "    action: refund_now\n", "    action: refnd_now\n", "rules[9].action: unknown action 'refnd_now'"),
    ("unknown fact in a rule", "when: {order_state: not_shipped}", "when: {order_stat: not_shipped}", "unknown fact 'order_stat'"),
    ("value outside a fact's domain", "when: {order_state: not_shipped}", "when: {order_state: unshipped}", "value 'unshipped' is not a value of order_state"),
    ("wrong type", "    days: 7\n", "    days: seven\n", "parameters.handling_window.days: Input should be a valid integer"),
    ("bad time zone", "timezone: Asia/Shanghai", "timezone: Asia/Beijing", "expected an IANA time zone"),
    ("duplicate id", "  - id: C6\n", "  - id: C5\n", "duplicate id 'C5'"),
    ("unknown seed section", "    seed: S14\n", "    seed: S16\n", "unknown seed section 'S16'"),
    ("guard is not a yes/no fact", "    guard: address_checked\n", "    guard: order_state\n", "guard 'order_state' must name a yes/no fact"),
    ("dangling action in after_refund", "after: [refund_now, auto_approved]", "after: [refund_now, auto_aproved]", "unknown action 'auto_aproved'"),
    ("negative fee rate", '      fee_rate: "0"\n      fee_paid_first: false', '      fee_rate: "-0.1"\n      fee_paid_first: false', "expected a rate from 0"),
    ("missing amount component", "      - id: discount\n        treatment: deduct\n", "      - id: rebate\n        treatment: deduct\n", "unknown amount component 'rebate'"),
    ("bad version", 'version: "', 'version: "one', "version: String should match pattern"),
    ("unknown step in an action", "steps: [ST7]", "steps: [ST9]", "unknown step 'ST9'"),
    ("wrong treatment", "        treatment: include\n        zh: 运费", "        treatment: add\n        zh: 运费", "treatment: Input should be 'include', 'deduct' or 'ignore'"),
]


@pytest.mark.parametrize("what,old,new,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_variant_refused_with_file_path_and_line(tmp_path, sop_text, what, old, new, expected):
    path, err = _broken(tmp_path, sop_text, old, new)
    text = "\n".join(err.problems)
    assert str(path) in text
    if expected is None:  # missing translation: names the language and the YAML path
        assert "facts.order_state.values.not_shipped.en: missing translation (en)" in text
    else:
        assert expected in text, text
    # Every problem line carries a real line number of the broken file.
    for problem in err.problems:
        m = re.match(rf"{re.escape(str(path))}:(\d+): ", problem)
        assert m, problem
        assert 1 <= int(m.group(1)) <= sop_text.count("\n") + 1


def test_line_number_points_at_the_culprit(tmp_path, sop_text):
    path, err = _broken(tmp_path, sop_text, "    action: refund_now\n", "    action: refnd_now\n")
    broken_text = path.read_text(encoding="utf-8")
    assert err.problems[0].startswith(f"{path}:{_line_of(broken_text, 'action: refnd_now')}: ")


def test_removed_caution_leaves_dangling_section(tmp_path, sop_text):
    start = sop_text.index("  - id: C6\n")
    end = sop_text.index("\nrefusal:")
    path = tmp_path / "no_c6.yaml"
    path.write_text(sop_text[:start] + sop_text[end:], encoding="utf-8")
    with pytest.raises(SopError) as info:
        load_sop(path)
    assert "section S14 of the article is not used" in str(info.value)


def test_not_yaml_and_not_an_sop(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [1, 2\n", encoding="utf-8")
    with pytest.raises(SopError, match=r"bad.yaml:\d+: not valid YAML"):
        load_sop(bad)
    other = tmp_path / "other.yaml"
    other.write_text("name: refund-sop-kit\n", encoding="utf-8")
    with pytest.raises(SopError, match="not an SOP file"):
        load_sop(other)
    with pytest.raises(SopError, match="no such file"):
        load_sop(tmp_path / "missing.yaml")
