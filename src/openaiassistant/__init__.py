"""OpenAI assistant provider for Keep.

The public surface is re-exported here; everything else lives in private-by-convention
sub-packages (see docs/architecture.md for who owns what).
"""

from openaiassistant.errors import (  # noqa: F401
    ActiveRunError,
    APIError,
    AssistantError,
    AuthenticationError,
    ConfigError,
    IndexingError,
    NotFoundError,
    OutputValidationError,
    QuotaExceededError,
    RunCancelledError,
    RunError,
    RunExpiredError,
    RunFailedError,
    ServerUnavailableError,
    ToolError,
    TurnTimeoutError,
)

__version__ = "0.1.0"

# The engine's public names, imported on first use so that importing the package (the emulator,
# Keep's provider listing) does not pull in the SDK client machinery.
_LAZY = {
    "Assistant": "openaiassistant.assistant",
    "ConnectionSettings": "openaiassistant.settings",
    "AssistantSpec": "openaiassistant.settings",
    "TurnResult": "openaiassistant.result",
    "KnowledgeBase": "openaiassistant.knowledge",
}


def __getattr__(name: str):  # PEP 562
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'openaiassistant' has no attribute {name!r}")
