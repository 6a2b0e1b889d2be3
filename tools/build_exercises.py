"""Write the exercise notebooks from the question file, then run them to store outputs.

    python tools/build_exercises.py            # write + execute learner and trainer notebooks
    python tools/build_exercises.py --check    # exit 1 if a notebook's cells differ from the question file

Learner notebooks go to exercises/NN_name.ipynb (widgets, no answers); trainer
versions to notebooks/trainer/exercise_NN_name.ipynb (answers, explanations,
timing). The cells are thin: every text is printed from the question file and
the SOP at run time, so nbval catches a moved key in the stored outputs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tools"))

IGNORE = "# NBVAL_IGNORE_OUTPUT  (a live widget: nothing to compare)\n"


def learner_cells(ex, questions):
    import nbformat.v4 as v4

    cells = [
        v4.new_markdown_cell(f"# {ex.title.zh}\n### {ex.title.en}\n\n"
                             f"{ex.intro.zh}  \n*{ex.intro.en}*"),
        v4.new_code_cell(f'from refundkit.exercises import Exercise\n\nex = Exercise("{ex.id}")\nex.objectives()'),
        v4.new_code_cell(IGNORE + "ex.start()"),
    ]
    if any(q.kind == "data" for q in questions):
        cells.append(v4.new_code_cell("df = ex.records()\ndf.head()"))
        cells.append(v4.new_code_cell("df.columns.tolist()"))
    for q in questions:
        short = q.id.split(".", 1)[1]
        cells.append(v4.new_code_cell(IGNORE + f'ex.question("{short}")'))
        if q.kind == "data":
            cells.append(v4.new_code_cell(""))  # the learner's own pandas
    cells += [
        v4.new_code_cell("ex.report()"),
        v4.new_code_cell(IGNORE + "ex.score_panel()"),
        v4.new_code_cell("ex.key_points()"),
    ]
    return cells


def trainer_cells(ex, questions):
    import nbformat.v4 as v4

    cells = [
        v4.new_markdown_cell(f"# {ex.title.zh}\n### {ex.title.en}\n\n"
                             f"讲师版:答案、依据和讲解都由SOP和引擎在运行时算出。  \n"
                             f"*Trainer version: answers, rules and explanations are computed from the SOP "
                             f"by the engine when the notebook runs.*\n\n"
                             f"学员版 / Learner version: `exercises/{ex.notebook}.ipynb`"),
        v4.new_code_cell(f'from refundkit.exercises.solutions import Solutions\n\nsol = Solutions("{ex.id}")\nsol.notes()'),
        v4.new_markdown_cell(
            "**讲师提示 / Trainer notes**\n\n"
            f"- 前 2 分钟:学员在第一个格里填写姓名(每本只填一次),确认语言。  \n"
            f"  *First 2 min: learners type their name once in the first cell and pick a language.*\n"
            f"- 中间 {max(ex.minutes - 7, 3)} 分钟:独立作答;答错时读“依据”和“提示”,再试一次。  \n"
            f"  *Next {max(ex.minutes - 7, 3)} min: answer alone; on a wrong answer read the rule and the hint, then try again.*\n"
            f"- 最后 5 分钟:打开 `workshop_dashboard.ipynb`,点“从数据库刷新”,讲解全班错得最多的题。  \n"
            f"  *Last 5 min: open `workshop_dashboard.ipynb`, click Refresh, and go over the questions the room missed most.*"),
    ]
    if any(q.kind == "data" for q in questions):
        cells.append(v4.new_code_cell("df = sol.records()\ndf.head()"))
    for q in questions:
        short = q.id.split(".", 1)[1]
        cells.append(v4.new_code_cell(f'sol.show("{short}")'))
        if q.pandas:
            cells.append(v4.new_code_cell(q.pandas))
    cells.append(v4.new_code_cell("sol.key_points()"))
    return cells


def notebook(cells):
    import nbformat.v4 as v4

    nb = v4.new_notebook()
    nb.cells = cells
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
                   "language_info": {"name": "python"}}
    return nb


def targets():
    from refundkit.exercises.bank import load_bank

    bank = load_bank()
    for ex in bank.exercises:
        qs = bank.questions_of(ex.id)
        yield REPO / "exercises" / f"{ex.notebook}.ipynb", learner_cells(ex, qs)
        yield REPO / "notebooks" / "trainer" / f"exercise_{ex.notebook}.ipynb", trainer_cells(ex, qs)


def sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, "".join(c.source)) for c in nb.cells]


def main(argv=None) -> int:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare cell sources with the question file")
    ap.add_argument("--no-run", action="store_true", help="write sources, do not execute")
    args = ap.parse_args(argv)
    stale, written = [], []
    for path, cells in targets():
        nb = notebook(cells)
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != sources(nb):
                stale.append(path.relative_to(REPO))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        written.append(path)
    if args.check:
        for p in stale:
            print(f"{p}: out of step with exercises/questions.yaml; run `python tools/build_exercises.py`")
        return 1 if stale else 0
    if not args.no_run:
        from refresh_notebooks import main as refresh

        refresh([str(p) for p in written])
    return 0


if __name__ == "__main__":
    sys.exit(main())
