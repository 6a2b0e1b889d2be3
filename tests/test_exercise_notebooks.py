"""The exercise notebooks follow the question file; learner versions hide answers, trainer versions show them.

(nbval re-runs the notebooks themselves; see the Makefile's test target.)
"""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from refundkit.exercises import default_bank
from refundkit.exercises.key import answer_key, answer_words

REPO = Path(__file__).resolve().parent.parent
BANK = default_bank()


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _outputs(nb: dict) -> str:
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            out.append("".join(o.get("text", "")))
            for v in o.get("data", {}).values():
                out.append(v if isinstance(v, str) else "".join(v) if isinstance(v, list) else "")
    return "\n".join(out)


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_exercises", REPO / "tools" / "build_exercises.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_notebooks_are_in_step_with_the_question_file(capsys, monkeypatch):
    tool = _build_tool()
    assert tool.main(["--check"]) == 0, capsys.readouterr().out
    # And the check does fail when a notebook no longer matches what the question file asks for.
    targets = list(tool.targets())
    monkeypatch.setattr(tool, "targets", lambda: [(p, cells[:-1]) for p, cells in targets])
    assert tool.main(["--check"]) == 1
    assert "out of step with exercises/questions.yaml" in capsys.readouterr().out


@pytest.mark.parametrize("ex", BANK.exercises, ids=lambda e: e.id)
def test_learner_notebook_rhythm_and_no_answers(ex, sop):
    nb = _nb(REPO / "notebooks" / "exercises" / f"{ex.notebook}.ipynb")
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert "ex.objectives()" in sources[1]  # objectives first
    assert sources[-1] == "ex.key_points()"  # key points last
    for q in BANK.questions_of(ex.id):
        assert any(f'ex.question("{q.id.split(".")[1]}")' in s for s in sources), q.id
    text = _outputs(nb)
    assert ex.objectives[0].zh in text and ex.key_points[-1].en in text
    assert f"{sop.t('score', 'zh')}: 0/{len(BANK.questions_of(ex.id))}" in text  # unanswered: says so
    assert sop.t("not_answered", "zh") in text
    assert "Traceback" not in text and "Error" not in text


@pytest.mark.parametrize("ex", BANK.exercises, ids=lambda e: e.id)
def test_trainer_notebook_shows_every_answer_and_timing(ex, sop):
    nb = _nb(REPO / "exercises" / "trainer" / f"exercise_{ex.notebook}.ipynb")
    text = _outputs(nb)
    assert f"{ex.minutes} {sop.t('minutes', 'zh')}" in text
    for q in BANK.questions_of(ex.id):
        key = answer_key(q, sop)
        assert f"[{q.id}]" in text
        assert answer_words(q, key.answer, sop, "zh") in text, q.id
        assert answer_words(q, key.answer, sop, "en") in text, q.id


def test_no_machine_paths_in_stored_outputs():
    for path in [*(REPO / "notebooks" / "exercises").glob("*.ipynb"), *(REPO / "exercises" / "trainer").glob("*.ipynb")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"/work/|/tmp/|/root/|/home/", text), path.name


def test_dashboard_notebook_stores_the_sample_tables(sop):
    nb = _nb(REPO / "exercises" / "trainer" / "workshop_dashboard.ipynb")
    text = _outputs(nb)
    for word in ("learner", "top_wrong", "rule_behind", "current_version", "tr_stuck", "tr_retrain", "tr_sample_class"):
        assert sop.t(word, "zh") in text, word  # the trainer page's view, over the sample class
    assert text.count("<Figure") == 2  # both charts drawn
    assert any("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


def test_trainer_guide_lists_every_exercise_with_its_time():
    guide = (REPO / "exercises" / "TRAINER.md").read_text(encoding="utf-8")
    assert "## 中文" in guide and "## English" in guide
    for ex in BANK.exercises:
        rows = [line for line in guide.splitlines() if f"exercises/{ex.notebook}.ipynb" in line and line.startswith("|")]
        assert len(rows) == 2, ex.notebook  # one row in each language
        assert all(re.search(rf"\|\s*{ex.minutes}( 分钟)?\s*\|\s*$", r) for r in rows), rows
    assert "refundkit progress reset --yes" in guide and "refundkit progress path" in guide


def test_readme_says_where_the_names_are_kept_and_how_to_delete_them():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for needle in ("REFUNDKIT_DB", "refundkit progress path", "refundkit progress reset --yes", "progress.sqlite3",
                   "refundkit progress forget"):
        assert readme.count(needle) >= 2, needle  # in Chinese and in English


def test_trainer_guide_names_files_that_exist():
    guide = (REPO / "exercises" / "TRAINER.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`([\w/]+\.ipynb)`", guide))
    assert len(paths) > 10
    # A path is the repository's, or the trainees' view of it (their Lab starts at notebooks/).
    assert not [p for p in paths if not (REPO / p).is_file() and not (REPO / "notebooks" / p).is_file()]


def test_trainee_lab_root_holds_no_trainer_material():
    """`make lab` serves notebooks/ only: no answer sheet or dashboard may live under it."""
    assert "--ServerApp.root_dir=notebooks" in (REPO / "Makefile").read_text()
    for path in (REPO / "notebooks").rglob("*.ipynb"):
        code = "".join("".join(c["source"]) for c in _nb(path)["cells"] if c["cell_type"] == "code")
        assert "Solutions(" not in code and "Dashboard" not in code, path.name
    assert (REPO / "exercises" / "trainer" / "workshop_dashboard.ipynb").is_file()
