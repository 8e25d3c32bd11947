"""The emulator's in-memory world: plain records keyed by id, replaced wholesale on reset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openaiassistant.emulator.prompt_cache import PromptCache
from openaiassistant.emulator.script import Step
from openaiassistant.emulator.timeline import Timeline

__all__ = [
    "ContainerRecord",
    "ConversationRecord",
    "FileRecord",
    "PendingCall",
    "ResponseRecord",
    "RunRecord",
    "State",
    "ThreadRecord",
    "VectorStoreRecord",
]


@dataclass(kw_only=True)
class PendingCall:
    """A tool call the model made; its output continues the step that asked for it."""

    name: str
    step: Step
    variables: dict[str, Any]


@dataclass(kw_only=True)
class ResponseRecord:
    obj: dict[str, Any]  # the wire object, mutated as the response advances
    input_items: list[dict[str, Any]]  # new input items of this response (with ids)
    context: list[dict[str, Any]]  # every item the model saw (history + input)
    conversation_id: str | None = None
    timeline: Timeline | None = None
    sequence: int = 0
    events: list[tuple[str, Any]] = field(default_factory=list)  # every event so far, for resuming

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence - 1


@dataclass(kw_only=True)
class ConversationRecord:
    obj: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    active_response: str | None = None  # id of a response still working on it (locks it)


@dataclass(kw_only=True)
class RunRecord:
    obj: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)
    timeline: Timeline | None = None
    tool_step: dict[str, Any] | None = None  # the run step waiting for tool outputs
    expires_mono: float = float("inf")  # time.monotonic() deadline; past it the run expires
    prompt_tokens: int = 0  # what the model read, counted when the run (re)starts
    events: list[tuple[str, Any]] = field(default_factory=list)  # every event so far (the inspector's timeline)


@dataclass(kw_only=True)
class ThreadRecord:
    obj: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # run ids, oldest first


@dataclass(kw_only=True)
class FileRecord:
    obj: dict[str, Any]
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(kw_only=True)
class VectorStoreRecord:
    obj: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> vector_store.file
    ready_at: dict[str, float] = field(default_factory=dict)  # file id -> monotonic time indexed
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)  # batch id -> vector_store.files_batch
    batch_files: dict[str, list[str]] = field(default_factory=dict)  # batch id -> its file ids


@dataclass(kw_only=True)
class ContainerRecord:
    """A code_interpreter container: its files are copies (``container.file``) with their bytes."""

    obj: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # cfile id -> container.file
    content: dict[str, bytes] = field(default_factory=dict)  # cfile id -> bytes


@dataclass(kw_only=True)
class State:
    responses: dict[str, ResponseRecord] = field(default_factory=dict)
    conversations: dict[str, ConversationRecord] = field(default_factory=dict)
    assistants: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: dict[str, ThreadRecord] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    vector_stores: dict[str, VectorStoreRecord] = field(default_factory=dict)
    calls: dict[str, PendingCall] = field(default_factory=dict)  # call_id -> pending call
    containers: dict[str, ContainerRecord] = field(default_factory=dict)
    prompt_cache: PromptCache = field(default_factory=PromptCache)  # what usage reports as cached
