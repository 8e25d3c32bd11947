"""The seed's provider as it describes itself: Assistants v2, a fixed 1 s sleep between polls,
tool calls run one after another, outputs submitted, the newest assistant message read back."""

from __future__ import annotations

import json
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)
TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}


class SeedBaseline:
    def __init__(self, s: _common.Settings) -> None:
        import openai

        self.client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        self.assistant_id = _common.extra_args().assistant_id
        self.versions = {"openai": version("openai")}

    def turn(self, prompt: str, rec: _common.Rec) -> bool:
        threads = self.client.beta.threads
        thread = threads.create()
        threads.messages.create(thread_id=thread.id, role="user", content=prompt)
        run = threads.runs.create(thread_id=thread.id, assistant_id=self.assistant_id)
        while run.status not in TERMINAL:
            time.sleep(1)
            run = threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
            if run.status == "requires_action":
                outputs = []
                for call in run.required_action.submit_tool_outputs.tool_calls:
                    outputs.append(
                        {"tool_call_id": call.id, "output": _common.lookup(**json.loads(call.function.arguments))}
                    )
                run = threads.runs.submit_tool_outputs(thread_id=thread.id, run_id=run.id, tool_outputs=outputs)
        if run.status != "completed":
            return False
        messages = threads.messages.list(thread_id=thread.id, order="desc", limit=1)
        return bool(messages.data and messages.data[0].content)


if __name__ == "__main__":
    raise SystemExit(_common.main(SeedBaseline))
