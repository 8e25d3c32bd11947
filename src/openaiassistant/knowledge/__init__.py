"""Knowledge bases: vector stores of runbooks, managed from Python, the CLI and Keep.

``KnowledgeBase`` creates, fills, syncs (by content hash) and deletes vector stores through the
official SDK (``api`` speaks the Files and Vector Stores APIs; ``sync`` plans a folder's sync).
"""

from typing import TYPE_CHECKING

from openaiassistant.lazy import lazy_names

# loaded on first use: a turn's files need knowledge.api only, not the sync machinery
_LAZY = {
    name: "openaiassistant.knowledge.base"
    for name in ("KnowledgeBase", "Progress", "StoreFile", "SyncReport", "VectorStore")
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from openaiassistant.knowledge.base import KnowledgeBase, Progress, StoreFile, SyncReport, VectorStore

__all__ = ["KnowledgeBase", "Progress", "StoreFile", "SyncReport", "VectorStore"]

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
