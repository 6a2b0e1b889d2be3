"""What an SOP change touches: every scenario, exercise question and lesson whose outcome moves.

Sources are pluggable (`SOURCES`: name -> function(old, new, ctx) -> (rows, checked)):
- scenarios: the engine's decision for each scenario of data/scenarios.yaml under
  both SOPs, compared on the fields the bank reviews (action, amount, deadline,
  cautions ...);
- questions: the exercise answer key under both SOPs (refundkit.exercises.key),
  when the exercises package and exercises/questions.yaml are there;
- lessons: the stored notebooks (notebooks/, exercises/) that the change can move
  re-executed under the new SOP (REFUNDKIT_SOP), two at a time, their checked cells'
  text outputs compared with the stored ones - the outputs nbval will check, so the
  report names exactly the lessons whose test will fail. When OLD is a git revision,
  the stored outputs of that revision are the "before". Which notebooks a change can
  move comes from what each read of the SOP when `make refresh` last ran it
  (refundkit.review.reads); a notebook without a fresh record is always re-executed.
"""
from __future__ import annotations

import contextlib
import difflib
import json
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import UserError
from ..sop import REPO_ROOT, Sop
from .diff import word
from .source import SopText, git, in_repo, repo_root

Progress = Callable[[str], None] | None
KINDS = ("scenarios", "questions", "lessons")
IGNORE_MARKS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip", "raises-exception")  # what lessons use: off the learner's screen


@dataclass(frozen=True)
class Row:
    kind: str
    id: str
    title: dict[str, str]                      # lang -> title
    fields: tuple[tuple[str, str, str], ...]   # (what, before, after)


@dataclass
class Context:
    root: Path                 # the repository whose material is checked
    new_file: Path             # the new SOP as a file (a kernel loads it through REFUNDKIT_SOP)
    old_rev: str | None = None  # OLD as a git revision, for the stored notebooks of that revision
    progress: Progress = None

    def say(self, msg: str) -> None:
        if self.progress:
            self.progress(msg)


@dataclass
class Report:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    checked: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why not looked at

    @property
    def changed(self) -> bool:
        return any(self.rows.values())

    def ids(self, kind: str) -> list[str]:
        return [r.id for r in self.rows.get(kind, [])]


# -- scenarios ---------------------------------------------------------------

def _outcome(decision) -> dict[str, str]:
    from ..scenarios import EXPECTED_KEYS

    d = decision.as_dict()
    d["deadline"] = d["deadline"][:16].replace("T", " ")
    d["cautions"] = ", ".join(f"{k}:{v}" for k, v in d["cautions"].items())
    d["blocked_by"] = ", ".join(d["blocked_by"])
    return {k: "" if d[k] is None else str(d[k]) for k in sorted(EXPECTED_KEYS, key=FIELD_ORDER.index)}


FIELD_ORDER = ["action", "held_action", "refund", "fee", "deadline", "urgency", "cautions", "blocked_by"]


def _try(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - an outcome that cannot be computed is itself a change to report
        return {"error": f"{type(exc).__name__}: {exc}"}


# The files each kind of material is read from, under the kit's folder (lessons: whatever notebooks are there).
SCENARIOS, QUESTIONS = "data/scenarios.yaml", "exercises/questions.yaml"
MATERIAL = {"scenarios": (SCENARIOS,), "questions": (QUESTIONS, SCENARIOS)}


def scenario_rows(old: Sop, new: Sop, ctx: Context) -> tuple[list[Row], int]:
    from ..scenarios import load_scenarios

    path = ctx.root / SCENARIOS
    banks = [_try(lambda s=s: load_scenarios(s, path)) for s in (old, new)]
    if isinstance(banks[0], dict):
        raise ValueError(f"{path}: cannot be read under the old SOP: {banks[0]['error']}")
    if isinstance(banks[1], dict):  # e.g. a scenario uses a reason the new SOP removed
        return [Row("scenarios", path.name, {"zh": path.name, "en": path.name},
                    (("error", "", banks[1]["error"]),))], len(banks[0])
    new_by_id = {s.id: s for s in banks[1]}
    rows = []
    for s in banks[0]:
        before = _try(lambda: _outcome(s.decide(old)))
        after = _try(lambda: _outcome(new_by_id[s.id].decide(new)))
        keys = list(dict.fromkeys([*before, *after]))
        fields = tuple((k, before.get(k, ""), after.get(k, "")) for k in keys if before.get(k) != after.get(k))
        if fields:
            rows.append(Row("scenarios", s.id, {"zh": s.title.zh, "en": s.title.en}, fields))
    return rows, len(banks[0])


# -- exercise questions ------------------------------------------------------

def question_rows(old: Sop, new: Sop, ctx: Context) -> tuple[list[Row], int] | str:
    try:
        from ..exercises.bank import load_bank
        from ..exercises.key import key_changes
    except ImportError:
        return "the exercises package is not installed"
    path = ctx.root / QUESTIONS  # there: run_impact refuses a kit without it
    bank = load_bank(path, ctx.root / SCENARIOS)
    by_id = {q.id: q for q in bank.questions}
    rows = []
    for ch in key_changes(bank.questions, old, new):
        if ch["old"] == ch["new"]:
            continue  # same answer, only the rule cited in feedback moved: not an outcome change
        q = by_id[ch["question"]]
        fields = [("answer", _plain(ch["old"]), _plain(ch["new"]))]
        if ch.get("old_rule") != ch.get("new_rule"):
            fields.append(("rule", str(ch.get("old_rule") or ""), str(ch.get("new_rule") or "")))
        rows.append(Row("questions", q.id, {"zh": q.prompt.zh, "en": q.prompt.en},
                        tuple(fields)))
    return rows, len(bank.questions)


def _plain(v: Any) -> str:
    return ", ".join(map(str, v)) if isinstance(v, list) else str(v)


# -- lessons (notebooks) -----------------------------------------------------

def notebooks(root: Path) -> list[Path]:
    out = []
    for folder in ("notebooks", "exercises"):
        base = root / folder
        if base.is_dir():
            out += [p for p in sorted(base.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    return out


def checked_text(cell: dict) -> str | None:
    """The text nbval compares for a cell, or None when the cell is not checked."""
    if cell.get("cell_type") != "code":
        return None
    src = "".join(cell.get("source", []))
    tags = cell.get("metadata", {}).get("tags", [])
    if any(mark in src for mark in IGNORE_MARKS) or any(t in IGNORE_TAGS for t in tags):
        return None
    parts = []
    for out in cell.get("outputs", []):
        t = out.get("output_type")
        if t == "stream":
            parts.append("".join(out.get("text", [])))
        elif t in ("execute_result", "display_data"):
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in data:
                    v = data[mime]
                    parts.append("".join(v) if isinstance(v, list) else str(v))
        elif t == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts)


def _stored(nb_path: Path, ctx: Context) -> dict | None:
    """The stored notebook: at OLD's revision when OLD is one (None if it did not exist), else on disk."""
    if ctx.old_rev:
        root = repo_root(nb_path)
        if root is not None:
            shown = git(["show", f"{ctx.old_rev}:{in_repo(nb_path, root)}"], root)
            return json.loads(shown.stdout) if shown.returncode == 0 else None
    return json.loads(nb_path.read_text(encoding="utf-8"))


def _execute(path: Path, sop_file: Path, env: dict[str, str] | None = None) -> dict:
    """Run a notebook in a fresh kernel that loads `sop_file` as the SOP (REFUNDKIT_SOP); a warm one
    (refundkit.warm_kernel) when `env` names a zygote."""
    import subprocess

    import nbformat
    from nbclient import NotebookClient

    from ..warm_kernel import kernel_manager

    node = nbformat.read(path, as_version=4)
    env = dict(env or os.environ, REFUNDKIT_SOP=str(sop_file))
    km = kernel_manager()  # the environment (the zygote's address) goes with execute()
    try:
        NotebookClient(node, km=km, timeout=300, allow_errors=True, store_widget_state=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute(stderr=subprocess.DEVNULL, env=env)
    finally:  # nbclient leaves a kernel it was handed running; a zygote that outlives this run would keep it
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return node


def _cell_diff(before: str, after: str) -> tuple[str, str]:
    """Only the lines that differ, so a long output reads as its change."""
    a, b = before.splitlines(), after.splitlines()
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    old, new = [], []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            old += a[i1:i2]
            new += b[j1:j2]
    return "\n".join(old), "\n".join(new)


def lesson_rows(old: Sop, new: Sop, ctx: Context, paths: list[Path] | None = None) -> tuple[list[Row], int] | str:
    """Notebooks (default: every one under ctx.root) whose checked outputs the change moves."""
    from ..warm_kernel import zygote

    with zygote() as warm:  # started first: its imports run while the records are read
        plan = lesson_plan(old, new, ctx, paths)
        return plan if isinstance(plan, str) else plan.execute(warm)


@dataclass
class LessonPlan:
    """The notebooks a change can move (their records say so, or they have none), to re-execute."""
    ctx: Context
    run: list[Path]
    stored: dict[Path, dict]
    total: int
    finished: int = 0

    def execute(self, warm: dict | None) -> tuple[list[Row], int]:
        """Re-execute them, two at a time, the longest first (a short one last ends the run soonest);
        return those whose checked outputs moved."""
        if not self.run:
            return [], self.total
        order = sorted(self.run, key=lambda p: -len(json.dumps(self.stored[p])))  # stored size: its run time
        # Kernels forked from one process that has imported the libraries once (refundkit.warm_kernel).
        # One more at a time than there are cores: a kernel waits on its client between cells (measured on
        # 2 cores, 10 notebooks: 11.0-11.3 s with 2 at a time, 9.0-10.8 s with 3).
        with ThreadPoolExecutor(max_workers=min(len(order), (os.cpu_count() or 1) + 1)) as pool:
            rows = [r for r in pool.map(lambda p: self._one(p, warm), order) if r is not None]
        place = {p.relative_to(self.ctx.root).as_posix(): i for i, p in enumerate(self.run)}
        return sorted(rows, key=lambda r: place[r.id]), self.total

    def _one(self, path: Path, warm: dict | None) -> Row | None:
        ctx, rel, stored = self.ctx, path.relative_to(self.ctx.root).as_posix(), self.stored[path]
        try:
            fresh = _execute(path, ctx.new_file, warm)
        except Exception as exc:  # noqa: BLE001 - a lesson that cannot run under the new SOP is a change
            self._done(f"{rel}: cannot run")
            return Row("lessons", rel, {"zh": rel, "en": rel}, (("error", "", f"{type(exc).__name__}: {exc}"),))
        self._done(rel)
        before = [checked_text(c) for c in stored.get("cells", [])]
        after = [checked_text(c) for c in fresh.cells]
        fields = []
        if len(before) != len(after):
            fields.append(("cells", str(len(before)), str(len(after))))
        for i, (b, a) in enumerate(zip(before, after)):
            if b is not None and a is not None and b != a:
                ob, na = _cell_diff(b, a)
                fields.append((f"cell {i + 1}", ob, na))
        title = _title(stored) or rel
        return Row("lessons", rel, {"zh": title, "en": title}, tuple(fields)) if fields else None

    def _done(self, what: str) -> None:
        with _SAY:
            self.finished += 1
            self.ctx.say(f"[{self.finished}/{len(self.run)}] {what}")


_SAY = threading.Lock()


def lesson_plan(old: Sop, new: Sop, ctx: Context, paths: list[Path] | None = None) -> LessonPlan | str:
    """Which notebooks to re-execute (a reason for each is said), or why none can be."""
    paths = notebooks(ctx.root) if paths is None else paths
    if not paths:
        return "no notebooks"
    try:
        import nbclient  # noqa: F401
    except ImportError:
        return "nbclient is not installed"
    from .reads import why_rerun

    stored_nbs = {p: _stored(p, ctx) for p in paths}
    # A notebook that did not exist before has nothing to compare (nbval checks it); the others run
    # unless their record shows the change cannot move them.
    reasons = {p: why_rerun(p, ctx.root, stored_nbs[p], old, new) for p in paths if stored_nbs[p] is not None}
    run = [p for p, why in reasons.items() if why is not None]
    ctx.say(f"lessons: {len(run)} of {len(paths)} notebooks can move; re-executing them")
    for p in run:
        ctx.say(f"  {p.relative_to(ctx.root).as_posix()}: {reasons[p]}")
    return LessonPlan(ctx, run, {p: stored_nbs[p] for p in run}, len(paths))


def _title(nb: dict) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("#"):
                    return line.lstrip("# ").strip()
    return ""


SOURCES: dict[str, Callable[[Sop, Sop, Context], Any]] = {
    "scenarios": scenario_rows,
    "questions": question_rows,
    "lessons": lesson_rows,
}


def material_root(new_src: SopText) -> Path:
    """The repository whose material the change touches: the one holding the new SOP file, else this one."""
    if new_src.path is not None:
        p = new_src.path.resolve()
        if p.parent.name == "sop" and (p.parent.parent / "data").is_dir():
            return p.parent.parent
    return REPO_ROOT


def run_impact(old: Sop, new: Sop, new_src: SopText, old_rev: str | None = None, only: list[str] | None = None,
               progress: Progress = None, root: Path | None = None) -> Report:
    report = Report()
    with tempfile.TemporaryDirectory() as tmp:
        new_file = new_src.path
        if new_file is None:  # the new SOP came from git: kernels need it as a file
            new_file = Path(tmp) / "new_sop.yaml"
            new_file.write_text(new_src.text, encoding="utf-8")
        ctx = Context(root or material_root(new_src), new_file.resolve(), old_rev, progress)
        wanted = [kind for kind in KINDS if not only or kind in only]
        for kind in wanted:
            for rel in MATERIAL.get(kind, ()):
                if not (ctx.root / rel).is_file():
                    raise UserError(f"{ctx.root / rel}: not found: the {kind} are read from the kit beside the SOP "
                                    f"file (a clone of the kit); run it there, or leave them out with --only")
        with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=1) as background:
            results: dict[str, Any] = {}
            if "lessons" in wanted:
                # The lessons' kernels run in their own processes: the warm-kernel process starts first
                # (its imports overlap the reading of the records), the notebooks to re-execute are
                # chosen before anything else, and they run while the scenarios and questions are checked.
                from ..warm_kernel import zygote

                warm = stack.enter_context(zygote())
                plan = lesson_plan(old, new, ctx)
                results["lessons"] = plan if isinstance(plan, str) else background.submit(plan.execute, warm)
            for kind in wanted:
                if kind not in results:
                    ctx.say(f"{kind} ...")
                    results[kind] = SOURCES[kind](old, new, ctx)
            for kind in KINDS:
                if kind not in wanted:
                    report.skipped[kind] = "not asked for"
                    continue
                result = results[kind]
                result = result.result() if hasattr(result, "result") else result
                if isinstance(result, str):
                    report.skipped[kind] = result
                    continue
                report.rows[kind], report.checked[kind] = result
    return report


# -- the report --------------------------------------------------------------

FIELD_WORDS = {"action": "action", "held_action": "held", "refund": "refund_amount", "fee": "fee",
               "deadline": "deadline", "urgency": "rv_urgency", "cautions": "cautions", "blocked_by": "rv_blocked_by",
               "answer": "rv_answer", "error": "rv_error"}


def _field_name(key: str, lang: str, new: Sop, old: Sop) -> str:
    if key in FIELD_WORDS:
        return f"{word(FIELD_WORDS[key], lang, new, old)} ({key})"
    if key.startswith("cell "):
        return f"{word('rv_output', lang, new, old)} {key}"
    return key


def _md_cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", "<br>")
    return text if len(text) <= 600 else text[:600] + " …"


def as_json(report: Report, old: Sop, new: Sop) -> dict[str, Any]:
    """The report as data, for CI and tests: kind -> [{id, title, changes: {field: [before, after]}}]."""
    return {
        "old_version": old.version, "new_version": new.version, "changed": report.changed,
        "checked": report.checked, "skipped": report.skipped,
        **{kind: [{"id": r.id, "title": r.title, "changes": {k: [b, a] for k, b, a in r.fields}}
                  for r in report.rows.get(kind, [])] for kind in KINDS},
    }


def format_report(report: Report, old: Sop, new: Sop, lang: str = "zh", fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(as_json(report, old, new), ensure_ascii=False, indent=1)
    w = lambda k: word(k, lang, new, old)  # noqa: E731
    head = f"{w('rv_impact_title')}: SOP {old.version} → {new.version}"
    counts = ", ".join(f"{w('rv_' + k)} {len(report.rows.get(k, []))}/{report.checked[k]}" for k in report.checked)
    skipped = "; ".join(f"{w('rv_' + k)}: {w('rv_not_checked')} ({why})" for k, why in report.skipped.items())
    lines = [("# " if fmt == "md" else "") + head, ""]
    lines.append(counts + (f"; {skipped}" if skipped else ""))
    lines.append("")
    lines.append(w("rv_impact_review") if report.changed else w("rv_impact_none"))
    for kind in KINDS:
        rows = report.rows.get(kind) or []
        if not rows:
            continue
        lines.append("")
        if fmt == "md":
            lines += [f"## {w('rv_' + kind)} ({len(rows)})", "",
                      f"| {w('rv_item')} | {w('rv_field')} | {w('rv_old')} | {w('rv_new')} |", "| --- | --- | --- | --- |"]
            for r in rows:
                for n, (key, before, after) in enumerate(r.fields):
                    item = f"**{r.id}** {_md_cell(r.title[lang])}" if n == 0 else ""
                    lines.append(f"| {item} | {_field_name(key, lang, new, old)} | {_md_cell(before)} | {_md_cell(after)} |")
        else:
            lines.append(f"[{w('rv_' + kind)}] {len(rows)}")
            for r in rows:
                lines.append(f"  {r.id} {r.title[lang]}")
                for key, before, after in r.fields:
                    name = _field_name(key, lang, new, old)
                    if "\n" in before or "\n" in after:
                        lines.append(f"    {name}:")
                        lines += [f"      - {x}" for x in before.splitlines()]
                        lines += [f"      + {x}" for x in after.splitlines()]
                    else:
                        lines.append(f"    {name}: {before or '—'}  →  {after or '—'}")
    return "\n".join(lines).rstrip()
