"""Write the exercise notebooks from the question file, then run them to store outputs.

    python tools/build_exercises.py            # write + execute learner and trainer notebooks
    python tools/build_exercises.py --check    # exit 1 if a notebook's cells differ from the question file
    python tools/build_exercises.py --no-run   # rewrite only the notebooks whose cells differ (`make refresh`)

Learner notebooks go to notebooks/exercises/NN_name.ipynb (widgets, no answers), inside the
trainees' JupyterLab (`make lab` serves notebooks/ only); trainer versions to
exercises/trainer/exercise_NN_name.ipynb (answers, explanations, timing) and the trainer's
exercises/trainer/workshop_dashboard.ipynb, outside it (`make trainer`). The cells are thin:
every text is printed from the question file and the SOP at run time, so nbval catches a
moved key in the stored outputs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tools"))

LEARNER = REPO / "notebooks" / "exercises"  # inside the trainees' Lab root
TRAINER = REPO / "exercises" / "trainer"    # outside it: answers and the room's dashboard
EXPORT_VIEW = 'tickets[["ticket", "product_name", "reason", "open", "action", "after_refund"]].head()'
IGNORE = ["nbval-ignore-output"]  # a live widget: nothing to compare (a tag, off the learner's screen)


def widget_cell(source):
    import nbformat.v4 as v4

    return v4.new_code_cell(source, metadata={"tags": IGNORE})


def learner_cells(ex, questions):
    import nbformat.v4 as v4

    cells = [
        v4.new_markdown_cell(f"# {ex.title.zh}\n### {ex.title.en}\n\n"
                             f"{ex.intro.zh}  \n*{ex.intro.en}*\n\n"
                             "**开始 / Start:** 菜单“运行 → 运行所有单元格”,然后在下面填写姓名(只填一次)。"
                             "每道题选好答案后点“检查答案”;答错了可以再试。最后点“查看得分”。  \n"
                             "*Menu Run → Run All Cells, then type your name below (once). For each question, answer and "
                             "click Check; when it is wrong, try again. At the end click Show my score.*"),
        v4.new_code_cell(f'from refundkit.exercises import Exercise\n\nex = Exercise("{ex.id}")\nex.objectives()'),
        widget_cell("ex.start()"),
    ]
    if any(q.kind == "data" for q in questions):
        cells.append(v4.new_code_cell("df = ex.records()\ndf.head()"))
        cells.append(v4.new_code_cell("df.columns.tolist()"))
    if any(q.params.get("dataset") == "export" for q in questions):
        cells.append(v4.new_code_cell(f"tickets = ex.export_tickets()\n{EXPORT_VIEW}"))
    for q in questions:
        short = q.id.split(".", 1)[1]
        cells.append(widget_cell(f'ex.question("{short}")'))
        if q.kind == "data":
            cells.append(v4.new_code_cell(""))  # the learner's own pandas
    cells += [
        v4.new_code_cell("ex.report()"),
        widget_cell("ex.score_panel()"),
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
                             f"学员版 / Learner version: `notebooks/exercises/{ex.notebook}.ipynb`"),
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
    if any(q.params.get("dataset") == "export" for q in questions):
        cells.append(v4.new_code_cell(f"tickets = sol.export_tickets()\n{EXPORT_VIEW}"))
    for q in questions:
        short = q.id.split(".", 1)[1]
        cells.append(v4.new_code_cell(f'sol.show("{short}")'))
        if q.pandas:
            cells.append(v4.new_code_cell(q.pandas))
    cells.append(v4.new_code_cell("sol.key_points()"))
    return cells


def dashboard_cells():
    import nbformat.v4 as v4

    return [
        v4.new_markdown_cell(
            "# 工作坊看板 / Workshop dashboard\n\n"
            "上课时用 `make app` 打印的**讲师页面**链接:它每几秒自动更新,显示的就是下面这张表。"
            "这里是一个**生成的示例班级**(固定种子和时钟,结果不变);最后一格读取本机的**现场数据库**。  \n"
            "*In class, open the **trainer page** link `make app` prints: it updates itself every few seconds and shows "
            "this very view. Here it is over a **generated sample class** (fixed seed and clock, so it never changes); "
            "the last cell reads this machine's **live database**.*\n\n"
            "**它回答 / What it answers**\n"
            "- 谁做到哪儿了、正在做哪道题、谁卡住了(连续答错3次)?  *Who is where, on which question, who is stuck "
            "(3 wrong tries in a row)?*\n"
            "- 全班最常错哪道题、最常选哪个错误答案、背后是哪条SOP规则?  \n"
            "  *Which questions does the room miss most, with which wrong answer, and which SOP rule is behind it?*\n"
            "- 谁通过某题时用的是旧版SOP,而新版改变了这道题的答案?  *Who passed a question under an earlier SOP whose "
            "change moved its answer?*"),
        v4.new_code_cell("from IPython.display import HTML\n\nfrom refundkit.app.trainer import view_html\n"
                         "from refundkit.workshop import Dashboard\n\ndash = Dashboard.sample()\ndash.summary()"),
        v4.new_code_cell("HTML(view_html(dash, sample=True, charts=False))"),
        v4.new_markdown_cell("## 全班最常错的练习和SOP规则 / What the room gets wrong most"),
        v4.new_code_cell("dash.chart_exercises()"),
        v4.new_code_cell("dash.chart_rules()"),
        v4.new_markdown_cell("## 练习记录来自旧版SOP / Checks made under an older SOP\n\n"
                             "SOP改版后,这些学员的记录来自旧版;上面的“需复训”只列出答案真的变了的题。  \n"
                             "*After an SOP change these learners' checks come from an older version; the retraining "
                             "list above names only the questions whose answer really moved.*"),
        v4.new_code_cell("dash.outdated()"),
        v4.new_markdown_cell("## 现场数据 / The live room\n\n"
                             "点击按钮,从本机的练习数据库(`refundkit progress path` 显示位置)重新读取。  \n"
                             "*Click the button to re-read this machine's progress database (`refundkit progress path` shows where).*"),
        widget_cell("dash.live_panel()"),
    ]


def notebook(cells):
    import nbformat.v4 as v4

    nb = v4.new_notebook()
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i:02d}"  # stable ids: a rebuild changes nothing the question file did not change
    nb.cells = cells
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
                   "language_info": {"name": "python"}}
    return nb


def targets():
    from refundkit.exercises.bank import load_bank

    bank = load_bank()
    for ex in bank.exercises:
        qs = bank.questions_of(ex.id)
        yield LEARNER / f"{ex.notebook}.ipynb", learner_cells(ex, qs)
        yield TRAINER / f"exercise_{ex.notebook}.ipynb", trainer_cells(ex, qs)
    yield TRAINER / "workshop_dashboard.ipynb", dashboard_cells()


def sources(nb) -> list[tuple[str, str, tuple]]:
    return [(c.cell_type, "".join(c.source), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def main(argv=None) -> int:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare cell sources with the question file")
    ap.add_argument("--no-run", action="store_true",
                    help="rewrite the notebooks whose cells are out of step (without outputs), do not execute")
    args = ap.parse_args(argv)
    stale, written = [], []
    for path, cells in targets():
        nb = notebook(cells)
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != sources(nb):
                stale.append(path.relative_to(REPO))
            continue
        if args.no_run and path.exists() and sources(nbformat.read(path, as_version=4)) == sources(nb):
            continue  # in step: keep its stored outputs (`make refresh NOTEBOOKS=...` runs only some)
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
