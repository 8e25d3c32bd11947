"""The openai SDK's own streaming helper on Responses: ``client.responses.stream`` tool loop.

Streamed against streamed: the helper the SDK ships for following a response's events (it
parses every event into the SDK's typed models and keeps a snapshot of the response). History
within the turn, and from turn to turn in the continued workload, is carried by
``previous_response_id``; tool calls run in a loop, one after another.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from sdk_responses import TOOLS  # noqa: E402


class SdkResponsesStream:
    def __init__(self, s: _common.Settings) -> None:
        import openai

        self.client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        self.versions = {"openai": version("openai")}
        self.last_id: str | None = None  # the continued conversation's newest response
        self.newest: str | None = None  # the newest response of the last turn

    def _stream(self, rec: _common.Rec, **body: Any) -> Any:
        with self.client.responses.stream(
            model="gpt-4o-mini", instructions="You are a benchmark.", tools=TOOLS, **body
        ) as stream:
            for event in stream:
                if event.type == "response.output_text.delta":
                    rec.first_token()
            return stream.get_final_response()

    def turn(self, prompt: str, rec: _common.Rec, previous: str | None = None) -> bool:
        response = self._stream(rec, input=prompt, **({"previous_response_id": previous} if previous else {}))
        for _ in range(10):
            outputs = _common.function_outputs(response)
            if not outputs:
                break
            response = self._stream(rec, previous_response_id=response.id, input=outputs)
        self.newest = response.id
        return response.status == "completed" and bool(response.output_text)

    def continued_turn(self, prompt: str, rec: _common.Rec) -> bool:
        ok = self.turn(prompt, rec, previous=self.last_id)
        self.last_id = self.newest
        return ok


if __name__ == "__main__":
    raise SystemExit(_common.main(SdkResponsesStream))
