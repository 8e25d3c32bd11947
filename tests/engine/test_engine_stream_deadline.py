"""The deadline holds while an answer is still streaming (the default transport for every turn)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import run_status

from openaiassistant.assistant import Assistant
from openaiassistant.errors import TurnTimeoutError
from openaiassistant.settings import AssistantSpec, ConnectionSettings


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "stream=False"])
def test_a_long_answer_does_not_outlive_the_deadline(emulator: Any, client: Any, backend: str, stream: bool) -> None:
    # 40 words at 10 words/s: the answer streams for 4 s; the turn may take 1 s
    emulator.load_script(
        {
            "latency": {"first_token_ms": 50, "tokens_per_second": 10},
            "rules": [{"default": True, "reply": " ".join(f"w{i}" for i in range(40))}],
        }
    )
    assistant_id = client.beta.assistants.create(model="gpt-4o-mini").id if backend == "assistants" else None
    assistant = Assistant(
        connection=ConnectionSettings(api_key="sk-test-deadline-key", base_url=emulator.base_url),
        spec=AssistantSpec(backend=backend, model="gpt-4o-mini", assistant_id=assistant_id),
    )
    with pytest.raises(TurnTimeoutError) as info:  # read to its end, the answer would complete the turn
        assistant.run_turn("talk", stream=stream, timeout=1.0)
    err = info.value
    assert err.thread_id and err.run_id
    # cut off mid-answer: the run never completed, it was cancelled
    assert run_status(client, backend, err.thread_id, err.run_id) in ("cancelled", "cancelling")
