"""The scenario bank (`data/scenarios.yaml`): worked cases with reviewed outcomes.

Each scenario carries a bilingual story, the case, the training clock it is
read at, and the decision a reviewer expects. `check()` compares the engine's
decision with that expectation, field by field, so a change to the SOP or the
engine that moves an outcome is seen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .cases import Case, CaseError, parse_case
from .clock import parse_time
from .engine import Decision, decide
from .placeholders import fill_tree, placeholder_values
from .sop import REPO_ROOT, Sop, Text, yaml_load

DEFAULT_SCENARIOS_PATH = REPO_ROOT / "data" / "scenarios.yaml"


class ScenarioError(ValueError):
    """A scenario file entry that cannot be used; names the file and scenario."""


@dataclass(frozen=True)
class Scenario:
    id: str
    title: Text
    story: Text
    topics: tuple[str, ...]
    now: datetime
    case: Case
    expected: dict[str, Any]

    def decide(self, sop: Sop) -> Decision:
        return decide(self.case, sop, self.now)


EXPECTED_KEYS = {"action", "refund", "deadline", "urgency", "cautions", "blocked_by", "held_action", "fee"}


def load_scenarios(sop: Sop, path: str | Path | None = None) -> list[Scenario]:
    path = Path(path) if path else DEFAULT_SCENARIOS_PATH
    try:
        data = yaml_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: expected a mapping with `training_clock` and a `scenarios` list")
    default_now = parse_time(data.get("training_clock"), f"{path}: training_clock")
    vals = placeholder_values(sop.parameters)  # numbers in titles and stories come from the SOP
    out, seen = [], set()
    for i, raw in enumerate(data["scenarios"]):
        where = f"{path}: scenarios[{i}] ({raw.get('id', '?') if isinstance(raw, dict) else '?'})"
        try:
            sid = raw["id"]
            if sid in seen:
                raise ScenarioError(f"{where}: duplicate id")
            seen.add(sid)
            extra = set(raw["expected"]) - EXPECTED_KEYS
            if extra:
                raise ScenarioError(f"{where}: expected: unknown keys {sorted(extra)} (allowed: {sorted(EXPECTED_KEYS)})")
            case_data = dict(raw["case"], id=sid)
            out.append(Scenario(
                id=sid,
                title=Text(**fill_tree(raw["title"], vals)),
                story=Text(**fill_tree(raw["story"], vals)),
                topics=tuple(raw.get("topics", ())),
                now=parse_time(raw["now"], f"{where}: now") if "now" in raw else default_now,
                case=parse_case(case_data, sop),
                expected=dict(raw["expected"]),
            ))
        except CaseError as exc:
            raise ScenarioError(f"{where}: case.{exc}") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ScenarioError(f"{where}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        except (KeyError, TypeError) as exc:
            raise ScenarioError(f"{where}: missing or malformed {exc}") from None
    return out


def check(scenario: Scenario, sop: Sop) -> list[str]:
    """Differences between the engine's decision and the reviewed expectation."""
    got = scenario.decide(sop).as_dict()
    got["deadline"] = got["deadline"][:16].replace("T", " ")
    diffs = []
    for key, want in scenario.expected.items():
        have = got[key]
        if key == "cautions":
            # Expected lists the cautions that apply with their status.
            want = {str(k): v for k, v in want.items()}
        elif key == "refund" or key == "fee":
            want = f"{float(want):.2f}" if not isinstance(want, str) else want
        if have != want:
            diffs.append(f"{scenario.id}: {key}: expected {want!r}, engine says {have!r}")
    return diffs
