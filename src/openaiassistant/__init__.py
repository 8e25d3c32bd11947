"""OpenAI assistant provider for Keep.

The public API, all importable from the package itself::

    from openaiassistant import Assistant, AssistantSpec, ConnectionSettings, TurnResult
    from openaiassistant import Toolbox            # Python and HTTP function tools (tools/)
    from openaiassistant import ThreadRegistry     # the record of conversations (registry/)
    from openaiassistant import KnowledgeBase      # vector stores of runbooks (knowledge/)
    from openaiassistant import AssistantError, ConfigError, TurnTimeoutError, ...  # errors.py
    from openaiassistant.testing import ScriptedBackend  # a test double at the engine's seam

Everything else lives in sub-packages whose modules say what they own (docs/architecture.md).
The engine's names load on first use, so importing the package (the emulator, Keep's provider
listing) does not pull in the SDK client machinery, SQLAlchemy or the tool executor.
"""

from typing import TYPE_CHECKING, Any

from openaiassistant import errors as _errors
from openaiassistant.errors import *  # noqa: F403  (the whole error tree: errors.__all__)

__version__ = "0.1.0"

_LAZY = {
    "Assistant": "openaiassistant.assistant",
    "ConnectionSettings": "openaiassistant.settings",
    "AssistantSpec": "openaiassistant.settings",
    "TurnResult": "openaiassistant.result",
    "Toolbox": "openaiassistant.tools",
    "ThreadRegistry": "openaiassistant.registry",
    "KnowledgeBase": "openaiassistant.knowledge",
}

__all__ = [*_errors.__all__, *_LAZY]

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from openaiassistant.assistant import Assistant as Assistant
    from openaiassistant.knowledge import KnowledgeBase as KnowledgeBase
    from openaiassistant.registry import ThreadRegistry as ThreadRegistry
    from openaiassistant.result import TurnResult as TurnResult
    from openaiassistant.settings import AssistantSpec as AssistantSpec
    from openaiassistant.settings import ConnectionSettings as ConnectionSettings
    from openaiassistant.tools import Toolbox as Toolbox


def __getattr__(name: str) -> Any:  # PEP 562
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'openaiassistant' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
