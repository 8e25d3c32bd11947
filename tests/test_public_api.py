"""Every module says what it exports: an ``__all__`` of names that exist.

``__all__`` is each module's interface: for the modules of the public API (the package's lazy
names, docs/architecture.md's "public engine API") what users import; for the others, what other
modules of the package (and its tests) import from them. Read from the source, so that modules
which need Keep are checked where Keep is not installed; a package that provides names on first
use (PEP 562 ``__getattr__``) is imported and asked for each.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "openaiassistant"


MODULES = sorted(PACKAGE.rglob("*.py"))


def _bound(statements: list[ast.stmt]) -> set[str]:
    """The names a module's top level binds (also inside if / try / with blocks)."""
    names: set[str] = set()
    for node in statements:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.If | ast.With | ast.Try):
            inner = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            inner += [s for h in getattr(node, "handlers", []) for s in h.body]
            names |= _bound(inner)
    return names


def _exports(path: Path, tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id == "__all__" and node.value is not None:
                try:
                    return list(ast.literal_eval(node.value))
                except ValueError:  # built from other lists (the package root's): ask the module
                    return list(importlib.import_module(_module_name(path)).__all__)
    return None


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_defines_all_of_names_that_exist(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(PACKAGE)
    exported = _exports(path, tree)
    assert exported is not None, f"{where} has no __all__"
    assert len(exported) == len(set(exported)), f"{where}: __all__ names a name twice"
    bound = _bound(tree.body)
    unbound = [name for name in exported if name not in bound]
    if unbound and "__getattr__" in bound:  # names given on first use (PEP 562): ask for them
        module = importlib.import_module(_module_name(path))
        unbound = [name for name in unbound if not hasattr(module, name)]
    assert not unbound, f"{where}: __all__ names {unbound}, which the module does not define"
