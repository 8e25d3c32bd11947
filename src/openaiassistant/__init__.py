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
