"""SOP citations a learner can read: an id with its title, never the bare id.

    cite(sop, "S07", "zh")   -> "S07 七、退款金额"
    cite(sop, "C3", "zh")    -> "C3 保证账户余额充足"
    cite(sop, "R07", "zh")   -> "R07(P03 查看订单状态)"      a rule by the article section it comes from
    cite(sop, "cancel_and_refund", "zh") -> "取消订单并退款"  actions and methods by their title alone
    cites(sop, ["R07", "P03"], "zh") -> "R07(P03 查看订单状态); P03 查看订单状态"

Ids stay in front so a learner can find the item in the handout; the words come from the
SOP, so a renamed section reads the new name everywhere.
"""
from __future__ import annotations

from typing import Iterable

from .sop import Sop


def _seed_ids(item) -> list[str]:
    seed = getattr(item, "seed", None)
    return [] if seed is None else ([seed] if isinstance(seed, str) else list(seed))


def title(sop: Sop, sid: str, lang: str = "zh") -> str | None:
    """The words an SOP id stands for, or None for an id the SOP does not know."""
    if sid in sop.section_by_id:
        return sop.section_by_id[sid](lang)
    for pool in (sop.step_by_id, sop.caution_by_id, sop.task_by_id,
                 {f.id: f for f in sop.refusal.must + sop.refusal.never},
                 {e.id: e for e in sop.platform_intervention.evidence + sop.platform_intervention.not_evidence},
                 {a.id: a for a in sop.advice}):
        if sid in pool:
            return pool[sid](lang)
    return None


def cite(sop: Sop, sid: str, lang: str = "zh") -> str:
    """One SOP id as a learner reads it (see the module docstring)."""
    if sid in sop.action_by_id:
        return sop.action_by_id[sid](lang)
    if sid in sop.method_by_id:
        return sop.method_by_id[sid](lang)
    words = title(sop, sid, lang)
    if words is not None:
        return f"{sid} {words}"
    rule = next((r for r in sop.rules if r.id == sid), None)
    if rule is not None:  # a rule by the first article section it comes from
        seed = next((x for x in _seed_ids(rule) if x in sop.section_by_id), None)
        if seed:
            return f"{sid}({seed} {sop.section_by_id[seed](lang)})" if lang == "zh" else \
                f"{sid} ({seed} {sop.section_by_id[seed](lang)})"
    if any(n.id == sid for n in sop.notes):
        return f"{sid} {sop.t('reading_note', lang)}"
    return sid


def cites(sop: Sop, ids: Iterable[str], lang: str = "zh") -> str:
    """Several citations, in order, once each."""
    return "; ".join(cite(sop, i, lang) for i in dict.fromkeys(ids))
