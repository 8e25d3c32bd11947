"""The openai SDK on Chat Completions: a plain chat.completions.create tool loop (no streaming).

The whole conversation goes as ``messages`` on every request (the server keeps nothing); tool
calls run in a loop, one after another, as the SDK's function-calling guide writes it. The
reference for this project's chat backend, which does the same plus keeping it in a database.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

TOOLS = [
    {
        "type": "function",
        "function": {"name": "lookup", "description": "Look a key up.", "parameters": _common.LOOKUP_SCHEMA},
    }
]


class SdkChat:
    def __init__(self, s: _common.Settings) -> None:
        import openai

        self.client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        self.versions = {"openai": version("openai")}

    def turn(self, prompt: str, rec: _common.Rec) -> bool:
        messages: list[dict] = [
            {"role": "system", "content": "You are a benchmark."},
            {"role": "user", "content": prompt},
        ]
        completion = self.client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        for _ in range(10):
            message = completion.choices[0].message
            if not message.tool_calls:
                break
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                output = _common.lookup(**json.loads(call.function.arguments))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
            completion = self.client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        return completion.choices[0].finish_reason == "stop" and bool(completion.choices[0].message.content)


if __name__ == "__main__":
    raise SystemExit(_common.main(SdkChat))
