"""Hostile files are refused quickly with one line and exit 2, never obeyed (issue: safe loading).

The time bound (2 s, measured inside each test around the command) is the requirement itself;
the refusals take milliseconds, so the bound only fails when a file is obeyed instead.
"""
from __future__ import annotations

import datetime
import time

import pytest

from refundkit import safeyaml
from refundkit.cli import main

NOW = "2026-11-20T10:00:00+08:00"
GOOD_CASE = """\
order_state: shipped
request_type: refund_only
requested_at: 2026-11-18T10:00:00+08:00
amounts: {goods: 99.00, shipping: 6.00}
"""


def run_timed(argv, capsys):
    start = time.perf_counter()
    rc = main(argv)
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    return rc, out, err, elapsed


def billion_laughs(sop_text: str) -> str:
    """Nine levels of nine aliases nested inside `sections:` (9**9 leaves once expanded)."""
    bomb = "sections:\n  - &l0 {id: Z0, zh: lol, en: lol}\n"
    bomb += "".join(f"  - &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    return sop_text.replace("sections:\n", bomb, 1)


HOSTILE_SOPS = {
    "billion laughs": (billion_laughs, r"laughs.yaml:27: the value anchored here (&name) is reused by an alias"),
    "self-referencing alias": (lambda t: t.replace("sections:\n", "sections:\n  - &me [*me]\n", 1),
                               "self.yaml:27: the value anchored here (&name) is reused by an alias"),
    "duplicate key": (lambda t: t.replace("  due_soon_hours: 24\n", "  due_soon_hours: 24\n  due_soon_hours: 48\n", 1),
                      "dup.yaml:{line}: duplicate key 'due_soon_hours' (first at line {first})"),
    "merge key": (lambda t: t.replace("  money_places: 2\n", "  money_places: 2\n  <<: {due_soon_hours: 1}\n", 1),
                  "merge.yaml:{line}: YAML merge keys (<<) are not allowed"),
}
FILE_NAMES = {"billion laughs": "laughs.yaml", "self-referencing alias": "self.yaml", "duplicate key": "dup.yaml",
              "merge key": "merge.yaml"}


@pytest.mark.parametrize("what", list(HOSTILE_SOPS))
def test_hostile_sop_refused_fast_with_one_line(tmp_path, sop_text, capsys, what):
    make, expected = HOSTILE_SOPS[what]
    text = make(sop_text)
    path = tmp_path / FILE_NAMES[what]
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    if what == "duplicate key":
        first = lines.index("  due_soon_hours: 24") + 1
        expected = expected.format(line=first + 1, first=first)
    if what == "merge key":
        expected = expected.format(line=lines.index("  <<: {due_soon_hours: 1}") + 1)
    rc, out, err, elapsed = run_timed(["sop", "check", str(path)], capsys)
    assert rc == 2
    assert err.count("\n") == 1 and expected.replace("laughs.yaml", str(tmp_path / "laughs.yaml")).split(":", 1)[-1] in err
    assert str(path) in err and "Traceback" not in err and out == ""
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_oversized_and_binary_sop_refused(tmp_path, sop_text, capsys):
    big = tmp_path / "big.yaml"
    big.write_text(sop_text + "#" * (safeyaml.MAX_BYTES + 1), encoding="utf-8")
    rc, _, err, elapsed = run_timed(["sop", "check", str(big)], capsys)
    assert rc == 2 and "too large" in err and f"limit is {safeyaml.MAX_BYTES:,}" in err and elapsed < 2.0
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"version: 1\x00\x01\x02" * 100)
    rc, _, err, elapsed = run_timed(["sop", "check", str(binary)], capsys)
    assert rc == 2 and "not a text file (binary data at byte 10)" in err and elapsed < 2.0


HOSTILE_CASES = {
    # name: (file text or bytes, message part)
    "binary": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, "bin.yaml: not a text file (binary data at byte 7)"),
    "infinite amount": (GOOD_CASE.replace("99.00", ".inf"), ("amounts.goods: goods: ", "got inf")),
    "not a number": (GOOD_CASE.replace("99.00", ".nan"), ("amounts.goods: goods: ", "got nan")),
    "1e30": (GOOD_CASE.replace("99.00", "1.0e+30"), ("amounts.goods: goods: ", "got 1e+30")),
    "20 digits": (GOOD_CASE.replace("99.00", '"99999999999999999999"'),
                  "amounts.goods: above the SOP's limit for one refund, ¥1,000,000.00: most likely"),
    "above the SOP maximum": (GOOD_CASE.replace("shipping: 6.00", "shipping: 1000000.01"),
                              "amounts.shipping: above the SOP's limit for one refund"),
    "request after now": (GOOD_CASE.replace("2026-11-18T10", "2026-11-21T10"),
                          "requested_at 2026-11-21T10:00:00+08:00 is after now (2026-11-20T10:00:00+08:00)"),
    "alias": (GOOD_CASE.replace("amounts: {goods: 99.00, shipping: 6.00}", "amounts: &a {goods: 1}\nalso: *a"),
              "line 4: the value anchored here (&name) is reused by an alias"),
    "duplicate field": (GOOD_CASE + "order_state: received\n", "line 5: duplicate key 'order_state' (first at line 1)"),
    "too large": (GOOD_CASE + "#" * 70_000, "too large (70,1"),
}


@pytest.mark.parametrize("what", list(HOSTILE_CASES))
def test_hostile_case_file_refused_fast_with_one_line(tmp_path, capsys, what):
    body, expected = HOSTILE_CASES[what]
    path = tmp_path / ("bin.yaml" if what == "binary" else "case.yaml")
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body, encoding="utf-8")
    rc, out, err, elapsed = run_timed(["decide", str(path), "--now", NOW], capsys)
    assert rc == 2, out
    assert err.startswith(f"refundkit decide: {path}") and err.count("\n") == 1
    for part in (expected,) if isinstance(expected, str) else expected:
        assert part in err, err
    assert "Traceback" not in err and out == ""
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_json_case_refuses_nan_and_huge(tmp_path, capsys):
    path = tmp_path / "case.json"
    path.write_text('{"order_state": "shipped", "amounts": {"goods": NaN}}', encoding="utf-8")
    assert main(["decide", str(path), "--now", NOW]) == 2
    assert "not valid JSON: NaN is not a number a case can hold" in capsys.readouterr().err


def test_good_case_still_decided(tmp_path, capsys):
    path = tmp_path / "case.yaml"
    path.write_text(GOOD_CASE, encoding="utf-8")
    assert main(["decide", str(path), "--now", NOW, "--lang", "en"]) == 0
    assert "Action:" in capsys.readouterr().out


def test_loader_accepts_plain_yaml_and_refuses_deep_nesting():
    assert safeyaml.load("a: 1\nb: [x, y]\nv: {true: yes, false: no}\n") == {"a": 1, "b": ["x", "y"], "v": {True: True, False: False}}
    with pytest.raises(safeyaml.YamlError):
        safeyaml.load("[" * 100_000)
    with pytest.raises(safeyaml.YamlError, match="line 3: duplicate key 'True'"):
        safeyaml.load("v:\n  true: 1\n  True: 2\n")


def test_text_read_again_gives_the_same_data_as_a_copy_of_its_own():
    """The loader keeps what it read lately: a second read of a text is the same data, and changing
    what one caller got changes nothing for the next."""
    text = "when: 2026-11-19\nsteps: [{id: ST1, days: 7}]\n"
    first = safeyaml.load(text)
    first["steps"][0]["days"] = 5
    first["extra"] = True
    again = safeyaml.load(text)
    assert again == {"when": datetime.date(2026, 11, 19), "steps": [{"id": "ST1", "days": 7}]}
    assert again is not safeyaml.load(text)
    with pytest.raises(safeyaml.YamlError, match="line 2: duplicate key"):  # refused each time, not kept
        safeyaml.load("a: 1\na: 2\n")
    with pytest.raises(safeyaml.YamlError, match="line 2: duplicate key"):
        safeyaml.load("a: 1\na: 2\n")


def test_every_kit_yaml_reads_through_the_safe_loader(tmp_path, sop):
    """The mapping, scenarios and questions refuse aliases and duplicate keys too."""
    from refundkit.exercises.bank import BankError, load_bank
    from refundkit.scenarios import load_scenarios
    from refundkit.triage import TriageError, load_mapping
    from refundkit.sop import REPO_ROOT

    mapping = (REPO_ROOT / "sop" / "export_mapping.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "mapping.yaml"
    bad.write_text(mapping.replace("columns:\n", "columns:\n  ticket: {column: X}\n", 1), encoding="utf-8")
    with pytest.raises(TriageError, match=r"mapping.yaml: line \d+: duplicate key 'ticket'"):
        load_mapping(sop, bad)
    scen = tmp_path / "scenarios.yaml"
    scen.write_text((REPO_ROOT / "data" / "scenarios.yaml").read_text(encoding="utf-8").replace(
        "scenarios:\n", "x: &a [1]\ny: *a\nscenarios:\n", 1), encoding="utf-8")
    with pytest.raises(Exception, match="anchors and aliases are not allowed"):
        load_scenarios(sop, scen)
    bank = tmp_path / "questions.yaml"
    bank.write_text("training_clock: x\ntraining_clock: y\nexercises: []\n", encoding="utf-8")
    with pytest.raises(BankError, match="duplicate key 'training_clock'"):
        load_bank(bank)
