"""What a notebook reads of the SOP, recorded when it runs (`make refresh`), so that `sop impact`
re-executes only the notebooks a change can move.

A record sits beside its notebook (`notebooks/.reads/03_deadline.json`) and holds, for one run:
- `cells`: a digest of the notebook's code (its code cells' sources);
- `files`: a digest of every file of the repository the kernel imported or opened (the kit's code,
  the scenario bank, the question file, sample data) - the SOP file itself excepted;
- `sop`: every value read from the SOP model outside the engine's `decide()`: path -> value;
- `decisions`: every `decide(case, now)` whose result was read: the case, `now`, and the fields
  of the decision read -> value. The engine's own reads are not recorded: `sop impact` decides the
  case again under the new SOP and compares the fields the notebook looked at.

A notebook is left out of a re-run only when its record is fresh (same code, same files, every value
as recorded under the old SOP) and no recorded value differs under the new SOP. A notebook without
a record, or with a read the recorder cannot follow (`opaque`), is always re-executed.

Kernel side: `start()` (run by the kernel `make refresh` starts) hooks the SOP model, `decide()` and
file opening, and writes the record after every cell to $REFUNDKIT_READS_OUT.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..warm_kernel import READS_ENV

FORMAT = 1
_HERE = Path(__file__).resolve()
ENV = READS_ENV  # a warm kernel with it set imports the kit afresh: the recorder hooks it as it loads
SHORT = 80  # longer values are stored as a digest


def record_path(notebook: Path) -> Path:
    return notebook.parent / ".reads" / f"{notebook.stem}.json"


def digest(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha1(data).hexdigest()[:16]


def cells_digest(nb: dict) -> str:
    """The notebook's code: its code cells' sources, in order (outputs and ids are not code)."""
    code = ["".join(c.get("source", "")) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    return digest(json.dumps(code, ensure_ascii=False))


def summary(value: Any) -> str:
    """A value as recorded: its repr, or the digest of a long one; a list of models by its ids."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        text = "model:" + value.model_dump_json()
    elif isinstance(value, (list, tuple)) and any(isinstance(v, BaseModel) for v in value):
        text = "list:" + repr([getattr(v, "id", None) if isinstance(v, BaseModel) else v for v in value])
    elif isinstance(value, dict) and any(isinstance(v, BaseModel) for v in value.values()):
        text = "keys:" + repr(list(value))
    else:
        text = repr(value)
    return text if len(text) <= SHORT else "sha1:" + digest(text)


# Banks built from the SOP (numbers in their texts are filled from its parameters): a read of one of
# their texts is recorded under the bank's name, and looked up again by loading the bank under the SOP.
BANKS = {"@scenarios": ("refundkit.scenarios", "load_scenarios"),
         "@questions": ("refundkit.exercises.bank", "load_bank")}
_banks: dict[tuple, Any] = {}


def bank_of(name: str, sop) -> Any:
    import importlib

    key = (name, id(sop))
    if key not in _banks:
        module, func = BANKS[name]
        load = getattr(importlib.import_module(module), func)
        _banks[key] = (sop, load(sop) if name == "@scenarios" else load(sop=sop))  # keeps sop alive with its id
    return _banks[key][1]


def shape(node: Any) -> str:
    """A bank's content other than its texts (those are recorded one by one when read)."""
    import dataclasses

    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        return type(node).__name__
    if isinstance(node, Path):
        return repr(node.name)  # where the repository sits is not content
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return type(node).__name__ + "(" + ",".join(f"{f.name}={shape(getattr(node, f.name))}"
                                                     for f in dataclasses.fields(node)) + ")"
    if isinstance(node, (list, tuple)):
        return "[" + ",".join(shape(v) for v in node) + "]"
    if isinstance(node, dict):
        return "{" + ",".join(f"{k!r}:{shape(v)}" for k, v in node.items()) + "}"
    return repr(node)


_shapes: dict[tuple, str] = {}


def lookup(sop, path: list) -> Any:
    """The value at `path` (field names, list indices, dict keys) in an SOP model, or in a bank built from it."""
    node = sop
    if path and path[0] in BANKS:
        node = bank_of(path[0], sop)
        if len(path) == 1:
            key = (path[0], id(sop))  # the bank is kept (and the SOP with it) by bank_of: the id stays its own
            if key not in _shapes:
                _shapes[key] = "shape:" + digest(shape(node))
            return _shapes[key]
        path = path[1:]
    for step in path:
        if isinstance(node, (list, tuple)):
            node = node[int(step)]
        elif isinstance(node, dict):
            node = node[step]
        else:
            node = getattr(node, step)
    return node


# -- kernel side: recording ----------------------------------------------------

class _Recorder:
    def __init__(self, out: Path, repo: Path, sop_file: Path):
        self.out, self.repo, self.sop_file = out, repo, sop_file.resolve()
        self.paths: dict[int, tuple] = {}   # id(model or container) -> path in its SOP
        self.keep: list = []                # keeps recorded objects alive, so ids stay theirs
        self.sops: set[int] = set()         # ids of SOP models loaded from the SOP file in use
        self.sop: dict[str, str] = {}
        self.decisions: dict[int, dict] = {}
        self.files: set[Path] = set()
        self.opaque: list[str] = []
        self.depth = 0                      # > 0 inside decide() or the loader
        self.loading = 0

    def register(self, sop, path: Path) -> None:
        if Path(path).resolve() != self.sop_file:
            return
        self.keep.append(sop)
        self.sops.add(id(sop))
        from pydantic import BaseModel

        def walk(node: Any, where: tuple) -> None:
            if isinstance(node, BaseModel):
                self.paths[id(node)] = where
                for name in type(node).model_fields:
                    walk(node.__dict__[name], where + (name,))
            elif isinstance(node, (list, tuple)):
                self.paths[id(node)] = where
                for i, v in enumerate(node):
                    walk(v, where + (i,))
            elif isinstance(node, dict):
                self.paths[id(node)] = where
                for k, v in node.items():
                    walk(v, where + (k,))

        walk(sop, ())

    def register_bank(self, name: str, bank: Any) -> None:
        """Texts of a bank by their path in it; the rest of the bank recorded whole (its shape)."""
        import dataclasses

        from pydantic import BaseModel

        self.keep.append(bank)

        def walk(node: Any, where: tuple) -> None:
            if isinstance(node, BaseModel):
                self.paths[id(node)] = where
            elif dataclasses.is_dataclass(node) and not isinstance(node, type):
                for f in dataclasses.fields(node):
                    walk(getattr(node, f.name), where + (f.name,))
            elif isinstance(node, (list, tuple)):
                for i, v in enumerate(node):
                    walk(v, where + (i,))
            elif isinstance(node, dict):
                for k, v in node.items():
                    walk(v, where + (k,))

        walk(bank, (name,))
        self.depth += 1
        try:
            self.sop[json.dumps([name])] = summary("shape:" + digest(shape(bank)))
        finally:
            self.depth -= 1

    def read(self, model, name: str | None, value: Any) -> None:
        where = self.paths.get(id(model))
        if where is None:
            return  # a model the notebook built itself, not part of a loaded SOP
        key = list(where) + ([name] if name is not None else ["*"])
        self.depth += 1  # summary() reads the value itself
        try:
            self.sop[json.dumps(key, ensure_ascii=False)] = summary(value)
        finally:
            self.depth -= 1

    def decided(self, decision, case, sop, now) -> None:
        if id(sop) not in self.sops:
            self.opaque.append("decide() with an SOP not loaded from the SOP file")
            return
        self.keep.append(decision)
        self.decisions[id(decision)] = {"case": case.model_dump_json(), "now": now.isoformat(), "fields": {}}

    def field(self, decision, name: str, value: Any) -> None:
        self.depth += 1
        try:
            self.decisions[id(decision)]["fields"][name] = summary(value)
        finally:
            self.depth -= 1

    def opened(self, path: Any) -> None:
        if isinstance(path, (str, bytes, os.PathLike)):
            p = Path(os.fsdecode(path))
            try:
                p = p.resolve()
            except OSError:
                return
            if not p.is_relative_to(self.repo):
                return
            rel = p.relative_to(self.repo).parts
            # Not the kit's own: the venv, git, caches, compiled bytecode.
            if any(part.startswith(".") or part == "__pycache__" for part in rel):
                return
            if p.is_file() and p != _HERE:  # the recorder itself does not shape any output
                if p == self.sop_file and self.loading:
                    return  # read by the loader: covered by the recorded values
                self.files.add(p)

    def dump(self) -> None:
        for mod in list(sys.modules.values()):
            f = getattr(mod, "__file__", None)
            if f:
                self.opened(f)
        files = {}
        for p in sorted(self.files):
            try:
                files[p.relative_to(self.repo).as_posix()] = digest(p.read_bytes())
            except OSError:
                continue
        record = {
            "format": FORMAT,
            "opaque": sorted(set(self.opaque)),
            "files": files,
            "sop": dict(sorted(self.sop.items())),
            "decisions": sorted((d for d in self.decisions.values() if d["fields"]),
                                key=lambda d: (d["case"], d["now"])),
        }
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(json.dumps(record, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")


_R: _Recorder | None = None


def start() -> None:
    """Hook the SOP model, decide() and file opening in this kernel; write the record after each cell."""
    global _R
    out = os.environ.get(ENV)
    if not out or _R is not None:
        return
    from pydantic import BaseModel

    from .. import engine, sop as sopmod

    R = _R = _Recorder(Path(out), sopmod.REPO_ROOT.resolve(), sopmod.sop_path())
    fields: dict[type, frozenset] = {}

    def getattribute(self, name):
        value = object.__getattribute__(self, name)
        if R.depth == 0 and name[0] != "_":
            names = fields.get(type(self))
            if names is None:
                names = fields[type(self)] = frozenset(type(self).model_fields)
            if name in names and not isinstance(value, BaseModel):  # a part: its own reads are recorded
                R.read(self, name, value)
        return value

    def whole(method):
        def wrapped(self, *a, **kw):
            if R.depth == 0:
                R.read(self, None, self)
            R.depth += 1
            try:
                return method(self, *a, **kw)
            finally:
                R.depth -= 1
        return wrapped

    strict = sopmod._Strict
    strict.__getattribute__ = getattribute
    for name in ("__repr__", "__str__", "__iter__", "__eq__", "model_dump", "model_dump_json", "model_copy",
                 "__getstate__", "__copy__", "__deepcopy__"):
        setattr(strict, name, whole(getattr(strict, name)))

    parse = sopmod.parse_sop

    def parse_sop(text, path="<sop>"):
        R.depth += 1
        try:
            sop = parse(text, path)
        finally:
            R.depth -= 1
        R.register(sop, path)
        return sop

    sopmod.parse_sop = parse_sop
    load = sopmod.load_sop

    def load_sop(path=None):
        R.loading += 1
        try:
            return load(path)
        finally:
            R.loading -= 1

    sopmod.load_sop = load_sop
    import refundkit

    refundkit.load_sop = load_sop

    decide = engine.decide

    def decide_recorded(case, sop, now):
        R.depth += 1
        try:
            d = decide(case, sop, now)
        finally:
            R.depth -= 1
        R.decided(d, case, sop, now)
        return d

    engine.decide = decide_recorded
    refundkit.decide = decide_recorded
    # Imported after decide() is hooked: they bind it by name.
    from .. import exercises, scenarios
    from ..exercises import bank as bankmod

    def bank_loader(name, load, default_path):
        def loader(*args, **kw):
            R.depth += 1
            try:
                bank = load(*args, **kw)
            finally:
                R.depth -= 1
            given = kw.get("path") or (args[1] if name == "@scenarios" and len(args) > 1 else
                                       args[0] if name == "@questions" and args else None)
            sop_arg = kw.get("sop") or (args[0] if name == "@scenarios" and args else None)
            if given is not None and Path(given).resolve() != Path(default_path).resolve():
                R.opaque.append(f"{name} loaded from another file")
            elif sop_arg is not None and id(sop_arg) not in R.sops:
                R.opaque.append(f"{name} loaded with an SOP not loaded from the SOP file")
            else:
                R.register_bank(name, bank)
            return bank
        return loader

    scenarios.load_scenarios = bank_loader("@scenarios", scenarios.load_scenarios, scenarios.DEFAULT_SCENARIOS_PATH)
    bankmod.load_bank = exercises.load_bank = bank_loader("@questions", bankmod.load_bank, bankmod.DEFAULT_BANK_PATH)

    names = {f for f in engine.Decision.__dataclass_fields__} | {"to_check"}

    def decision_getattribute(self, name):
        value = object.__getattribute__(self, name)
        if R.depth == 0 and name in names and id(self) in R.decisions:
            R.field(self, name, value)
        return value

    engine.Decision.__getattribute__ = decision_getattribute

    write = os.O_WRONLY | os.O_RDWR

    def audit(event, args):
        if event == "open" and args:
            mode, flags = args[1], args[2]
            if (mode is None and not (flags or 0) & write) or (mode is not None and "r" in mode and "+" not in mode):
                R.opened(args[0])
        elif event == "sqlite3.connect" and args:
            R.opened(args[0])

    sys.addaudithook(audit)
    try:
        from IPython import get_ipython

        get_ipython().events.register("post_run_cell", lambda *_: R.dump())
    except (ImportError, AttributeError):  # not in a kernel: write at exit
        import atexit

        atexit.register(R.dump)


# -- impact side: which notebooks a change can move ------------------------------

def load_record(notebook: Path) -> dict | None:
    try:
        rec = json.loads(record_path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("format") == FORMAT else None


_values: dict[tuple[int, str], tuple[Any, str]] = {}


def _value(sop, key: str) -> str:
    """summary(lookup(...)) of a recorded key, once per SOP and key (many notebooks read the same ones)."""
    k = (id(sop), key)
    if k not in _values:
        _values[k] = (sop, _lookup_summary(sop, key))  # keeps the SOP alive with its id
    return _values[k][1]


def _lookup_summary(sop, key: str) -> str:
    path = json.loads(key)
    try:
        if path and path[-1] == "*":
            return summary(lookup(sop, path[:-1]))
        return summary(lookup(sop, path))
    except Exception as exc:  # noqa: BLE001 - gone, or a bank that no longer loads: a change
        return f"<{type(exc).__name__}>"


def _decision_fields(d: dict, sop) -> dict[str, str]:
    from datetime import datetime

    from ..cases import Case
    from ..engine import decide

    try:
        dec = decide(Case.model_validate_json(d["case"]), sop, datetime.fromisoformat(d["now"]))
    except Exception as exc:  # noqa: BLE001 - a case the SOP can no longer decide is a change
        return {name: f"<{type(exc).__name__}>" for name in d["fields"]}
    return {name: summary(getattr(dec, name)) for name in d["fields"]}


_files: dict[tuple, str] = {}


def _file_digest(path: Path) -> str:
    """digest() of a file's bytes, read again only when its size or time changed (the notebooks share most files)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _files:
        _files[key] = digest(path.read_bytes())
    return _files[key]


def why_rerun(notebook: Path, root: Path, stored: dict | None, old, new) -> str | None:
    """None when the record shows the change cannot move this notebook's outputs; else why it must run."""
    rec = load_record(notebook)
    if rec is None:
        return "no record"
    if rec["opaque"]:
        return "recorded reads it cannot follow: " + "; ".join(rec["opaque"])
    try:
        current = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "cannot be read"
    if stored is None or not rec.get("cells") == cells_digest(stored) == cells_digest(current):
        return "its code changed since the record"
    for rel, want in rec["files"].items():
        try:
            if _file_digest(root / rel) != want:
                return f"{rel} changed since the record"
        except OSError:
            return f"{rel} is gone"
    for key, want in rec["sop"].items():
        before = _value(old, key)
        if before != want:
            return f"record not made under the old SOP ({key})"
        if _value(new, key) != before:
            return f"reads {key}"
    for d in rec["decisions"]:
        before = _decision_fields(d, old)
        if before != d["fields"]:
            return "record not made under the old SOP (a decision)"
        after = _decision_fields(d, new)
        if after != before:
            moved = sorted(k for k in after if after[k] != before[k])
            return f"a decision's {', '.join(moved)}"
    return None
