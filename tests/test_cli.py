"""`refundkit sop check` and `refundkit decide` as a user runs them: clear lines, right exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from refundkit.cli import main

GOOD = {
    "order_state": "received", "request_type": "return_and_refund", "return_progress": "arrived",
    "negotiation": "refund_agreed", "address_checked": True, "customer_info_verified": True,
    "merchant_balance": "500", "requested_at": "2026-11-18T09:30:00+08:00",
    "amounts": {"goods": "199", "shipping": "10", "coupon": "20", "discount": "9.90"},
}
NOW = "2026-11-20T10:00:00+08:00"


def write(tmp_path, data, name="case.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_sop_check_prints_one_line_summary(capsys, sop):
    assert main(["sop", "check"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [sop.summary_line()]
    assert "8 steps, 6 cautions, 10 branches" in out[0]


def test_sop_check_lists_problems_and_fails(tmp_path, sop_text, capsys):
    bad = tmp_path / "sop.yaml"
    bad.write_text(sop_text.replace("action: refund_now\n", "action: refnd_now\n"), encoding="utf-8")
    assert main(["sop", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "unknown action 'refnd_now'" in err and f"{bad}:" in err and "2 problem(s)" in err and "action 'refund_now' is never the outcome of a rule" in err


def test_decide_reproduces_every_scenario(tmp_path, scenarios, capsys):
    for s in scenarios:
        case = s.case.model_dump(mode="json", exclude={"id"})
        path = write(tmp_path, case, f"{s.id}.json")
        assert main(["decide", str(path), "--now", s.now.isoformat(), "--json"]) == 0, s.id
        got = json.loads(capsys.readouterr().out)
        assert got["action"] == s.expected["action"], s.id
        assert got["refund"] == s.expected["refund"], s.id


def test_decide_text_in_english(tmp_path, capsys):
    assert main(["decide", str(write(tmp_path, GOOD)), "--now", NOW, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Action: Refund now [refund_now]")
    assert "= Total ¥179.10" in out and "2026-11-25 09:30" in out


def test_schema_lists_allowed_values(capsys):
    assert main(["decide", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["order_state"]["enum"] == ["not_shipped", "shipped", "received"]
    assert "order_state" in schema["required"]


@pytest.mark.parametrize("change,part", [
    ({"amounts": {"goods": "-5"}}, "amounts.goods: goods: must not be negative"),
    ({"amounts": {"goods": "10", "coupon": "50"}}, "coupon 50.00 is larger than the goods price 10.00"),
    ({"requested_at": "2026-11-18T09:30:00"}, "requested_at: 2026-11-18T09:30:00 has no time zone"),
    ({"order_state": "delivered"}, "order_state: unknown value 'delivered' (expected one of not_shipped, shipped, received)"),
    ({"order_state": None}, "order_state"),
])
def test_bad_case_one_clear_line_exit_2(tmp_path, capsys, change, part):
    data = dict(GOOD, **change)
    if change.get("order_state", "x") is None:
        del data["order_state"]
    path = write(tmp_path, data)
    assert main(["decide", str(path), "--now", NOW]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and part in err, err


def test_no_traceback_from_the_installed_command(tmp_path, capsys):
    """As a process of its own (one is enough: every command's errors go through the same `main`)."""
    path = write(tmp_path, dict(GOOD, amounts={"goods": "abc"}))
    proc = subprocess.run([sys.executable, "-m", "refundkit.cli", "decide", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "expected an amount in yuan" in proc.stderr
    assert main(["decide", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "cannot read the file" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_gap_in_an_edited_sops_table_is_one_line(tmp_path, sop_text, capsys):
    """A trainer narrows a rule so some cases match none: decide says so in one line, exit 2."""
    gap = sop_text.replace("    when: {order_state: not_shipped}\n",
                           "    when: {order_state: not_shipped, request_type: return_and_refund}\n", 1)
    assert gap != sop_text
    (tmp_path / "gap.yaml").write_text(gap, encoding="utf-8")
    case = dict(GOOD, order_state="not_shipped", request_type="refund_only", return_progress="not_requested")
    rc = main(["decide", str(write(tmp_path, case)), "--now", NOW, "--sop", str(tmp_path / "gap.yaml")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "no rule of SOP" in err and "order_state=not_shipped" in err
