"""What a lifecycle generator yields to its :class:`~openaiassistant.emulator.timeline.Timeline`.

* :class:`Sleep`: the next step is due ``seconds`` later;
* :class:`Emit`: something a stream would send (``data`` is a snapshot);
* :class:`Stuck`: nothing more happens until the work is cancelled.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

__all__ = ["Action", "Emit", "Lifecycle", "Sleep", "Stuck"]


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Emit:
    name: str
    data: Any


@dataclass(frozen=True, slots=True)
class Stuck:
    pass


Action: TypeAlias = Sleep | Emit | Stuck
_R = TypeVar("_R")
# a lifecycle (or a part of one) yields actions and may return a value to the part that called it
Lifecycle: TypeAlias = Generator[Action, None, _R]
