"""``spare_threads`` against real third-party Responses servers (llama-stack, LiteLLM's proxy).

Where the server keeps conversations, a spare made in the background is a real conversation on
it: the turn that takes it holds only its own message, and a spare left over is deleted. Where it
keeps none (our own log keeps them), no spare is made at all.
"""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest
from tests.compat.helpers import model_requests

from openaiassistant.assistant import Assistant
from openaiassistant.backends import spare
from openaiassistant.backends.capabilities import BOOK
from openaiassistant.settings import AssistantSpec, ConnectionSettings

pytestmark = pytest.mark.timeout(180)


def _ready(assistant: Assistant) -> str | None:
    """The spare made for this assistant's key, once the background has made it (or None)."""
    key = spare.key_of("responses", assistant.connection, assistant.connection.base_url.rstrip("/"))
    holder = spare._SPARES.get(key)
    for _ in range(1000):
        ready = getattr(holder, "_ready", None)
        if ready is not None or holder is None or not holder._making:
            return ready[0] if ready is not None else None
        time.sleep(0.01)
    return None


def test_a_spare_conversation_on_a_real_server(server: Any, upstream: Any, cell: Any) -> None:
    settings = ConnectionSettings(api_key=server.api_key, base_url=server.base_url)
    spec = AssistantSpec(model=server.model, instructions="You help SREs.", spare_threads=True)
    first = Assistant(connection=settings, spec=spec).run_turn("spare one", timeout=60)
    second = Assistant(connection=settings, spec=spec).run_turn("spare two", timeout=60)
    assert first.status == second.status == "completed"
    if not BOOK.allows(server.base_url, "conversations", pinned={}):  # kept in our own log
        assert _ready(Assistant(connection=settings, spec=spec)) is None
        cell("spare_threads", "not used (no Conversations API: conversations are kept in our log)")
        return
    made = _ready(Assistant(connection=settings, spec=spec))
    assert made is not None and made not in (first.thread_id, second.thread_id)
    upstream.clear_requests()
    third = Assistant(connection=settings, spec=spec).run_turn("spare three", timeout=60)
    assert third.status == "completed" and third.text == "Echo: spare three"
    assert third.thread_id == made
    sent = model_requests(upstream)
    assert len(sent) == 1 and "spare one" not in str(sent[0]) and "spare two" not in str(sent[0])
    history = Assistant(connection=settings, spec=spec).history(made)
    assert [(m["role"], m["text"]) for m in history] == [("user", "spare three"), ("assistant", "Echo: spare three")]
    leftover = _ready(Assistant(connection=settings, spec=spec))
    assert leftover is not None
    spare._discard_all()  # what atexit does
    client = openai.OpenAI(api_key=server.api_key, base_url=server.base_url, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        client.get(f"/conversations/{leftover}", cast_to=object)
    cell("spare_threads", "yes (the spare is a conversation on the server; a leftover one is deleted)")
