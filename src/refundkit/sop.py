"""SOP layer: load, validate and model the SOP file (`sop/refund_sop.yaml`); above vocab, errors, paths.

The SOP is the single source of every rule, number and learner-facing text.
Loading it checks the shape with pydantic and then every cross-reference, so a
trainer's typo is reported with the file, the path inside the YAML and the line.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .placeholders import fill_tree, placeholder_values, unknown_in_tree
from .safeyaml import YamlError, load as load_yaml, read_text as read_yaml_text
from .errors import SopError
from .money import to_money
from .paths import KIT_ROOT, PACKAGE_ROOT  # noqa: F401 - PACKAGE_ROOT kept importable from here
from .vocab import AMOUNT_FIELDS, DERIVED_FACTS, KNOWN_FACTS, LANGS

REPO_ROOT = KIT_ROOT  # the kit's folders: the checkout, or the copy inside a wheel
DEFAULT_SOP_PATH = REPO_ROOT / "sop" / "refund_sop.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, lang: str = "zh") -> str:
        return getattr(self, lang)


class Labeled(Text):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")


SeedRef = str | list[str]


def seed_list(seed: SeedRef) -> list[str]:
    """A `seed:` as a list: one section or several."""
    return [seed] if isinstance(seed, str) else list(seed)


class Seeded(Labeled):
    seed: SeedRef

    @property
    def seeds(self) -> list[str]:
        return seed_list(self.seed)


class Source(_Strict):
    title: str
    file: str
    published: str


class Window(_Strict):
    days: int = Field(gt=0)
    seed: SeedRef
    at_deadline: Text
    late: Text


class AmountComponent(Labeled):
    treatment: Literal["include", "deduct", "ignore"]


class Amount(_Strict):
    seed: SeedRef
    rule: Text
    components: list[AmountComponent]


class Method(Seeded):
    fee_rate: Decimal
    fee_paid_first: bool

    @field_validator("fee_rate", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Decimal:
        try:
            rate = Decimal(str(v))
        except InvalidOperation:
            raise ValueError(f"expected a decimal rate such as '0.006', got {v!r}") from None
        if not (0 <= rate < 1):
            raise ValueError(f"expected a rate from 0 up to (not including) 1, got {v}")
        return rate


class AmountLimit(_Strict):
    """The largest amount one request may carry; `refused` (its {amount_limit} filled at load) says why."""
    max_yuan: Decimal = Field(gt=0)
    refused: Text

    @field_validator("max_yuan", mode="before")
    @classmethod
    def _yuan(cls, v: Any) -> Decimal:
        d = to_money(v, "max_yuan")  # the kit's one reading of an amount (MoneyError is a ValueError)
        if d >= Decimal("1e15"):  # the table counts in int64 fen
            raise ValueError(f"expected whole fen below 1e15 yuan, got {v}")
        return d


class Parameters(_Strict):
    timezone: str
    handling_window: Window
    due_soon_hours: int = Field(gt=0)
    money_places: Literal[2]
    amount_limit: AmountLimit | None = None  # optional: SOPs older than 1.1.0 have none
    amount: Amount
    methods: list[Method]

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"expected an IANA time zone such as 'Asia/Shanghai', got {v!r}") from None
        return v


class Fact(Text):
    derived: bool = False
    values: dict[str, Text]

    @field_validator("values", mode="before")
    @classmethod
    def _bool_keys(cls, v: Any) -> Any:
        # YAML reads `true:` as a boolean key; keep the spelling as text.
        if isinstance(v, dict):
            return {str(k).lower() if isinstance(k, bool) else k: x for k, x in v.items()}
        return v

    @property
    def is_bool(self) -> bool:
        return set(self.values) == {"true", "false"}

    def domain(self) -> list[Any]:
        return [True, False] if self.is_bool else list(self.values)

    def label(self, value: Any, lang: str = "zh") -> str:
        key = str(value).lower() if isinstance(value, bool) else str(value)
        return self.values[key](lang)


class Action(Seeded):
    payout: bool            # money goes out to the customer after this action
    by_system: bool = False  # the platform pays by itself: nothing the merchant checks can hold it
    todo: Text
    steps: list[str] = []

    @property
    def holdable(self) -> bool:
        """A payout the merchant makes, so a failing blocking caution holds it."""
        return self.payout and not self.by_system


class Rule(_Strict):
    id: str
    seed: SeedRef
    when: dict[str, Any]
    action: str


class Step(Seeded):
    text: Text
    choice: Literal["branch", "reason", "cautions", "amount", "method"] | None = None


class Caution(Seeded):
    text: Text
    applies_to: Literal["all", "payout"] | list[str]
    guard: str | None = None
    blocks: bool


class Refusal(_Strict):
    seed: SeedRef
    when: Text
    must: list[Labeled]
    never: list[Labeled]


class Intervention(_Strict):
    seed: SeedRef
    when: Text
    merchant_does: Text
    evidence: list[Labeled]
    not_evidence: list[Labeled]


class Task(Labeled):
    after: list[str]


class AfterRefund(_Strict):
    seed: SeedRef
    tasks: list[Task]


class Note(Seeded):
    kind: Literal["reading", "platform"]


class Sop(_Strict):
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    effective_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    title: Text
    summary: Text
    source: Source
    sections: list[Labeled]
    parameters: Parameters
    facts: dict[str, Fact]
    actions: list[Action]
    rules: list[Rule]
    steps: list[Step]
    cautions: list[Caution]
    refusal: Refusal
    platform_intervention: Intervention
    reasons: list[Labeled]
    after_refund: AfterRefund
    advice: list[Seeded]
    notes: list[Note]
    ui: dict[str, Text]

    # -- lookups used by the engine and the faces ----------------------------
    @functools.cached_property
    def action_by_id(self) -> dict[str, Action]:
        return {a.id: a for a in self.actions}

    @functools.cached_property
    def caution_by_id(self) -> dict[str, Caution]:
        return {c.id: c for c in self.cautions}

    @functools.cached_property
    def reason_by_id(self) -> dict[str, Labeled]:
        return {r.id: r for r in self.reasons}

    @functools.cached_property
    def rule_by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    @functools.cached_property
    def step_by_id(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    @functools.cached_property
    def method_by_id(self) -> dict[str, Method]:
        return {m.id: m for m in self.parameters.methods}

    @functools.cached_property
    def section_by_id(self) -> dict[str, Labeled]:
        return {s.id: s for s in self.sections}

    @functools.cached_property
    def task_by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.after_refund.tasks}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.parameters.timezone)

    @property
    def window_days(self) -> int:
        return self.parameters.handling_window.days

    def t(self, key: str, lang: str = "zh") -> str:
        """An interface word from the `ui` table."""
        return self.ui[key](lang)

    @functools.cached_property
    def money_out(self) -> frozenset[str]:
        """The one definition of "money goes out": actions marked `payout: true`."""
        return frozenset(a.id for a in self.actions if a.payout)

    @functools.cached_property
    def holdable(self) -> frozenset[str]:
        """Payouts the merchant makes: a failing blocking caution turns them into "blocked"."""
        return frozenset(a.id for a in self.actions if a.holdable)

    def caution_applies(self, caution: Caution, action: str) -> bool:
        """`applies_to: payout` means the payouts the merchant makes (and checks first)."""
        if caution.applies_to == "all":
            return True
        if caution.applies_to == "payout":
            return action in self.holdable
        return action in caution.applies_to

    def notes_for(self, *seeds: str) -> list[Note]:
        wanted = set(seeds)
        return [n for n in self.notes if wanted & set(n.seeds)]

    def summary_line(self) -> str:
        return (
            f"SOP {self.version} ({self.effective_date}): {len(self.steps)} steps, "
            f"{len(self.cautions)} cautions, {len(self.rules)} branches, "
            f"{len(self.actions)} actions, window {self.window_days} days"
        )


# -- loading -----------------------------------------------------------------

@dataclass(frozen=True)
class _Located:
    lines: dict[tuple, int]

    def line(self, loc: tuple) -> int | None:
        # The deepest known ancestor of the path, so a missing key points at its parent.
        for n in range(len(loc), -1, -1):
            if tuple(loc[:n]) in self.lines:
                return self.lines[tuple(loc[:n])]
        return None


def _line_map(text: str) -> _Located:
    """Map every YAML path (tuple of keys/indices) to its 1-based line."""
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value
                walk(v, path + (key,))
                lines[path + (key,)] = k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    root = yaml.compose(text, Loader=YAML_LOADER)
    if root is not None:
        walk(root, ())
    return _Located(lines)


def _fmt_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_sop(path: str | Path | None = None) -> Sop:
    """Read, validate and cross-check an SOP file; raise SopError listing every defect."""
    path = Path(path) if path is not None else DEFAULT_SOP_PATH
    try:
        text = read_yaml_text(path)
    except FileNotFoundError:
        raise SopError(path, [f"{path}: no such file (expected an SOP YAML file)"]) from None
    except OSError as exc:
        raise SopError(path, [f"{path}: cannot be read: {exc.strerror}"]) from None
    except YamlError as exc:
        raise SopError(path, [f"{path}: {exc}"]) from None
    return parse_sop(text, path)


# The one YAML reader (refundkit.safeyaml): libyaml when present, no aliases, no duplicate keys.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # for composing nodes (line numbers)


def yaml_load(text: str):
    """Plain data from YAML text through the kit's safe reader (see refundkit.safeyaml)."""
    return load_yaml(text)


def parse_sop(text: str, path: str | Path = "<sop>") -> Sop:
    """An SOP from its YAML text; SopError listing every defect (`path` names the file in them).
    The same text read again gives the same (frozen) Sop: each command, kernel and check of a
    session would otherwise parse and validate the same 50 KB again."""
    return _parse_sop(text, str(path))


@functools.lru_cache(maxsize=16)
def _parse_sop(text: str, path: str) -> Sop:
    try:
        data = load_yaml(text)
    except YamlError as exc:
        where = f":{exc.line}" if exc.line else ""
        raise SopError(path, [f"{path}{where}: {exc.problem}"]) from None
    if not isinstance(data, dict) or "rules" not in data and "steps" not in data:
        raise SopError(path, [f"{path}: not an SOP file (expected a mapping with version, steps, cautions, rules ...)"])
    # Numbers in prose are placeholders ({window_days}) filled from the parameters;
    # interface words (`ui`) keep the braces their code fills ({hours}, {n}).
    vals = placeholder_values(data.get("parameters") or {})
    typos = [(loc, f"unknown placeholder {{{name}}} (expected one of {', '.join('{%s}' % v for v in vals)})")
             for loc, name in unknown_in_tree(data, vals, skip=("ui",))]
    data = fill_tree(data, vals)
    try:
        sop = Sop.model_validate(data)
    except ValidationError as exc:
        located = _line_map(text)  # line numbers only when there is something to point at
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = located.line(loc)
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "missing (required)"
                if loc and loc[-1] in LANGS:
                    msg = f"missing translation ({loc[-1]})"
            problems.append(f"{path}:{line or '?'}: {_fmt_loc(loc)}: {msg}")
        raise SopError(path, problems) from None
    found = typos + cross_check(sop, KNOWN_FACTS, DERIVED_FACTS)
    if found:
        located = _line_map(text)
        raise SopError(path, [f"{path}:{located.line(loc) or '?'}: {_fmt_loc(loc)}: {msg}" for loc, msg in found])
    return sop


def cross_check(sop: Sop, known_facts: Iterable[str] = KNOWN_FACTS,
                derived_facts: Iterable[str] = DERIVED_FACTS) -> list[tuple[tuple, str]]:
    """Every reference between parts of the SOP must resolve: (path, problem) pairs.

    `known_facts` are the facts the engine can supply (a case's and the derived ones,
    `refundkit.vocab`); the SOP must label exactly these. `derived_facts` must be yes/no.
    """
    derived = set(derived_facts)
    out: list[tuple[tuple, str]] = []
    sections = set(sop.section_by_id)
    actions = set(sop.action_by_id)
    steps = set(sop.step_by_id)

    def seeds_ok(loc: tuple, seed: SeedRef) -> None:
        for s in seed_list(seed):
            if s not in sections:
                out.append((loc + ("seed",), f"unknown seed section {s!r} (expected one of S01-S15, P01-P15 in `sections`)"))

    # Unique ids across the whole file: lessons and exercises cite them bare.
    seen: dict[str, tuple] = {}
    groups = {
        "sections": sop.sections, "actions": sop.actions, "rules": sop.rules, "steps": sop.steps,
        "cautions": sop.cautions, "reasons": sop.reasons, "advice": sop.advice, "notes": sop.notes,
    }
    for name, items in groups.items():
        for i, item in enumerate(items):
            if item.id in seen:
                out.append(((name, i, "id"), f"duplicate id {item.id!r} (also at {_fmt_loc(seen[item.id])})"))
            seen[item.id] = (name, i, "id")

    p = sop.parameters
    seeds_ok(("parameters", "handling_window"), p.handling_window.seed)
    seeds_ok(("parameters", "amount"), p.amount.seed)
    comp_ids = [c.id for c in p.amount.components]
    for i, c in enumerate(p.amount.components):
        if c.id not in AMOUNT_FIELDS:
            out.append((("parameters", "amount", "components", i, "id"),
                        f"unknown amount component {c.id!r} (expected one of {', '.join(AMOUNT_FIELDS)})"))
    for f in AMOUNT_FIELDS:
        if f not in comp_ids:
            out.append((("parameters", "amount", "components"), f"amount component {f!r} is missing"))
    if "balance" not in sop.method_by_id and not p.methods:
        out.append((("parameters", "methods"), "at least one refund method is required"))
    for i, m in enumerate(p.methods):
        seeds_ok(("parameters", "methods", i), m.seed)

    known = set(known_facts)
    for name, fact in sop.facts.items():
        if name not in known:
            out.append((("facts", name), f"unknown fact {name!r}: the engine knows {', '.join(sorted(known))}"))
        if name in derived and not fact.is_bool:
            out.append((("facts", name, "values"), "a derived fact must have values true and false"))
    for name in known - set(sop.facts):
        out.append((("facts",), f"fact {name!r} is missing (every fact needs labels in Chinese and English)"))

    for i, a in enumerate(sop.actions):
        seeds_ok(("actions", i), a.seed)
        if a.by_system and not a.payout:
            out.append((("actions", i, "by_system"), "only a payout (payout: true) can be paid by the system"))
        for j, s in enumerate(a.steps):
            if s not in steps:
                out.append((("actions", i, "steps", j), f"unknown step {s!r}"))
    if "blocked" not in actions:
        out.append((("actions",), "the action 'blocked' is required (payouts held by a caution)"))

    for i, r in enumerate(sop.rules):
        seeds_ok(("rules", i), r.seed)
        if r.action not in actions:
            out.append((("rules", i, "action"), f"unknown action {r.action!r} (expected one of {', '.join(sorted(actions))})"))
        if not r.when:
            out.append((("rules", i, "when"), "a rule needs at least one condition"))
        for fact_name, want in r.when.items():
            fact = sop.facts.get(fact_name)
            if fact is None:
                out.append((("rules", i, "when", fact_name), f"unknown fact {fact_name!r} (expected one of {', '.join(sop.facts)})"))
                continue
            for v in want if isinstance(want, list) else [want]:
                if v not in fact.domain():
                    out.append((("rules", i, "when", fact_name),
                                f"value {v!r} is not a value of {fact_name} (expected one of {', '.join(map(str, fact.domain()))})"))
    reachable = {r.action for r in sop.rules} | {"blocked"}
    for i, a in enumerate(sop.actions):
        if a.id not in reachable:
            out.append((("actions", i, "id"), f"action {a.id!r} is never the outcome of a rule"))

    for i, s in enumerate(sop.steps):
        seeds_ok(("steps", i), s.seed)
    for i, c in enumerate(sop.cautions):
        seeds_ok(("cautions", i), c.seed)
        if isinstance(c.applies_to, list):
            for j, a in enumerate(c.applies_to):
                if a not in actions:
                    out.append((("cautions", i, "applies_to", j), f"unknown action {a!r}"))
        if c.guard is not None:
            fact = sop.facts.get(c.guard)
            if fact is None or not fact.is_bool:
                out.append((("cautions", i, "guard"), f"guard {c.guard!r} must name a yes/no fact"))
        if c.blocks and c.guard is None:
            out.append((("cautions", i, "blocks"), "a blocking caution needs a guard fact"))
    seeds_ok(("refusal",), sop.refusal.seed)
    seeds_ok(("platform_intervention",), sop.platform_intervention.seed)
    seeds_ok(("after_refund",), sop.after_refund.seed)
    for i, t in enumerate(sop.after_refund.tasks):
        for j, a in enumerate(t.after):
            if a not in actions:
                out.append((("after_refund", "tasks", i, "after", j), f"unknown action {a!r}"))
    for i, a in enumerate(sop.advice):
        seeds_ok(("advice", i), a.seed)
    for i, n in enumerate(sop.notes):
        seeds_ok(("notes", i), n.seed)
    # Every section of the article must be used somewhere: nothing left out.
    used: set[str] = set()
    for items in (sop.actions, sop.rules, sop.steps, sop.cautions, sop.advice, sop.notes, p.methods):
        for it in items:
            used |= set(seed_list(it.seed))
    for blk in (p.handling_window, p.amount, sop.refusal, sop.platform_intervention, sop.after_refund):
        used |= set(seed_list(blk.seed))
    for i, s in enumerate(sop.sections):
        if s.id not in used:
            out.append((("sections", i, "id"), f"section {s.id} of the article is not used by any step, rule, caution or advice"))
    for key in ("action", "why", "refund_amount", "deadline", "time_left", "overdue", "due_soon", "on_time",
                "cautions", "next_steps", "after_refund", "total", "fee", "fee_first", "method",
                "treatment_include", "treatment_deduct", "treatment_ignore"):
        if key not in sop.ui:
            out.append((("ui",), f"interface word {key!r} is missing"))
    return out


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> Sop:
    return load_sop(path)


def sop_path() -> Path:
    """The SOP in use: $REFUNDKIT_SOP when set (reviewing a change), else the shipped file."""
    env = os.environ.get("REFUNDKIT_SOP")
    return Path(env) if env else DEFAULT_SOP_PATH


def default_sop() -> Sop:
    """The SOP in use (see sop_path), cached until the file changes."""
    path = sop_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return load_sop(path)  # raises a SopError naming the file
    return _cached(str(path), mtime)


