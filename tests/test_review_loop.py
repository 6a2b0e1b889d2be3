"""The review loop, end to end, on a clone of this repository.

A maintainer changes the SOP; `sop check` is the gate; `sop impact` lists the
scenarios, exercise questions and lessons whose outcome moves; the suite fails
in exactly those places; after the reviewer updates the expectations and runs
`make refresh`, the suite passes again.

One loop runs whole (a changed handling window), on a clone cut down to two
lessons: the deadline lesson, which the change moves, and the order-status
lesson, which decides cases too but must not move (nbval runs both). Every
other notebook is executed once per test run, by nbval in the main suite;
`tests/test_lessons_window.py` holds the window against all nine lessons. A
removed caution goes through the gate and the reviewer's edits in this process
(the commands through the CLI's `main`, the reviews through the same comparisons
the suite makes), re-executing only the lessons that cite it.

Speed: the clone reuses this interpreter (PYTHONPATH points at the clone's
src/, `make` is told the venv is up to date) and this repository's git objects
(`git clone --shared`); only the tests that hold reviewed outcomes run in the
clone: the scenario review, the question review and nbval over the notebooks.
Separate processes are kept for what a maintainer runs as a command and this
test cannot stand in for: `sop impact` (the command line, the lessons'
kernels), the suite (pytest with nbval) and `make refresh`; the gate (`sop
check`) runs through the command's `main` here.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from refundkit.review.impact import Context, lesson_rows, notebooks
from refundkit.sop import load_sop, parse_sop

REPO = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
# The shipped version and the one the loop bumps to (holds across real SOP releases).
V0 = re.search(r'^version: "([^"]+)"', (REPO / "sop" / "refund_sop.yaml").read_text(encoding="utf-8"), re.M).group(1)
V1 = f"{V0.split('.')[0]}.{int(V0.split('.')[1]) + 1}.0"

SCENARIO_TEST = "tests/test_scenarios.py::test_every_scenario_matches_its_review"
QUESTION_TEST = "tests/test_exercises_key.py::test_engine_key_matches_reviewed_expected"


def _git_ok() -> bool:
    r = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=REPO, capture_output=True, text=True)
    return r.returncode == 0


pytestmark = pytest.mark.skipif(not _git_ok(), reason="the review loop clones this repository with git")


class Kit:
    """A clone of the repository, driven as a maintainer drives it."""

    def __init__(self, root: Path, tmp: Path):
        self.root = root
        self.env = dict(os.environ, PYTHONPATH=str(root / "src"), REFUNDKIT_DB=str(tmp / "progress.sqlite"),
                        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
        self.env.pop("REFUNDKIT_SOP", None)
        self.sop = root / "sop" / "refund_sop.yaml"

    def run(self, *cmd: str, timeout: int = 900) -> subprocess.CompletedProcess:
        start = time.perf_counter()
        r = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout)
        print(f"{time.perf_counter() - start:6.1f}s  {' '.join(cmd[1:6])[:90]}")  # shown with -s: where the time goes
        return r

    def rk(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "refundkit.cli", *args)

    def edit_sop(self, change) -> None:
        self.sop.write_text(change(self.sop.read_text(encoding="utf-8")), encoding="utf-8")

    def bump(self, version: str, note: str) -> None:
        self.edit_sop(lambda t: re.sub(r'^version: "[^"]+"', f'version: "{version}"', t, count=1, flags=re.M))
        with open(self.root / "sop" / "CHANGELOG.md", "a", encoding="utf-8") as f:
            f.write(f"\n## {version}\n\n{note}\n")

    def impact(self) -> dict:
        out = self.root / "impact.json"
        r = self.rk("sop", "impact", "HEAD", "sop/refund_sop.yaml", "--format", "json", "-o", str(out), "--quiet")
        assert r.returncode == 1, r.stderr
        report = json.loads(out.read_text(encoding="utf-8"))
        # The same report for people (markdown), made in this process: it lists every changed item.
        from refundkit.cli import main

        md_file = self.root / "impact.md"
        assert main(["sop", "impact", "HEAD", str(self.sop), "--format", "md", "--only", "scenarios",
                     "--only", "questions", "--quiet", "-o", str(md_file)]) == 1
        md = md_file.read_text(encoding="utf-8")
        for kind in ("scenarios", "questions"):
            for row in report[kind]:
                assert f"**{row['id']}**" in md
        return report

    def notebooks(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in notebooks(self.root)]

    def suite(self, nbs: list[str]) -> dict[str, set[str]]:
        """Run the reviewed-outcome tests; return the failing scenarios, questions and notebooks."""
        tests = [SCENARIO_TEST] + ([QUESTION_TEST] if (self.root / "tests" / "test_exercises_key.py").exists() else [])
        args = [sys.executable, "-m", "pytest", "-vv", "-rf", "-p", "no:cacheprovider", "-o", "addopts=",
                *tests]
        if nbs:
            args += ["--nbval", "--nbval-current-env", *nbs]
        r = self.run(*args)
        assert r.returncode in (0, 1), r.stdout[-4000:] + r.stderr[-2000:]
        out = r.stdout
        return {
            "scenarios": set(re.findall(r"""["'](SC\d+): \w+: expected""", out)),
            "questions": set(re.findall(r"^FAILED tests/test_exercises_key\.py::test_engine_key_matches_reviewed_expected\[([^\]]+)\]", out, re.M)),
            "lessons": set(re.findall(r"^FAILED ((?:notebooks|exercises)/\S+?\.ipynb)::", out, re.M)),
        }

    # -- the reviewer's edits, from the report -------------------------------
    def accept_scenarios(self, report: dict) -> None:
        path = self.root / "data" / "scenarios.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        changed = {row["id"]: row["changes"] for row in report["scenarios"]}
        for sc in data["scenarios"]:
            for key, (_before, after) in changed.get(sc["id"], {}).items():
                if key not in sc["expected"]:
                    continue  # not a field this scenario's review covers
                if key == "cautions":
                    after = dict(part.split(":") for part in after.split(", ")) if after else {}
                elif key == "blocked_by":
                    after = after.split(", ") if after else []
                sc["expected"][key] = after or None
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def accept_questions(self, report: dict, drop_choice: str | None = None) -> None:
        from refundkit.exercises.bank import load_bank
        from refundkit.exercises.key import answer_key
        from refundkit.sop import load_sop

        path = self.root / "exercises" / "questions.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for ex in data["exercises"]:
            for q in ex["questions"]:
                if drop_choice and drop_choice in q.get("choices", []):
                    q["choices"].remove(drop_choice)
                    if isinstance(q.get("expected"), list) and drop_choice in q["expected"]:
                        q["expected"].remove(drop_choice)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        sop = load_sop(self.sop)
        bank = load_bank(path, self.root / "data" / "scenarios.yaml")
        wanted = {row["id"] for row in report["questions"]}
        keys = {q.id: answer_key(q, sop).plain() for q in bank.questions if q.id in wanted}
        for ex in data["exercises"]:
            for q in ex["questions"]:
                qid = f"{ex['id']}.{q['id']}"
                if qid in keys:
                    q["expected"] = keys[qid]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def drop_from_code(self, dangling: str, removed: str) -> set[str]:
        """The lesson author's edit: take a removed id out of the dict entries and lists that `sop check` named."""
        import nbformat

        touched = set()
        for rel, cell in set(re.findall(rf"^((?:notebooks|exercises)/\S+\.ipynb): cell (\d+): '{removed}'", dangling, re.M)):
            path = self.root / rel
            nb = nbformat.read(path, as_version=4)
            src = nb.cells[int(cell) - 1].source
            q = r"[\"']"
            src = re.sub(rf",\s*{q}{removed}{q}\s*:\s*{q}[^\"']*{q}", "", src)      # , "C6": "SC06"
            src = re.sub(rf"{q}{removed}{q}\s*:\s*{q}[^\"']*{q}\s*,\s*", "", src)   # "C6": "SC06",
            src = re.sub(rf",\s*{q}{removed}{q}|{q}{removed}{q}\s*,\s*", "", src)    # list items
            assert removed not in src, f"{rel} cell {cell}: cannot take {removed} out of:\n{src}"
            nb.cells[int(cell) - 1].source = src
            nbformat.write(nb, path)
            touched.add(rel)
        return touched

    def changed_notebooks(self) -> set[str]:
        """Notebooks whose cells (sources, outputs) differ from the commit; cell ids are not content."""
        def cells(nb: dict) -> list:
            return [{k: v for k, v in c.items() if k != "id"} for c in nb.get("cells", [])]

        out = set()
        for rel in self.run("git", "diff", "--name-only", "--", "*.ipynb").stdout.split():
            before = json.loads(self.run("git", "show", f"HEAD:{rel}").stdout)
            after = json.loads((self.root / rel).read_text(encoding="utf-8"))
            if cells(before) != cells(after):
                out.add(rel)
        return out

    def refresh(self, nbs: list[str] | None = None) -> None:
        """`make refresh` in the clone, with this venv (told it is up to date, so nothing is installed)."""
        installed = [f"{VENV}/.installed", f"{VENV}/.installed-test"]
        subset = [f"NOTEBOOKS={' '.join(nbs)}"] if nbs else []
        r = self.run("make", "--no-print-directory", "refresh", f"VENV={VENV}", *subset,
                     *[a for f in installed for a in ("-o", f)])
        # On failure the whole of stderr but the kernels' transport warning: a kernel's own traceback
        # comes before the client's.
        err = "\n".join(line for line in r.stderr.splitlines() if "running over TCP without encryption" not in line)
        assert r.returncode == 0, r.stdout[-3000:] + err[-12000:]


# The clone's notebooks: one the window moves, one that decides cases and must not move.
MOVES, STAYS = "notebooks/03_deadline.ipynb", "notebooks/04_order_status.ipynb"


def clone(tmp_path: Path, keep: set[str] | None = None) -> Kit:
    dest = tmp_path / "kit"
    # --shared: the clone reads this repository's objects instead of copying them (it lives as long as the test)
    subprocess.run(["git", "clone", "-q", "--shared", str(REPO), str(dest)], check=True, capture_output=True)
    kit = Kit(dest, tmp_path)
    if keep is not None:  # a smaller notebook set, committed, so HEAD is the reviewed state
        drop = [nb for nb in kit.notebooks() if nb not in keep]
        kit.run("git", "rm", "-q", "--", *drop)
        kit.run("git", "commit", "-qm", "a smaller notebook set")
    return kit


def test_changed_window_review_loop(tmp_path, monkeypatch, capsys):
    kit = clone(tmp_path, keep={MOVES, STAYS})
    assert kit.notebooks() == [MOVES, STAYS]
    # A longer window (10 days): deadlines move, overdue requests are no longer approved by the system.
    kit.edit_sop(lambda t: t.replace("  handling_window:\n    days: 7\n", "  handling_window:\n    days: 10\n", 1))
    # The gate refuses it without a new version, and passes it with one. In this process (the command's `main`):
    # `sop impact` below runs as the maintainer's command line does, in a process of its own.
    from refundkit.cli import main

    def check() -> tuple[int, str, str]:
        with monkeypatch.context() as m:
            m.chdir(kit.root)
            m.delenv("REFUNDKIT_SOP", raising=False)
            rc, out = main(["sop", "check", str(kit.sop)]), capsys.readouterr()
        return rc, out.out, out.err

    rc, _, err = check()
    assert rc == 1 and "the content changed since HEAD" in err and f"version is still {V0}" in err
    kit.bump(V1, "- 处理期限改为10天。/ The handling window is 10 days.")
    rc, out, err = check()
    assert rc == 0, err
    assert "window 10 days" in out
    report = kit.impact()
    assert report["scenarios"] and all(set(row["changes"]) >= {"deadline"} for row in report["scenarios"])
    assert all("answer" in row["changes"] for row in report["questions"])
    listed = {kind: {row["id"] for row in report[kind]} for kind in ("scenarios", "questions", "lessons")}
    assert listed["lessons"] == {MOVES}
    # The suite fails exactly where the report says: nbval over both lessons.
    assert kit.suite([MOVES, STAYS]) == listed
    # The reviewer accepts the new outcomes and refreshes the listed lessons; the suite passes.
    kit.accept_scenarios(report)
    if listed["questions"]:
        kit.accept_questions(report)
    assert kit.run("git", "status", "--porcelain", "--", "*.ipynb").stdout == ""
    kit.refresh(sorted(listed["lessons"]))
    assert kit.changed_notebooks() == listed["lessons"]
    again = kit.suite(sorted(listed["lessons"]))
    assert again == {"scenarios": set(), "questions": set(), "lessons": set()}


def reviews(kit: Kit) -> dict[str, set[str]]:
    """What the scenario and question reviews of the suite fail on, run in this process on the clone's files
    (the same comparisons as tests/test_scenarios.py and tests/test_exercises_key.py)."""
    from test_exercises_key import _keyed, _reviewed

    from refundkit.exercises.bank import load_bank
    from refundkit.scenarios import check, load_scenarios

    sop = load_sop(kit.sop)
    scen = load_scenarios(sop, kit.root / "data" / "scenarios.yaml")
    bank = load_bank(kit.root / "exercises" / "questions.yaml", kit.root / "data" / "scenarios.yaml", sop=sop)
    return {"scenarios": {s.id for s in scen if check(s, sop)},
            "questions": {q.id for q in bank.questions if _keyed(q, sop) != _reviewed(q)}}


def test_removed_caution_review_loop(tmp_path, monkeypatch, capsys):
    """The gate, impact and the reviewer's edits for a removed caution, in this process (the window loop
    above runs the commands and the suite as separate processes; here the new part is the dangling ids)."""
    from refundkit.cli import main

    kit = clone(tmp_path)
    monkeypatch.chdir(kit.root)
    monkeypatch.setenv("REFUNDKIT_DB", str(tmp_path / "progress.sqlite"))
    monkeypatch.delenv("REFUNDKIT_SOP", raising=False)

    def rk(*args: str) -> tuple[int, str]:
        rc = main(list(args))
        return rc, capsys.readouterr().err

    def drop_c6(text: str) -> str:
        start = text.index("  - id: C6\n")
        text = text[:start] + text[text.index("\n\n", start) + 1:]
        return text.replace('  - {id: S14, zh: "十四、注意事项6", en: "14. Caution 6"}\n', "")

    kit.edit_sop(drop_c6)
    kit.bump(V1, "- 删除注意事项C6。/ Caution C6 removed.")
    rc, dangling = rk("sop", "check", str(kit.sop))
    assert rc == 1
    scen = yaml.safe_load((kit.root / "data" / "scenarios.yaml").read_text(encoding="utf-8"))["scenarios"]
    citing = {s["id"] for s in scen if "C6" in (s["expected"].get("cautions") or {})}
    assert citing and all(f"data/scenarios.yaml: {sid} expected.cautions: 'C6' is not an id" in dangling for sid in citing)
    out = kit.root / "impact.json"
    rc, _ = rk("sop", "impact", "HEAD", str(kit.sop), "--only", "scenarios", "--only", "questions",
               "--format", "json", "-o", str(out), "--quiet")
    assert rc == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {row["id"] for row in report["scenarios"]} == citing
    assert all(set(row["changes"]) == {"cautions"} for row in report["scenarios"])
    listed = {kind: {row["id"] for row in report[kind]} for kind in ("scenarios", "questions")}
    assert reviews(kit) == listed
    # A lesson that cites the removed caution moves under the new SOP: impact lists it (only those run here;
    # the window loop above holds impact's lesson list against nbval).
    citing_lessons = set(re.findall(r"^((?:notebooks|exercises)/\S+\.ipynb): cell \d+: 'C6'", dangling, re.M))
    assert citing_lessons
    monkeypatch.setenv("PYTHONPATH", str(kit.root / "src"))  # the kernels run the clone's kit
    old = parse_sop(kit.run("git", "show", "HEAD:sop/refund_sop.yaml").stdout)
    rows, _ = lesson_rows(old, load_sop(kit.sop), Context(kit.root, kit.sop.resolve(), "HEAD"),
                          paths=[kit.root / nb for nb in sorted(citing_lessons)])
    assert {row.id for row in rows} == citing_lessons
    # The reviewer removes the caution from the expectations and the questions' choices, and from the
    # lessons that cite it; then the gate passes and so do the reviews.
    kit.accept_scenarios(report)
    kit.accept_questions(report, drop_choice="C6")
    edited = kit.drop_from_code(dangling, "C6")
    assert edited == citing_lessons
    rc, err = rk("sop", "check", str(kit.sop))
    assert rc == 0, err
    assert reviews(kit) == {"scenarios": set(), "questions": set()}
