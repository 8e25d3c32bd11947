"""Knowledge bases: vector stores of runbooks, managed from Python, the CLI and Keep.

``KnowledgeBase`` creates, fills, syncs (by content hash) and deletes vector stores through the
official SDK (``api`` speaks the Files and Vector Stores APIs; ``sync`` plans a folder's sync).
"""

from openaiassistant.knowledge.base import KnowledgeBase, Progress, StoreFile, SyncReport, VectorStore

__all__ = ["KnowledgeBase", "Progress", "StoreFile", "SyncReport", "VectorStore"]
