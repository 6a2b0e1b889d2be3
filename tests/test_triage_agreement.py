"""One table, two readers: the vectorised triage says what `decide()` says, row for row.

Thousands of generated cases (seeded, as many as the hypothesis profile says, plus hypothesis for
shrinking) are decided both ways and must agree on action, rule, held action, money out, refund, fee, deadline, urgency, hours
left, every caution's status, blocking, next steps and after-refund tasks: with the shipped SOP
(Asia/Shanghai), with channel fees, with the SOP's zone set to Europe/Berlin across both
daylight-saving changes of 2026, and to a fixed-offset zone.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refundkit.cases import Case, parse_case
from refundkit.engine import decide
from refundkit.sop import parse_sop
from refundkit.triage import cases_frame, decide_frame, load_exports, row_case, to_cases
from refundkit.triage.mapping import load_mapping

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
# Seeded cases per batch follow the hypothesis profile (tests/conftest.py): 1,500 in a run of the
# suite, 30,000 with --hypothesis-profile=thorough.
SEEDED = 15 * settings.default.max_examples


def frame_decisions(cases, sop, now):
    df = decide_frame(cases_frame(cases, sop), sop, now)
    out = []
    for r in df.to_dict("records"):
        out.append({
            "action": r["action"], "rule": r["rule"], "held_action": r["held_action"] or None,
            "money_out": bool(r["money_out"]),
            "refund": f"{r['refund_fen'] / 100:.2f}", "fee": f"{r['fee_fen'] / 100:.2f}",
            "deadline": r["due"].isoformat(), "urgency": r["urgency"], "hours_left": round(float(r["hours_left"]), 2),
            "cautions": {c.id: r[c.id] for c in sop.cautions if r[c.id]},
            "blocked_by": [b for b in r["blocked_by"].split(",") if b],
            "next_steps": [s for s in r["next_steps"].split(",") if s],
            "after_refund": [a for a in r["after_refund"].split(",") if a],
        })
    return out


def engine_decisions(cases, sop, now):
    keys = ("action", "rule", "held_action", "money_out", "refund", "fee", "deadline", "urgency", "hours_left", "cautions",
            "blocked_by", "next_steps", "after_refund")
    out = []
    for c in cases:
        d = decide(c, sop, now).as_dict()
        out.append({k: d[k] for k in keys})
    return out


def random_case(rng: random.Random, sop, i: int, now: datetime = NOW, zones=(TZ, ZoneInfo("UTC"))) -> Case:
    f = sop.facts

    def one(name):
        return rng.choice(f[name].domain())

    goods = rng.randint(0, 200_000)
    coupon = rng.randint(0, goods) if rng.random() < 0.4 else 0
    discount = rng.randint(0, goods - coupon) if rng.random() < 0.4 else 0
    shipping = rng.choice([0, 0, 600, 1000, rng.randint(0, 5000)])
    cost_guess = goods + shipping - coupon - discount
    balance = rng.choice([None, None, rng.randint(0, 300_000), max(0, cost_guess), max(0, cost_guess - 1), cost_guess + 1])
    # Times: anywhere in a fortnight, and exactly on the deadline / the due-soon edge.
    window = timedelta(days=sop.parameters.handling_window.days)
    soon = timedelta(hours=sop.parameters.due_soon_hours)
    offset = rng.choice([
        timedelta(seconds=rng.randint(-14 * 86400, 86400)),
        timedelta(minutes=rng.randint(-14 * 1440, 1440)),   # whole minutes: lands on DST edges
        -window, -window + soon, -window + soon + timedelta(seconds=1), -window - timedelta(seconds=1),
        -window + timedelta(microseconds=rng.randint(1, 999_999)),
    ])
    return Case(
        id=f"T{i}", order_state=one("order_state"), request_type=one("request_type"),
        return_progress=one("return_progress"), negotiation=one("negotiation"),
        grounds_to_refuse=one("grounds_to_refuse"), customer_disputes=one("customer_disputes"),
        platform_intervention=one("platform_intervention"),
        address_checked=rng.choice([None, True, False]), customer_info_verified=rng.choice([None, True, False]),
        merchant_balance=None if balance is None else Decimal(balance) / 100,
        requested_at=(now + offset).astimezone(rng.choice(zones)),
        amounts={"goods": Decimal(goods) / 100, "shipping": Decimal(shipping) / 100,
                 "coupon": Decimal(coupon) / 100, "discount": Decimal(discount) / 100},
        refund_method=rng.choice(list(sop.method_by_id)),
        reason=rng.choice([None] + [r.id for r in sop.reasons]),
    )


@pytest.fixture(scope="module")
def fee_sop(sop_text):
    """The shipped SOP with real channel fees, so half-up fee rounding is exercised."""
    text = sop_text.replace('fee_rate: "0"\n      fee_paid_first: true', 'fee_rate: "0.006"\n      fee_paid_first: true')
    text = text.replace('fee_rate: "0"\n      fee_paid_first: false', 'fee_rate: "0.0035"\n      fee_paid_first: false')
    assert text != sop_text
    return parse_sop(text)


@pytest.mark.parametrize("which", ["shipped", "with_fees"])
def test_thousands_of_generated_cases_agree(sop, fee_sop, which):
    use = sop if which == "shipped" else fee_sop
    rng = random.Random(7 if which == "shipped" else 8)
    cases = [random_case(rng, use, i) for i in range(SEEDED)]
    got = frame_decisions(cases, use, NOW)
    want = engine_decisions(cases, use, NOW)
    mismatches = [(c.id, g, w) for c, g, w in zip(cases, got, want) if g != w]
    assert not mismatches, mismatches[:3]
    # The generator reached every action and every urgency, so the agreement means something.
    assert {w["action"] for w in want} == {a.id for a in use.actions}
    assert {w["urgency"] for w in want} == {"overdue", "due_soon", "on_time"}
    if which == "with_fees":
        assert any(w["fee"] != "0.00" for w in want)


fact_values = lambda sop, name: st.sampled_from(sop.facts[name].domain())  # noqa: E731


@st.composite
def cases_strategy(draw, sop):
    goods = draw(st.integers(0, 10**9))
    coupon = draw(st.integers(0, goods))
    discount = draw(st.integers(0, goods - coupon))
    data = {name: draw(fact_values(sop, name)) for name in
            ("order_state", "request_type", "return_progress", "negotiation", "grounds_to_refuse",
             "customer_disputes", "platform_intervention")}
    return Case(
        id="H", **data,
        address_checked=draw(st.sampled_from([None, True, False])),
        customer_info_verified=draw(st.sampled_from([None, True, False])),
        merchant_balance=draw(st.one_of(st.none(), st.integers(0, 2 * 10**9).map(lambda f: Decimal(f) / 100))),
        requested_at=NOW + timedelta(seconds=draw(st.integers(-30 * 86400, 30 * 86400))),
        amounts={"goods": Decimal(goods) / 100, "shipping": Decimal(draw(st.integers(0, 10**6))) / 100,
                 "coupon": Decimal(coupon) / 100, "discount": Decimal(discount) / 100},
        refund_method=draw(st.sampled_from(list(sop.method_by_id))),
    )


# An example here is a whole batch (a frame built each time): a quarter of the profile's count.
@settings(max_examples=max(1, settings.default.max_examples // 4))
@given(data=st.data())
def test_hypothesis_batches_agree(fee_sop, data):
    cases = data.draw(st.lists(cases_strategy(fee_sop), min_size=1, max_size=40))
    assert frame_decisions(cases, fee_sop, NOW) == engine_decisions(cases, fee_sop, NOW)


def test_sample_export_rows_are_valid_cases_and_agree(sop):
    """The mapping yields cases the engine accepts (parse_case checks them against the SOP)."""
    exp = load_exports(["data/sample_export"], sop)
    cf = to_cases(exp.frame, sop, load_mapping(sop))
    assert len(cf.cases) > 20
    dec = decide_frame(cf.cases, sop, NOW)
    for i in range(len(cf.cases)):
        case = parse_case(row_case(cf.cases.iloc[i], sop), sop)
        d = decide(case, sop, NOW)
        assert (d.action, d.rule, int(d.refund.total * 100), d.deadline.due) == (
            dec["action"].iat[i], dec["rule"].iat[i], dec["refund_fen"].iat[i], dec["due"].iat[i].to_pydatetime())
        assert d.to_check == tuple(x for x in dec["to_check"].iat[i].split(",") if x)
        # What the export cannot know stays unknown: never guessed.
        assert case.address_checked is None and case.customer_info_verified is None and case.merchant_balance is None


BERLIN = ZoneInfo("Europe/Berlin")


def zone_sop(sop_text, zone: str):
    text = sop_text.replace("timezone: Asia/Shanghai", f"timezone: {zone}")
    assert text != sop_text
    return parse_sop(text)


# Both clock changes of 2026 in Berlin (29 March, 25 October) fall inside the window before "now".
DST_NOWS = [datetime(2026, 4, 1, 10, 30, tzinfo=BERLIN), datetime(2026, 10, 29, 9, 15, tzinfo=BERLIN)]


@pytest.mark.parametrize("now", DST_NOWS, ids=["march", "october"])
def test_agree_across_daylight_saving(sop_text, now):
    """Times in the SOP's own zone (as the export's rows are), across the clock change."""
    berlin = zone_sop(sop_text, "Europe/Berlin")
    rng = random.Random(now.month)
    cases = [random_case(rng, berlin, i, now, zones=(BERLIN, BERLIN, ZoneInfo("UTC"))) for i in range(SEEDED // 2)]
    got, want = frame_decisions(cases, berlin, now), engine_decisions(cases, berlin, now)
    mismatches = [(c.id, c.requested_at.isoformat(), g, w) for c, g, w in zip(cases, got, want) if g != w]
    assert not mismatches, mismatches[:3]
    assert {w["urgency"] for w in want} == {"overdue", "due_soon", "on_time"}
    # The deadline is 7 × 24 hours of absolute time: an hour off the wall clock across the change.
    shifted = [w for c, w in zip(cases, want) if datetime.fromisoformat(w["deadline"]).utcoffset() != c.requested_at.astimezone(BERLIN).utcoffset()]
    assert shifted, "no generated case crosses the clock change"
    for c, w in zip(cases, want):
        due = datetime.fromisoformat(w["deadline"])
        assert due - c.requested_at == timedelta(days=berlin.window_days)  # aware minus aware: absolute
        assert due.utcoffset() == due.astimezone(BERLIN).utcoffset()       # shown in Berlin time


def test_the_berlin_case_of_the_issue(sop_text):
    """Asked 25 March 10:00 (+01:00), judged 1 April 10:30 (+02:00): 30 minutes left, not overdue."""
    berlin = zone_sop(sop_text, "Europe/Berlin")
    base = dict(order_state="not_shipped", request_type="refund_only", negotiation="refund_agreed",
                address_checked=True, customer_info_verified=True, amounts={"goods": "10.00"})
    case = parse_case(base | {"requested_at": datetime(2026, 3, 25, 10, 0, tzinfo=BERLIN)}, berlin)
    now = datetime(2026, 4, 1, 10, 30, tzinfo=BERLIN)
    for d in (engine_decisions([case], berlin, now)[0], frame_decisions([case], berlin, now)[0]):
        assert (d["action"], d["urgency"], d["hours_left"]) == ("cancel_and_refund", "due_soon", 0.5)
        assert d["deadline"] == "2026-04-01T11:00:00+02:00"


def test_agree_in_a_fixed_offset_zone(sop_text):
    """The SOP's zone a fixed offset (UTC-5), the cases' times in yet another offset (+05:45)."""
    fixed = zone_sop(sop_text, "Etc/GMT+5")
    now = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    rng = random.Random(5)
    cases = [random_case(rng, fixed, i, now, zones=(timezone(timedelta(hours=5, minutes=45)), fixed.tz)) for i in range(SEEDED // 3)]
    got, want = frame_decisions(cases, fixed, now), engine_decisions(cases, fixed, now)
    mismatches = [(c.id, g, w) for c, g, w in zip(cases, got, want) if g != w]
    assert not mismatches, mismatches[:3]
    assert {datetime.fromisoformat(w["deadline"]).utcoffset() for w in want} == {timedelta(hours=-5)}
