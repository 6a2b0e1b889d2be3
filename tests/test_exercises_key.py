"""The exercise answer key: computed by the engine, held against the reviewed `expected`."""
from __future__ import annotations

import os
from decimal import Decimal

import pytest
import yaml

from refundkit.exercises.bank import BankError, load_bank
from refundkit.exercises.check import AnswerError, check
from refundkit.exercises.key import AnswerKeyError, answer_key, answer_words, choice_label, key_changes, plain
from refundkit.sop import parse_sop

BANK = load_bank()


def _reviewed(q):
    exp = q.expected
    if q.form == "multi":
        return sorted(plain(exp))
    return plain(exp)


def _keyed(q, sop):
    k = answer_key(q, sop).plain()
    return sorted(k) if q.form == "multi" else k


def test_bank_size_and_spread():
    assert len(BANK.questions) >= 40
    assert len(BANK.exercises) >= 6
    forms = {q.form for q in BANK.questions}
    assert forms == {"choice", "number", "order", "multi"}
    for ex in BANK.exercises:
        assert len(BANK.questions_of(ex.id)) >= 5, ex.id


@pytest.mark.parametrize("q", BANK.questions, ids=lambda q: q.id)
def test_engine_key_matches_reviewed_expected(q, sop):
    assert _keyed(q, sop) == _reviewed(q), f"{q.id}: the engine's key moved; review it against the SOP"


@pytest.mark.parametrize("q", BANK.questions, ids=lambda q: q.id)
def test_every_choice_has_sop_text_in_both_languages(q, sop):
    for c in q.choices:
        zh, en = choice_label(q, c, sop, "zh"), choice_label(q, c, sop, "en")
        assert zh and en and zh != en, (q.id, c)


def test_right_answer_is_right_and_others_wrong(sop):
    for q in BANK.questions:
        key = answer_key(q, sop)
        fb = check(q, list(key.answer) if isinstance(key.answer, tuple) else key.answer, sop)
        assert fb.correct, q.id
        assert fb.revisit == ()
        if q.form == "choice":
            for wrong in (c for c in q.choices if c != key.answer):
                fb = check(q, wrong, sop, "en")
                assert not fb.correct
                assert key.sop_ids[0] in fb.revisit
                assert q.hint.en in fb.message


def test_wrong_action_names_the_deciding_rule_and_hint(sop):
    q = BANK.question("ex01.q02")
    fb = check(q, "refund_now", sop, "zh")
    assert not fb.correct
    assert "R08" in fb.message and "P03" in fb.message
    assert sop.facts["order_state"].label("shipped", "zh") in fb.message
    assert q.hint.zh in fb.message
    assert sop.t("wrong", "zh") in fb.message


def test_blocked_action_names_the_caution(sop):
    q = BANK.question("ex01.q06")
    fb = check(q, "refund_now", sop, "en")
    assert "C2" in fb.message and sop.caution_by_id["C2"].text.en in fb.message
    assert "C2" in fb.revisit


def test_amount_is_exact_to_the_fen(sop):
    q = BANK.question("ex02.q01")
    assert check(q, "215.1", sop).correct
    assert check(q, "¥215.10", sop).correct
    assert not check(q, "215.11", sop).correct
    with pytest.raises(AnswerError) as e:
        check(q, "two hundred", sop)
    assert e.value.ui_key == "invalid_number"
    with pytest.raises(AnswerError):
        check(q, "", sop)


def test_multi_select_reports_missed_and_extra(sop):
    q = BANK.question("ex04.q04")  # C2, C3, C4 block
    fb = check(q, ["C2", "C5"], sop, "en")
    assert not fb.correct
    # In words, with the first caution missed and the one ticked wrongly named by their titles.
    assert f"You missed C3 {sop.caution_by_id['C3'].en} (and 1 more)" in fb.message
    assert f"You ticked C5 {sop.caution_by_id['C5'].en}, which does not belong" in fb.message
    zh = check(q, ["C2", "C4"], sop, "zh").message
    assert f"你漏选了 C3 {sop.caution_by_id['C3'].zh}" in zh and ":" not in zh.split("\n")[1]
    assert {"C3", "C4", "C5"} <= set(fb.revisit)
    assert check(q, ["C4", "C2", "C3"], sop).correct  # order of ticking does not matter


def test_ordering_reports_first_misplaced_position(sop):
    q = BANK.question("ex03.q02")
    fb = check(q, ["ST6", "ST8", "ST7"], sop, "en")
    assert not fb.correct and "position 2" in fb.message
    assert check(q, ["ST6", "ST7", "ST8"], sop).correct


def test_no_choice_is_not_a_wrong_try(sop):
    with pytest.raises(AnswerError) as e:
        check(BANK.question("ex01.q01"), None, sop)
    assert e.value.ui_key == "choose_first"


def test_answer_words_read_from_sop(sop):
    q = BANK.question("ex02.q06")
    assert answer_words(q, Decimal("8"), sop, "zh") == f"8 {sop.t('hours', 'zh')}"
    q = BANK.question("ex06.q02")
    assert answer_words(q, ("E2", "E3"), sop, "en") == "; ".join(
        e.en for e in sop.platform_intervention.evidence if e.id in ("E2", "E3"))


def _variant(sop_text, old, new):
    assert old in sop_text
    return parse_sop(sop_text.replace(old, new, 1))


def test_key_follows_a_changed_window(sop, sop_text):
    """48 hours instead of 7 days: deadline questions and overdue cases move, others stay."""
    short = _variant(sop_text, "  handling_window:\n    days: 7", "  handling_window:\n    days: 2")
    changed = {c["question"]: c for c in key_changes(BANK.questions, sop, short)}
    assert "ex02.q08" in changed  # hours left: 125 -> 5
    assert changed["ex02.q08"]["old"] == "125" and changed["ex02.q08"]["new"] == "5"
    assert "ex01.q01" not in changed  # asked 14 h before the clock: still open under 2 days
    assert changed["ex01.q02"]["new"].startswith("error:")  # now overdue: the key is not among the choices
    assert not any(k.startswith("ex03.") for k in changed), "step order does not depend on the window"
    assert not any(k.startswith("ex06.q0" + n) for n in "123" for k in changed)
    for q in BANK.questions:
        if q.id not in changed:
            assert answer_key(q, short).plain() == answer_key(q, sop).plain()


def test_key_follows_a_changed_amount_rule(sop, sop_text):
    """If shipping stopped being refunded, only amount questions with shipping change."""
    no_ship = _variant(sop_text, "      - id: shipping\n        treatment: include",
                       "      - id: shipping\n        treatment: ignore")
    changed = {c["question"] for c in key_changes(BANK.questions, sop, no_ship)}
    assert {"ex02.q01", "ex02.q04", "ex02.q05"} <= changed
    assert "ex02.q02" in changed  # SC28: only the shipping was paid
    assert not any(q.startswith(("ex01.", "ex03.", "ex04.", "ex05.", "ex06.")) for q in changed)


def test_removed_choice_is_reported_not_skipped(sop, sop_text):
    start = sop_text.index("    - id: E5\n")
    end = sop_text.index("  not_evidence:")
    fewer = parse_sop(sop_text[:start] + sop_text[end:])
    changed = {c["question"]: c for c in key_changes(BANK.questions, sop, fewer)}
    assert "ex06.q01" in changed
    with pytest.raises(AnswerKeyError):
        choice_label(BANK.question("ex06.q01"), "E5", fewer)


def test_bad_question_file_names_question_and_field(tmp_path):
    data = yaml.safe_load(BANK.path.read_text(encoding="utf-8"))
    data["exercises"][1]["questions"][2]["kind"] = "guess"
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BankError, match=r"q\.yaml: exercises\[1\] \(ex02\): questions\[2\] \(q03\): kind: unknown 'guess'"):
        load_bank(p)
    data["exercises"][1]["questions"][2]["kind"] = "amount"
    del data["exercises"][1]["questions"][2]["hint"]
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BankError, match=r"hint: missing"):
        load_bank(p)
    data["exercises"][1]["questions"][2]["hint"] = {"zh": "只有中文"}
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BankError, match=r"hint: expected \{zh: \.\.\., en: \.\.\.\} with both languages"):
        load_bank(p)


@pytest.mark.parametrize("q", [q for q in BANK.questions if q.kind == "data"], ids=lambda q: q.id)
def test_trainer_pandas_solution_gives_the_key(q, sop):
    from refundkit.exercises.data import export_tickets, records_for

    assert q.pandas, f"{q.id}: a data question carries the trainer's pandas solution"
    frames = {"df": records_for(sop, q.now).copy(), "tickets": export_tickets(sop, q.now).copy()}
    got = eval(q.pandas, frames)  # noqa: S307 - our own question file
    assert plain(got if isinstance(got, (str, Decimal)) else Decimal(int(got))) == answer_key(q, sop).plain()


def test_learners_never_see_the_buyers_personal_details(sop):
    from refundkit.exercises.data import PERSONAL_COLUMNS, export_tickets

    tickets = export_tickets(sop, BANK.training_clock)
    assert len(tickets) > 100 and tickets["open"].any()
    assert not set(PERSONAL_COLUMNS) & set(tickets.columns)


def test_hours_left_can_be_answered_when_overdue(sop_text):
    # With a 5-day window SC13 is 40 hours overdue: the key is negative and a learner can give it.
    short = parse_sop(sop_text.replace("    days: 7\n", "    days: 5\n"))
    q = BANK.question("ex02.q06")
    key = answer_key(q, short)
    assert Decimal(key.answer) == Decimal("-40")
    assert check(q, "-40", short).correct
    assert not check(q, "40", short).correct


# -- the key finds what it cites in the SOP -------------------------------------

def _without_caution(text: str, cid: str) -> str:
    start = text.index(f"  - id: {cid}\n")
    end = text.index("  - id: ", start + 5)
    return text[:start] + text[end:]


def test_key_cites_what_the_sop_holds(sop, sop_text):
    hours = [q for q in BANK.questions if q.kind == "deadline"]
    assert hours and all(answer_key(q, sop).sop_ids == ("C1", "N03") for q in hours)
    renamed = parse_sop(sop_text.replace("  - id: C1\n", "  - id: C9\n").replace("  - id: N03\n", "  - id: N13\n"))
    assert all(answer_key(q, renamed).sop_ids == ("C9", "N13") for q in hours)
    refund = next(q for q in BANK.questions if q.kind == "amount" and q.ask in (None, "refund"))
    assert answer_key(refund, sop).sop_ids == ("S07", "ST7")
    moved = parse_sop(sop_text.replace("    choice: amount\n", "").replace("    choice: method\n", "    choice: amount\n"))
    assert answer_key(refund, moved).sop_ids == ("S07", "ST8")


def test_key_has_no_sop_ids_written_in_code():
    import re

    from refundkit.exercises import key, solutions

    for mod in (key, solutions):
        src = open(mod.__file__, encoding="utf-8").read()
        cited = re.findall(r"""["']((?:ST|[ACDEFNPRSV])\d{1,2})["']""", src)
        assert not cited, f"{mod.__name__} names SOP ids {cited}: find them in the SOP instead"


def test_removing_the_window_caution_is_refused_naming_the_question(sop_text, tmp_path, capsys):
    from refundkit.cli import main

    copy = tmp_path / "refund_sop.yaml"
    copy.write_text(_without_caution(sop_text, "C1"), encoding="utf-8")
    hours = next(q for q in BANK.questions if q.kind == "deadline")
    with pytest.raises(AnswerKeyError, match=rf"^{hours.id}: cites the caution on the handling window"):
        answer_key(hours, parse_sop(copy.read_text(encoding="utf-8")))
    rc = main(["sop", "check", str(copy)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "refused" in ln]
    assert rc == 2 and "Traceback" not in err and "KeyError" not in err
    assert len(lines) == 1 and f"exercises/questions.yaml: {hours.id}: cites the caution on the handling window" in lines[0]


def test_removing_the_amount_step_choice_is_refused(sop_text, tmp_path, capsys):
    from refundkit.cli import main

    copy = tmp_path / "refund_sop.yaml"
    copy.write_text(sop_text.replace("    choice: amount\n", ""), encoding="utf-8")
    rc = main(["sop", "check", str(copy)])
    err = capsys.readouterr().err
    assert rc == 2 and "the step whose choice is the amount" in err and "more question(s)" in err


def test_the_shipped_bank_follows_an_edit_of_the_scenarios_it_cites(tmp_path, monkeypatch):
    """A kernel keeps the question bank all day (the warm kernels' zygote loads it once): a trainer who
    edits a scenario the questions cite gets the edit in the next page, not yesterday's case."""
    from refundkit.exercises import bank as bank_module

    questions, scenarios = tmp_path / "questions.yaml", tmp_path / "scenarios.yaml"
    questions.write_bytes(bank_module.DEFAULT_BANK_PATH.read_bytes())
    scenarios.write_bytes(bank_module.SCENARIOS_PATH.read_bytes())
    monkeypatch.setattr(bank_module, "DEFAULT_BANK_PATH", questions)
    monkeypatch.setattr(bank_module, "SCENARIOS_PATH", scenarios)
    first = bank_module.default_bank()
    assert bank_module.default_bank() is first  # read once while nothing changes
    q = next(q for q in first.questions if q.scenario)
    data = yaml.safe_load(scenarios.read_text(encoding="utf-8"))
    sc = next(s for s in data["scenarios"] if s["id"] == q.scenario)
    balance = str(Decimal(str(sc["case"].get("merchant_balance", "0"))) + 1)
    sc["case"]["merchant_balance"] = balance
    scenarios.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    st = scenarios.stat()
    os.utime(scenarios, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a later edit, on any clock
    again = next(x for x in bank_module.default_bank().questions if x.id == q.id)
    assert again.case["merchant_balance"] == balance
