"""The emulator's modules depend on each other one way: no import cycles, counting imports made
only for type checking and imports inside functions (a cycle at any level is a tangle)."""

from __future__ import annotations

import ast
from pathlib import Path

import openaiassistant.emulator as package

PACKAGE = "openaiassistant.emulator"
ROOT = Path(package.__file__).parent


def _imports(path: Path) -> set[str]:
    """Sibling modules ``path`` imports (``from . import x``, ``from pkg.x import y``, ...)."""
    names = {p.stem for p in ROOT.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found |= {alias.name for alias in node.names if alias.name in names}
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module.removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name.removeprefix(PACKAGE + ".").split(".")[0])
    return found - {path.stem}


def _graph() -> dict[str, set[str]]:
    return {path.stem: _imports(path) for path in ROOT.glob("*.py") if path.stem != "__init__"}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_among_emulator_modules() -> None:
    graph = _graph()
    assert {"app", "context", "http", "timeline"} <= set(graph)  # the walk sees the package
    assert _cycles(graph) == []


def test_only_the_entry_points_import_the_route_assembly() -> None:
    """``app`` assembles routes; the API modules depend on ``context``, never on ``app``."""
    importers = sorted(name for name, deps in _graph().items() if "app" in deps)
    assert importers == ["server"]
