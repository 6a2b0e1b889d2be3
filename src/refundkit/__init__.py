"""refundkit: the Douyin shop refund SOP as data, and one engine that applies it.

    from refundkit import default_sop, parse_case, decide

Layers, each importing only those below it (tests/test_import_layers.py walks every import):
  bottom  vocab (fact names, amount fields, urgency) · errors · paths · typed_input · money ·
          clock (deadlines on absolute time; wording passed in) · safeyaml · placeholders
  model   sop (load, validate, the SOP as pydantic models) · cases (one request)
  table   table (the SOP compiled once: rule value sets, money out, cautions, signs, fees, deadline)
  engine  engine.decide (one case) · triage.vectorised.decide_frame (a frame): two readers of one table
  words   words (decisions, refunds, deadlines, rules as zh/en text)
  faces   widgets/ · exercises/ · triage/ · review/ · progress · app/ · lessons · flowchart · cli + commands/
"""
from .cases import Case, CaseError, case_schema, parse_case, read_case_file
from .engine import Decision, compute_refund, decide
from .money import fen, fmt, to_money
from .sop import DEFAULT_SOP_PATH, Sop, SopError, default_sop, load_sop
from .words import explain

__all__ = [
    "Case", "CaseError", "case_schema", "parse_case", "read_case_file",
    "Decision", "compute_refund", "decide", "explain",
    "fen", "fmt", "to_money",
    "DEFAULT_SOP_PATH", "Sop", "SopError", "default_sop", "load_sop",
]
