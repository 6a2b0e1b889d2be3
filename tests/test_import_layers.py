"""The package's layers point down: no import circle between its modules.

Every module of `src/refundkit` is read with `ast` (nothing is imported), and every
`import` / `from ... import` is an edge, wherever it sits: at module level, inside a
function, or under a condition. A cycle of any length fails, naming its modules.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

PKG_DIR = Path(__file__).resolve().parent.parent / "src" / "refundkit"


def module_name(path: Path, pkg_dir: Path = PKG_DIR) -> str:
    parts = path.relative_to(pkg_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.lru_cache(maxsize=4)
def import_graph(pkg_dir: Path = PKG_DIR) -> dict[str, set[str]]:
    """module -> the package modules it imports (relative imports resolved)."""
    files = {module_name(p, pkg_dir): p for p in pkg_dir.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}

    def known(name: str) -> str | None:
        # `from .x import y` may name a module (x.y) or a thing inside x.
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[: len(base) - node.level + 1]
                    prefix = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                targets = [f"{prefix}.{a.name}" for a in node.names] + [prefix]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value and node.value in files:
                targets = [node.value]  # importlib.import_module("refundkit.x"), or a list of such names
            for t in targets:
                if t.split(".")[0] != "refundkit":
                    continue
                dep = known(t)
                if dep and dep != mod:
                    graph[mod].add(dep)
    # Importing a.b.c runs a/__init__ and a/b/__init__ first: a parent package is an edge too.
    for mod in list(graph):
        for dep in list(graph[mod]):
            parent = dep.rpartition(".")[0]
            while parent and parent != mod and not mod.startswith(parent + "."):
                graph[mod].add(parent)
                parent = parent.rpartition(".")[0]
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    out = []
    for comp in comps:  # a readable path a -> b -> ... -> a inside the component
        members = set(comp)
        path, seen = [comp[0]], {comp[0]}
        while True:
            nxt = sorted(d for d in graph[path[-1]] if d in members)
            back = comp[0] if comp[0] in nxt else None
            fresh = [d for d in nxt if d not in seen]
            if back and (len(path) > 1 or not fresh):
                break
            path.append(fresh[0])
            seen.add(fresh[0])
        out.append(path + [comp[0]])
    return out


def test_graph_sees_the_package():
    graph = import_graph()
    assert {"refundkit.engine", "refundkit.sop", "refundkit.cli", "refundkit.triage.vectorised"} <= set(graph)
    assert "refundkit.sop" in graph["refundkit.engine"]


def test_finder_reports_a_circle_inside_a_function(tmp_path):
    pkg = tmp_path / "refundkit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("def f():\n    from refundkit import a\n")
    assert cycles(import_graph(pkg)) == [["refundkit.a", "refundkit.b", "refundkit.a"]]


def test_no_import_circle_in_the_package():
    found = cycles(import_graph())
    assert not found, "import circles: " + "; ".join(" -> ".join(c) for c in found)


BOTTOM = ("refundkit.vocab", "refundkit.errors", "refundkit.paths", "refundkit.typed_input", "refundkit.money",
          "refundkit.clock")


def test_bottom_layer_imports_nothing_above_it():
    graph = import_graph()
    for mod in BOTTOM:
        assert mod in graph, mod
        assert graph[mod] <= set(BOTTOM), (mod, graph[mod] - set(BOTTOM))
