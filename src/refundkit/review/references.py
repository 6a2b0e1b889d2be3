"""What the kit's material still says about ids the SOP no longer has.

Scenarios, exercise questions and notebooks cite SOP ids (C6, ST4, R07,
refund_now ...). After an id is removed or renamed, each such citation is a
dangling reference that `refundkit sop check` reports with file and place.
A citation is any string in the scenario/question data, or a quoted string in
a notebook's code, that is an id of the previous SOP or has the shape of one
(C6, ST4, S07 ...), and is not an id of the SOP being checked.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator


from ..safeyaml import YamlError, load_file as load_yaml_file
from ..sop import Sop

ID_SHAPE = re.compile(r"^(ST|[ACDEFNPRSV])\d{1,2}$")
QUOTED = re.compile(r"""(['"])([A-Za-z][A-Za-z0-9_]*)\1""")
PROSE_ID = re.compile(r"(?<![A-Za-z0-9_])((?:ST|[CRSPAVNDEF])\d{1,2})(?![A-Za-z0-9_])")


def sop_ids(sop: Sop) -> set[str]:
    """Every id a piece of material may cite."""
    ids: set[str] = set()
    for group in (sop.sections, sop.actions, sop.rules, sop.steps, sop.cautions, sop.reasons, sop.advice,
                  sop.notes, sop.parameters.methods, sop.parameters.amount.components, sop.after_refund.tasks,
                  sop.refusal.must, sop.refusal.never, sop.platform_intervention.evidence,
                  sop.platform_intervention.not_evidence):
        ids |= {item.id for item in group}
    for name, fact in sop.facts.items():
        ids.add(name)
        ids |= set(fact.values)
    return ids


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k, path)
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, path)


def _yaml_items(path: Path, key: str, nested: str | None = None) -> Iterator[tuple[str, dict]]:
    try:
        data = load_yaml_file(path)
    except (OSError, YamlError):
        return  # its own loader reports a broken file
    items = data.get(key, []) if isinstance(data, dict) else []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if nested:
            for sub in item.get(nested, []) or []:
                if isinstance(sub, dict):
                    yield str(sub.get("id", "?")), sub
        else:
            yield str(item.get("id", "?")), item


def material_citations(root: Path, prose: bool = False) -> Iterator[tuple[str, str]]:
    """(where, cited string) for every citation candidate in the kit's material under `root`."""
    scen = root / "data" / "scenarios.yaml"
    if scen.exists():
        for sid, item in _yaml_items(scen, "scenarios"):
            for part in ("case", "expected"):
                for where, s in _strings(item.get(part), part):
                    yield f"data/scenarios.yaml: {sid} {where}", s
    bank = root / "exercises" / "questions.yaml"
    if bank.exists():
        for qid, item in _yaml_items(bank, "exercises", nested="questions"):
            for part in ("choices", "expected", "ask", "params", "case"):
                for where, s in _strings(item.get(part), part):
                    yield f"exercises/questions.yaml: {qid} {where}", s
    for folder in ("notebooks", "exercises"):
        for nb in sorted((root / folder).rglob("*.ipynb")) if (root / folder).is_dir() else []:
            if ".ipynb_checkpoints" in nb.parts:
                continue
            try:
                cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
            except (OSError, ValueError):
                continue
            rel = nb.relative_to(root).as_posix()
            for i, cell in enumerate(cells):
                src = "".join(cell.get("source", []))
                if cell.get("cell_type") == "code":
                    for m in QUOTED.finditer(src):
                        yield f"{rel}: cell {i + 1}", m.group(2)
                elif cell.get("cell_type") == "markdown" and prose:
                    for m in PROSE_ID.finditer(src):
                        yield f"{rel}: cell {i + 1} (text)", m.group(1)


def dangling(root: Path, sop: Sop, previous: Sop | None = None) -> list[str]:
    """One line per citation of an id that `sop` does not have."""
    have = sop_ids(sop)
    had = sop_ids(previous) if previous is not None else set()
    out, seen = [], set()
    for where, s in material_citations(root):
        if s in have or not (s in had or ID_SHAPE.match(s)):
            continue
        line = f"{where}: {s!r} is not an id of SOP {sop.version} (removed or renamed?)"
        if line not in seen:
            seen.add(line)
            out.append(line)
    return out


def prose_mentions(root: Path, sop: Sop) -> list[str]:
    """Lesson text that names an id the SOP no longer has: a warning, since prose may mean something else."""
    have = sop_ids(sop)
    out = []
    for where, s in material_citations(root, prose=True):
        if where.endswith("(text)") and s not in have:
            line = f"{where}: mentions {s}, which is not an id of SOP {sop.version}"
            if line not in out:
                out.append(line)
    return out


def broken_keys(root: Path, sop: Sop) -> list[str]:
    """One line per exercise question whose answer key cannot be found in `sop` (an item it cites is gone)."""
    from ..exercises.bank import BankError, load_bank
    from ..exercises.key import AnswerKeyError, answer_key

    path = root / "exercises" / "questions.yaml"
    if not path.exists():
        return []
    try:
        bank = load_bank(path, root / "data" / "scenarios.yaml", sop=sop)
    except BankError as exc:
        return [str(exc)]
    out = []
    for q in bank.questions:
        try:
            answer_key(q, sop)
        except (AnswerKeyError, BankError) as exc:
            out.append(f"exercises/questions.yaml: {exc}")
        except (KeyError, ValueError) as exc:  # a bare lookup failing is still a question this SOP breaks
            out.append(f"exercises/questions.yaml: {q.id}: its key cannot be computed under SOP {sop.version} ({exc})")
    return out
