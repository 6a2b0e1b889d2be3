"""Helpers behind the lesson notebooks: stable order, exact money, Chinese charts."""
from __future__ import annotations

import warnings

import pandas as pd
import pytest

from refundkit import lessons


def test_ranked_breaks_ties_by_name_so_outputs_never_reorder():
    s = pd.Series(["乙", "甲", "乙", "甲", "丙"])
    assert list(lessons.ranked(s).index) == sorted(["甲", "乙"]) + ["丙"]
    assert list(lessons.ranked(s[::-1]).index) == list(lessons.ranked(s).index)


def test_yuan_is_exact():
    assert lessons.yuan(123456789) == "1,234,567.89"
    assert lessons.yuan(10) == "0.10"


def test_history_is_finished_tickets_with_sop_reason_labels(sop):
    h = lessons.shop_history()
    assert len(h) > 0 and set(h["finished"]) <= {"refunded", "closed"}
    labels = {f"{r.zh}\n{r.en}" for r in sop.reasons} | {f"{sop.ui['other_reason'].zh}\n{sop.ui['other_reason'].en}"}
    assert set(h["reason_label"]) <= labels


def test_bar_chart_draws_chinese_without_missing_glyphs(tmp_path):
    pytest.importorskip("matplotlib")
    from refundkit.plotting import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = lessons.bar_chart(pd.Series({"质量问题": 3, "缺货": 1}), "chart_by_reason", "tickets")
        fig.savefig(tmp_path / "chart.png")
    assert not [w for w in caught if "missing from font" in str(w.message).lower() or "glyph" in str(w.message).lower()]
    assert "按退款原因统计" in fig.axes[0].get_title()
