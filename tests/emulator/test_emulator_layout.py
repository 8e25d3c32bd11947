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


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other (each module of a group reaches all others)."""
    reach = {node: _reach(graph, node) for node in graph}
    groups = {
        frozenset(other for other in reach[node] if node in reach.get(other, set()))
        for node in graph
        if node in reach[node]
    }
    return sorted(sorted(group) for group in groups)


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
