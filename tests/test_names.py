"""A learner's name has one spelling: the slips a Chinese keyboard makes do not make a second learner."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from refundkit.names import NAME_MAX, NameProblem, learner_name, normalise_name
from refundkit.progress import Attempt, ProgressStore


@pytest.mark.parametrize("typed", ["王芳", " 王芳", "王芳\u3000", "王 芳", "王\u3000芳", "王\u200b芳"])
def test_slips_of_a_chinese_name_are_one_learner(typed):
    assert normalise_name(typed) == "王芳"


@pytest.mark.parametrize("typed, kept", [("Ｌｉ  Ｌｅｉ", "Li Lei"), (" Li\tLei ", "Li Lei"), ("Wang 芳", "Wang 芳"),
                                          ("张伟２", "张伟2")])
def test_full_width_and_spaces_fold_but_words_stay_apart(typed, kept):
    assert normalise_name(typed) == kept


def test_empty_and_overlong_names_are_refused_with_a_reason():
    with pytest.raises(NameProblem) as e:
        learner_name(" \u3000 ")
    assert e.value.ui_key == "name_needed"
    assert learner_name("张" * NAME_MAX) == "张" * NAME_MAX
    with pytest.raises(NameProblem) as e:
        learner_name("张" * (NAME_MAX + 1))
    assert e.value.ui_key == "name_too_long"


def test_the_record_keeps_one_learner_for_two_spellings(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite3")
    at = datetime(2026, 11, 20, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    for name in ("王芳", "王　芳 "):
        store.record(Attempt(name, "ex01", "ex01.q01", "x", False, "1.0.0", at))
    assert {r["learner"] for r in store.rows()} == {"王芳"}
    assert store.delete_learner("王 芳") == 2
