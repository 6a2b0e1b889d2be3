"""The question bank (`exercises/questions.yaml`): exercises and questions as data.

A question names its kind (what the engine is asked), the case it is about
(a scenario of the bank by id, or a case written in the question file), its
bilingual prompt and hint, the choices (SOP ids, whose text is read from the
SOP), and the answer a reviewer expects. The key itself is never typed in:
`refundkit.exercises.key.answer_key` computes it from the SOP.

Loading checks the shape and names the file, the question and the field of
every problem; references to the SOP are checked against an SOP by
`validate(bank, sop)` so the same bank can be read under two SOPs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ..safeyaml import load as load_yaml
from ..clock import ClockError, parse_time
from ..placeholders import fill, placeholder_values, unknown
from ..sop import REPO_ROOT, Sop, Text, default_sop, sop_path

DEFAULT_BANK_PATH = REPO_ROOT / "exercises" / "questions.yaml"
SCENARIOS_PATH = REPO_ROOT / "data" / "scenarios.yaml"

# kind -> the form of its answer (which widget asks it).
KINDS = {
    "action": "choice",      # what to do with a case (engine.decide)
    "amount": "number",      # the refund or the channel fee (engine)
    "deadline": "number",    # whole hours left before the handling window closes (engine)
    "order": "order",        # put SOP steps in order (sop.steps)
    "cautions": "multi",     # cautions that apply / block / are still to check (engine)
    "after": "multi",        # after-refund tasks due (engine)
    "refusal": "multi",      # what to do / never do when refusing (sop.refusal)
    "evidence": "multi",     # evidence for platform intervention (sop.platform_intervention)
    "data": None,            # a pandas question on the sample records; form from its query
}
FORMS = ("choice", "number", "order", "multi")


def _yaml(text: str) -> Any:
    return load_yaml(text)  # the kit's one YAML reader (libyaml, no aliases, no duplicate keys)


class BankError(ValueError):
    """A question file entry that cannot be used; names the file, question and field."""


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str
    minutes: int
    title: Text
    intro: Text
    objectives: tuple[Text, ...]
    key_points: tuple[Text, ...]


@dataclass(frozen=True)
class Question:
    id: str
    exercise: str
    kind: str
    form: str
    prompt: Text
    hint: Text
    expected: Any
    choices: tuple[str, ...] = ()
    ask: str | None = None            # what a kind asks: refund|fee, apply|blocking|to_check, must|never
    case: dict[str, Any] | None = None  # raw case data; parsed under the SOP in use
    now: datetime | None = None         # the training clock the question is read at
    story: Text | None = None
    scenario: str | None = None
    query: str | None = None          # data questions: the query in refundkit.exercises.data
    params: dict[str, Any] = field(default_factory=dict)
    pandas: str | None = None         # data questions: the trainer's one-line pandas solution on `df`

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True)
class Bank:
    path: Path
    training_clock: datetime
    exercises: tuple[Exercise, ...]
    questions: tuple[Question, ...]

    def exercise(self, exercise_id: str) -> Exercise:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        raise BankError(f"{self.path}: no exercise {exercise_id!r} (have {', '.join(e.id for e in self.exercises)})")

    def questions_of(self, exercise_id: str) -> list[Question]:
        self.exercise(exercise_id)
        return [q for q in self.questions if q.exercise == exercise_id]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise BankError(f"{self.path}: no question {question_id!r}")


def _text(raw: Any, where: str, vals: dict[str, str]) -> Text:
    if not isinstance(raw, dict) or not raw.get("zh") or not raw.get("en"):
        raise BankError(f"{where}: expected {{zh: ..., en: ...}} with both languages, got {raw!r}")
    out = {}
    for lang in ("zh", "en"):
        text = str(raw[lang]).strip()
        typos = unknown(text, vals)
        if typos:
            raise BankError(f"{where}.{lang}: unknown placeholder {{{typos[0]}}} "
                            f"(expected one of {', '.join('{%s}' % v for v in vals)})")
        out[lang] = fill(text, vals)
    return Text(**out)


def _texts(raw: Any, where: str, vals: dict[str, str]) -> tuple[Text, ...]:
    if not isinstance(raw, list) or not raw:
        raise BankError(f"{where}: expected a non-empty list of {{zh, en}} texts")
    return tuple(_text(t, f"{where}[{i}]", vals) for i, t in enumerate(raw))


def _scenarios(path: Path) -> dict[str, dict]:
    try:
        data = _yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BankError(f"{path}: cannot be read as YAML: {exc}") from None
    clock = data.get("training_clock")
    out = {}
    for raw in data.get("scenarios", []):
        out[raw["id"]] = {"case": dict(raw["case"], id=raw["id"]), "now": raw.get("now", clock),
                          "story": raw.get("story"), "title": raw.get("title")}
    return out


QUESTION_KEYS = {"id", "kind", "form", "prompt", "hint", "expected", "choices", "ask", "case", "now", "story",
                 "scenario", "query", "params", "pandas"}


def load_bank(path: str | Path | None = None, scenarios_path: str | Path | None = None, sop: Sop | None = None) -> Bank:
    """Read the question file; scenario references are resolved from the scenario bank.

    Numbers in the texts ({window_days} ...) are filled from `sop` (default: the SOP in use).
    """
    path = Path(path) if path else DEFAULT_BANK_PATH
    vals = placeholder_values((sop or default_sop()).parameters)
    try:
        data = _yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BankError(f"{path}: cannot read the question file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise BankError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise BankError(f"{path}: expected a mapping with `training_clock` and an `exercises` list")
    try:
        clock = parse_time(data.get("training_clock"), f"{path}: training_clock")
    except ClockError as exc:
        raise BankError(str(exc)) from None
    scen: dict[str, dict] | None = None
    exercises, questions, seen = [], [], set()
    for i, ex in enumerate(data["exercises"]):
        where = f"{path}: exercises[{i}] ({ex.get('id', '?') if isinstance(ex, dict) else '?'})"
        if not isinstance(ex, dict):
            raise BankError(f"{where}: expected a mapping")
        for k in ("id", "notebook", "minutes", "title", "intro", "objectives", "key_points", "questions"):
            if k not in ex:
                raise BankError(f"{where}: {k}: missing (required)")
        exercises.append(Exercise(
            id=str(ex["id"]), notebook=str(ex["notebook"]), minutes=int(ex["minutes"]),
            title=_text(ex["title"], f"{where}: title", vals), intro=_text(ex["intro"], f"{where}: intro", vals),
            objectives=_texts(ex["objectives"], f"{where}: objectives", vals),
            key_points=_texts(ex["key_points"], f"{where}: key_points", vals),
        ))
        for j, q in enumerate(ex["questions"]):
            qw = f"{where}: questions[{j}] ({q.get('id', '?') if isinstance(q, dict) else '?'})"
            if not isinstance(q, dict):
                raise BankError(f"{qw}: expected a mapping")
            extra = set(q) - QUESTION_KEYS
            if extra:
                raise BankError(f"{qw}: unknown field(s) {sorted(extra)} (allowed: {sorted(QUESTION_KEYS)})")
            for k in ("id", "kind", "prompt", "hint", "expected"):
                if k not in q:
                    raise BankError(f"{qw}: {k}: missing (required)")
            qid = f"{ex['id']}.{q['id']}"
            if qid in seen:
                raise BankError(f"{qw}: duplicate id {qid}")
            seen.add(qid)
            kind = q["kind"]
            if kind not in KINDS:
                raise BankError(f"{qw}: kind: unknown {kind!r} (expected one of {', '.join(KINDS)})")
            form = q.get("form") or KINDS[kind]
            if form not in FORMS:
                raise BankError(f"{qw}: form: expected one of {', '.join(FORMS)}, got {form!r}")
            case, now, story = q.get("case"), q.get("now"), q.get("story")
            if "scenario" in q:
                if scen is None:
                    scen = _scenarios(Path(scenarios_path) if scenarios_path else SCENARIOS_PATH)
                if q["scenario"] not in scen:
                    raise BankError(f"{qw}: scenario: no scenario {q['scenario']!r} in the scenario bank")
                s = scen[q["scenario"]]
                case, now, story = s["case"], now or s["now"], story or s["story"]
            if case is not None and not isinstance(case, dict):
                raise BankError(f"{qw}: case: expected a mapping of case fields")
            try:
                now_t = parse_time(now, f"{qw}: now") if now is not None else clock
            except ClockError as exc:
                raise BankError(str(exc)) from None
            questions.append(Question(
                id=qid, exercise=str(ex["id"]), kind=kind, form=form,
                prompt=_text(q["prompt"], f"{qw}: prompt", vals), hint=_text(q["hint"], f"{qw}: hint", vals),
                expected=q["expected"], choices=tuple(str(c) for c in q.get("choices", ())),
                ask=q.get("ask"), case=dict(case, id=case.get("id", qid)) if case is not None else None,
                now=now_t, story=_text(story, f"{qw}: story", vals) if story is not None else None,
                scenario=q.get("scenario"), query=q.get("query"), params=dict(q.get("params") or {}),
                pandas=q.get("pandas"),
            ))
    if not exercises:
        raise BankError(f"{path}: no exercises")
    return Bank(path=path, training_clock=clock, exercises=tuple(exercises), questions=tuple(questions))


_BANK_CACHE: dict[tuple, Bank] = {}


def default_bank() -> Bank:
    """The shipped question file, cached until it, the scenario bank it cites or the SOP changes."""
    sop = default_sop()
    key = (str(DEFAULT_BANK_PATH), DEFAULT_BANK_PATH.stat().st_mtime_ns, SCENARIOS_PATH.stat().st_mtime_ns,
           str(sop_path()), id(sop))
    if key not in _BANK_CACHE:
        _BANK_CACHE[key] = load_bank(sop=sop)
    return _BANK_CACHE[key]
