"""Guided exercises: questions as data, keys from the engine, widgets, a progress record.

    from refundkit.exercises import Exercise          # the notebook face (ipywidgets)
    from refundkit.exercises.key import answer_key    # the key of one question under one SOP
    from refundkit.exercises.check import check       # right or wrong, with the rule and a hint

Subpackages are named by what they do: `bank` (the question file), `key`,
`check`, `session` (one learner, one exercise: check, record, score), `data`
(the sample records of the data exercise), `widgets`, `solutions` (the
trainer's answer sheets).
"""
from .bank import Bank, BankError, Question, default_bank, load_bank
from .check import AnswerError, Feedback, check
from .key import AnswerKeyError, Key, answer_key, key_changes


def __getattr__(name):
    # The widgets pull in ipywidgets, a session the progress record (SQLAlchemy): load them only when
    # asked (the keys and the question file are read without them, e.g. by `sop impact`).
    if name in ("Exercise", "QuestionWidget"):
        from . import widgets

        return getattr(widgets, name)
    if name in ("NameNeeded", "Session"):
        from . import session

        return getattr(session, name)
    raise AttributeError(name)


__all__ = ["Bank", "BankError", "Question", "default_bank", "load_bank", "AnswerError", "Feedback", "check",
           "AnswerKeyError", "Key", "answer_key", "key_changes", "NameNeeded", "Session", "Exercise", "QuestionWidget"]
