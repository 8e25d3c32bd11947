"""Usage in detail as the servers report it: the emulator's Responses and Chat Completions usage
carry cached and reasoning tokens (spec-valid: the emulator checks every body it sends), and
Usage reads both APIs' shapes, dicts or the SDK's typed objects."""

from __future__ import annotations

from typing import Any

import openai

from openaiassistant.result import Usage

SCRIPT = {
    "rules": [
        {"match": "think", "reasoning_tokens": 11, "reply": "Thought about it"},
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


def test_chat_completions_report_cached_and_reasoning_tokens(emulator: Any) -> None:
    emulator.load_script(SCRIPT)
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    first_messages: list[Any] = [
        {"role": "system", "content": "You watch disks."},
        {"role": "user", "content": "think hard"},
    ]
    first = client.chat.completions.create(model="o4-mini", messages=first_messages)
    answer = first.choices[0].message.content
    assert first.usage is not None
    one = Usage.from_wire(first.usage)
    assert (one.reasoning_tokens, one.cached_tokens) == (11, 0)
    assert one.output_tokens == 11 + len(str(answer).split())
    again = [*first_messages, {"role": "assistant", "content": answer}, {"role": "user", "content": "and now?"}]
    second = client.chat.completions.create(model="o4-mini", messages=again)
    assert second.usage is not None
    two = Usage.from_wire(second.usage)
    assert two.cached_tokens == one.input_tokens + len(str(answer).split())  # the earlier prompt and answer
    assert two.input_tokens > two.cached_tokens and two.reasoning_tokens == 0


def test_usage_reads_both_apis_shapes_and_ignores_junk() -> None:
    responses = {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 10},
        "output_tokens": 30,
        "output_tokens_details": {"reasoning_tokens": 12},
        "total_tokens": 130,
    }
    assert Usage.from_wire(responses) == Usage(
        input_tokens=100,
        output_tokens=30,
        total_tokens=130,
        cached_tokens=40,
        cache_write_tokens=10,
        reasoning_tokens=12,
    )
    chat = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10, "prompt_tokens_details": None}
    assert Usage.from_wire(chat) == Usage(input_tokens=7, output_tokens=3, total_tokens=10)
    odd = {
        "prompt_tokens": "7",
        "completion_tokens": -1,
        "total_tokens": None,
        "completion_tokens_details": {"reasoning_tokens": 2.5},
    }
    assert Usage.from_wire(odd) == Usage()
    summed = Usage()
    summed.add(Usage.from_wire(responses))
    summed.add(Usage.from_wire(responses))
    assert summed.to_dict() == {
        "input_tokens": 200,
        "output_tokens": 60,
        "total_tokens": 260,
        "cached_tokens": 80,
        "cache_write_tokens": 20,
        "reasoning_tokens": 24,
    }
