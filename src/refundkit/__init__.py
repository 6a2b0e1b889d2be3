"""refundkit: the Douyin shop refund SOP as data, and one engine that applies it.

    from refundkit import default_sop, parse_case, decide

Layers, each importing only those below it (tests/test_import_layers.py walks every import):
  bottom  vocab (fact names, amount fields, urgency) · errors · paths · typed_input · money ·
          clock (deadlines on absolute time; wording passed in) · safeyaml · placeholders · processes
  model   sop (load, validate, the SOP as pydantic models) · cases (one request)
  table   table (the SOP compiled once: rule value sets, money out, cautions, signs, fees, deadline)
  engine  engine.decide (one case) · triage.vectorised.decide_frame (a frame): two readers of one table
  words   words (decisions, refunds, deadlines, rules as zh/en text)
  faces   widgets/ · exercises/ · triage/ · review/ · progress · app/ · lessons · flowchart · cli + commands/
"""
import importlib

# Where each name lives. Imported on first use, so a command that needs none of them (the
# triage of a large .xlsx starts its read before pandas and pydantic load) starts quickly.
_WHERE = {
    "Case": "refundkit.cases", "CaseError": "refundkit.cases", "case_schema": "refundkit.cases",
    "parse_case": "refundkit.cases", "read_case_file": "refundkit.cases",
    "Decision": "refundkit.engine", "compute_refund": "refundkit.engine", "decide": "refundkit.engine",
    "explain": "refundkit.words",
    "fen": "refundkit.money", "fmt": "refundkit.money", "to_money": "refundkit.money",
    "DEFAULT_SOP_PATH": "refundkit.sop", "Sop": "refundkit.sop", "SopError": "refundkit.sop",
    "default_sop": "refundkit.sop", "load_sop": "refundkit.sop",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'refundkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
