"""The caution checklist: what applies, and when the refund may go through."""
from __future__ import annotations

from html import escape

from refundkit.widgets import CautionChecklist, LanguageSwitch


def test_applicable_cautions_follow_the_action(sop, scenarios):
    for sc in scenarios:
        d = sc.decide(sop)
        cl = CautionChecklist(sop, LanguageSwitch(sop), decision=d)
        assert cl.applicable == [c.id for c in d.cautions]  # the engine's list, same order


def test_complete_only_when_all_ticked(sop, scenarios):
    sc = next(s for s in scenarios if s.id == "SC01")
    cl = CautionChecklist(sop, LanguageSwitch(sop), scenario=sc)
    assert not cl.complete and sop.t("cautions_pending", "zh") in cl.status.value
    *first, last = cl.applicable
    cl.tick(*first)
    assert not cl.complete
    cl.tick(last)
    assert cl.complete and sop.t("cautions_done", "zh") in cl.status.value


def test_ticking_a_caution_the_case_fails_is_flagged(sop, scenarios):
    sc = next(s for s in scenarios if s.id == "SC07")  # address not checked
    assert "C2" in sc.expected["blocked_by"]
    cl = CautionChecklist(sop, LanguageSwitch(sop), scenario=sc)
    cl.tick(*cl.applicable)
    assert cl.wrong_ticks == ["C2"] and not cl.complete
    assert sop.facts["address_checked"].zh in cl.notes["C2"].value
    assert sop.t("status_failed", "zh") in cl.notes["C2"].value
    # Every box ticked, one of them unmet: the list says it is not met (hold), not that some are unticked.
    assert sop.t("cautions_unmet", "zh") in cl.status.value and sop.t("cautions_pending", "zh") not in cl.status.value


def test_labels_are_the_sops_in_both_languages(sop):
    lang = LanguageSwitch(sop)
    cl = CautionChecklist(sop, lang, action="refund_now")
    c2 = sop.caution_by_id["C2"]
    assert c2.zh in cl.boxes["C2"].description and c2.text.zh in cl.notes["C2"].value
    lang.value = "en"
    assert c2.en in cl.boxes["C2"].description and escape(c2.text.en) in cl.notes["C2"].value
