"""Names a package exports but loads on first use (PEP 562), so that importing one of its
modules does not import all of them (and the libraries they stand on).

    __getattr__, __dir__ = lazy_names(__name__, {"Toolbox": ".toolbox", ...}, __all__)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, names: Mapping[str, str | None], exported: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` that imports ``names[name]`` (absolute, or relative to
    ``package``) when ``name`` is first asked for, and the matching ``__dir__``. ``None``
    stands for the package's sub-module ``name`` itself."""

    def __getattr__(name: str) -> Any:
        if name in names:
            where = names[name]
            module = importlib.import_module(f"{package}.{name}" if where is None else where, package)
            value = module if where is None else getattr(module, name)
            setattr(importlib.import_module(package), name, value)  # found directly from now on
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(exported))

    return __getattr__, __dir__
