"""refundkit: the Douyin shop refund SOP as data, and one engine that applies it.

    from refundkit import default_sop, parse_case, decide
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
