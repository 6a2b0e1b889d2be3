"""Small helpers that keep lesson notebooks thin and bilingual.

    from refundkit.lessons import sop, bank, clock, bi, say, show_case

Everything printed here comes from the SOP and the scenario bank, in Chinese
then English on the same line, so a reader of either language can follow and
a changed rule changes the printed text (which nbval then reports).
Nothing here prints a deadline: only the deadline lesson does, so a change of
the handling window fails that lesson alone.
"""
from __future__ import annotations

import functools
from datetime import datetime

from .citations import cites
from .clock import parse_time
from .engine import Decision
from .money import fmt
from .scenarios import DEFAULT_SCENARIOS_PATH, Scenario, load_scenarios
from .sop import Sop, default_sop, yaml_load
from .words import conditions, refund_parts


def sop() -> Sop:
    return default_sop()


@functools.lru_cache(maxsize=1)
def _bank(version: str, path: str, mtime_ns: int) -> dict[str, Scenario]:
    return {s.id: s for s in load_scenarios(default_sop())}


def bank() -> dict[str, Scenario]:
    """The scenario bank by id (SC01 ...), read again when its file or the SOP changes."""
    s = default_sop()
    return _bank(s.version + str(id(s)), str(DEFAULT_SCENARIOS_PATH), DEFAULT_SCENARIOS_PATH.stat().st_mtime_ns)


def clock() -> datetime:
    """The fixed training clock of the scenario bank: lessons read every case at this time."""
    data = yaml_load(DEFAULT_SCENARIOS_PATH.read_text(encoding="utf-8"))
    return parse_time(data["training_clock"], "training_clock")


def bi(item, sep: str = " / ") -> str:
    """A bilingual SOP text (anything with .zh/.en) or ui key, as 'zh / en'."""
    if isinstance(item, str):
        item = default_sop().ui[item]
    return f"{item.zh}{sep}{item.en}" if item.zh != item.en else item.zh


def say(key: str, value: object) -> None:
    """Print one labelled line: '应采取的操作 / Action: ...'."""
    print(f"{bi(key)}: {value}")


def action_text(action_id: str) -> str:
    """An action by its title, in both languages (never its internal id)."""
    return bi(default_sop().action_by_id[action_id])


def decision_of(sid: str) -> Decision:
    return bank()[sid].decide(default_sop())


def show_case(sid: str, *, amount: bool = False, cautions: bool = False) -> Decision:
    """Print a scenario's title, the action the SOP prescribes and the rule behind it.

    With amount=True the refund line by line; with cautions=True each caution's status.
    Never the deadline (see the module docstring).
    """
    s, sc = default_sop(), bank()[sid]
    d = sc.decide(s)
    print(f"{sc.id} {bi(sc.title)}")
    say("action", action_text(d.action))
    if d.held_action:
        say("held", action_text(d.held_action) + " ← " + " / ".join(cites(s, d.blocked_by, lang) for lang in ("zh", "en")))
    print(f"  {bi('why')}: {d.rule} {conditions(d.rule, s, 'zh')} / {conditions(d.rule, s, 'en')}")
    if amount:
        print_refund(d)
    if cautions:
        for c in d.cautions:
            print(f"  {c.id} {bi('status_' + c.status)}  {bi(s.caution_by_id[c.id])}")
    return d


def print_refund(d: Decision) -> None:
    s = default_sop()
    for zh, en in zip(refund_parts(d.refund, s, "zh"), refund_parts(d.refund, s, "en")):
        print(f"  {zh.sign} {zh.label} / {en.label}: {zh.amount}  ({zh.treatment} / {en.treatment})")
    print(f"  = {bi('refund_amount')}: {fmt(d.refund.total)}")
    if d.refund.fee:
        print(f"  {bi('fee')}: {fmt(d.refund.fee)}")


# -- the shop's after-sales history (lessons 07 and 08) ------------------------

def shop_history():
    """Finished tickets (refunded or closed) of the sample export under data/sample_export.

    Read with `refundkit.triage` (which handles the export's encodings and
    duplicates); finished tickets only, so nothing here depends on the
    handling window. Adds `reason_label` (the SOP's reason, bilingual) and
    `week` (Monday of the request's week).
    """
    import pandas as pd

    from .sop import REPO_ROOT
    from .triage import load_exports, triage

    s = default_sop()
    result = triage(load_exports([REPO_ROOT / "data" / "sample_export"], s), s, clock())
    f = result.finished.copy()
    labels = {r.id: bi(r, "\n") for r in s.reasons}
    f["reason_label"] = f["reason"].astype("object").map(labels).fillna(bi("other_reason", "\n"))
    day = f["requested_at"].dt.tz_localize(None).dt.normalize()
    f["week"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    return f


def yuan(fen_total) -> str:
    """Integer fen to '1,234.50' (exact: no float arithmetic)."""
    from decimal import Decimal

    return f"{(Decimal(int(fen_total)) / 100):,.2f}"


def bar_chart(series, title_key: str, value_key: str):
    """A horizontal bar chart with Chinese labels (CJK font picked by refundkit.plotting)."""
    import matplotlib.pyplot as plt

    from .plotting import use_cjk_font

    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(series) + 1.2))
    series.sort_values().plot.barh(ax=ax, color="#e8710a")
    ax.set_title(bi(title_key))
    ax.set_xlabel(bi(value_key))
    ax.set_ylabel("")
    fig.tight_layout()
    return fig


def ranked(values):
    """Counts of a column, largest first and ties by name, so stored outputs never reorder."""
    counts = values.value_counts()
    order = sorted(counts.index, key=lambda k: (-counts[k], str(k)))
    return counts.loc[order]
