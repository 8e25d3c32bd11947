"""The emulator's prompt cache: what ``usage.input_tokens_details.cached_tokens`` reports.

The live API caches the longest prefix of a prompt (instructions, then the conversation's
items, oldest first) that an earlier request on the same account already sent, and reports
those tokens as cached; it caches prompts of 1024 tokens and more, in steps of 128. The
emulator keeps the idea and drops the thresholds (its prompts are a few words): a response's
prompt prefix that a completed earlier response read (with that response's own output
after it) is counted as cached. Deterministic, so tests can assert on it.
"""

from __future__ import annotations

import hashlib
import threading

from openaiassistant.emulator.script import count_tokens

__all__ = ["PromptCache"]

Unit = tuple[str, str]  # (what the unit is: "instructions" / item type and role, its text)


class PromptCache:
    """Prefixes of prompts seen so far, by hash (one per emulator state)."""

    def __init__(self) -> None:
        self._prefixes: set[str] = set()
        self._lock = threading.Lock()

    def read(self, units: list[Unit]) -> int:
        """Tokens of the longest prefix of ``units`` that is cached."""
        cached = tokens = 0
        digest = hashlib.sha256()
        with self._lock:
            for kind, text in units:
                digest.update(_encode(kind, text))
                tokens += count_tokens(text)
                if digest.hexdigest() not in self._prefixes:
                    break
                cached = tokens
        return cached

    def write(self, units: list[Unit]) -> None:
        """Remember every prefix of ``units`` (a completed response's prompt and output)."""
        digest = hashlib.sha256()
        with self._lock:
            for kind, text in units:
                digest.update(_encode(kind, text))
                self._prefixes.add(digest.hexdigest())


def _encode(kind: str, text: str) -> bytes:
    return f"{len(kind)}:{kind}{len(text)}:{text}".encode()
