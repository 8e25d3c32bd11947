"""The openai SDK on Responses: a plain responses.create tool loop (no streaming, no background).

History within the turn (and from turn to turn in the continued workload) is carried by
previous_response_id; tool calls run in a loop, one after
another, as the SDK's function-calling guide writes it.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

TOOLS = [
    {
        "type": "function",
        "name": "lookup",
        "description": "Look a key up.",
        "parameters": _common.LOOKUP_SCHEMA,
        "strict": True,
    }
]


class SdkResponses:
    def __init__(self, s: _common.Settings) -> None:
        import openai

        self.client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        self.versions = {"openai": version("openai")}
        self.last_id: str | None = None  # the continued conversation's newest response
        self.newest: str | None = None  # the newest response of the last turn

    def turn(self, prompt: str, rec: _common.Rec, previous: str | None = None) -> bool:
        response = self.client.responses.create(
            model="gpt-4o-mini",
            instructions="You are a benchmark.",
            input=prompt,
            tools=TOOLS,
            **({"previous_response_id": previous} if previous else {}),
        )
        for _ in range(10):
            outputs = _common.function_outputs(response)
            if not outputs:
                break
            response = self.client.responses.create(
                model="gpt-4o-mini",
                instructions="You are a benchmark.",
                previous_response_id=response.id,
                input=outputs,
                tools=TOOLS,
            )
        self.newest = response.id
        return response.status == "completed" and bool(response.output_text)

    def continued_turn(self, prompt: str, rec: _common.Rec) -> bool:
        """A turn continuing this adapter's conversation (by ``previous_response_id``)."""
        ok = self.turn(prompt, rec, previous=self.last_id)
        self.last_id = self.newest
        return ok


if __name__ == "__main__":
    raise SystemExit(_common.main(SdkResponses))
