"""The openai SDK's own helpers on Assistants v2: create_and_poll + submit_tool_outputs_and_poll.

Written the way the SDK's documentation shows it: a thread created with the message, the run
polled by the helper (which honours openai-poll-after-ms and otherwise waits 1 s), tool calls
answered in a loop, the answer read with messages.list(run_id=...).
"""

from __future__ import annotations

import json
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # every beta call warns in openai >= 2


class SdkAssistants:
    def __init__(self, s: _common.Settings) -> None:
        import openai

        self.client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        self.assistant_id = _common.extra_args().assistant_id
        self.versions = {"openai": version("openai")}

    def turn(self, prompt: str, rec: _common.Rec) -> bool:
        threads = self.client.beta.threads
        thread = threads.create(messages=[{"role": "user", "content": prompt}])
        run = threads.runs.create_and_poll(thread_id=thread.id, assistant_id=self.assistant_id)
        while run.status == "requires_action":
            outputs = [
                {"tool_call_id": call.id, "output": _common.lookup(**json.loads(call.function.arguments))}
                for call in run.required_action.submit_tool_outputs.tool_calls
            ]
            run = threads.runs.submit_tool_outputs_and_poll(thread_id=thread.id, run_id=run.id, tool_outputs=outputs)
        if run.status != "completed":
            return False
        messages = threads.messages.list(thread_id=thread.id, run_id=run.id)
        return any(part.type == "text" for m in messages.data for part in m.content)


if __name__ == "__main__":
    raise SystemExit(_common.main(SdkAssistants))
