"""The thread registry: our own record of the conversations/threads this provider created.

Neither the Assistants API nor the Conversations API can list threads, so "every conversation of
tenant X" or "the conversation of incident Y" needs a record of the ids we created. SQLAlchemy,
SQLite by default, PostgreSQL in production (any SQLAlchemy URL works).
"""

from openaiassistant.registry.conversation_log import ConversationLog, LogItem
from openaiassistant.registry.store import ThreadInfo, ThreadRegistry

__all__ = ["ConversationLog", "LogItem", "ThreadInfo", "ThreadRegistry"]
