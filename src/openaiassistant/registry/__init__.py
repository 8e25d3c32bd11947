"""The thread registry: our own record of the conversations/threads this provider created.

Neither the Assistants API nor the Conversations API can list threads, so "every conversation of
tenant X" or "the conversation of incident Y" needs a record of the ids we created. SQLAlchemy,
SQLite by default, PostgreSQL in production (any SQLAlchemy URL works).

The names load on first use (PEP 562), so that importing the package for one of its modules
does not pull in SQLAlchemy before a registry is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openaiassistant.lazy import lazy_names

_LAZY = {
    "ConversationLog": "openaiassistant.registry.conversation_log",
    "LogItem": "openaiassistant.registry.conversation_log",
    "ThreadInfo": "openaiassistant.registry.store",
    "ThreadRegistry": "openaiassistant.registry.store",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from openaiassistant.registry.conversation_log import ConversationLog, LogItem
    from openaiassistant.registry.store import ThreadInfo, ThreadRegistry

__all__ = ["ConversationLog", "LogItem", "ThreadInfo", "ThreadRegistry"]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
