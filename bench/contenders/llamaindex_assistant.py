"""LlamaIndex: OpenAIAssistantAgent over an existing assistant, a new agent (thread) per turn.

Defaults as a user gets them: the agent polls every ``run_retrieve_sleep_time`` = 0.1 s and runs
tool calls one after another.
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)


class LlamaIndexAssistant:
    def __init__(self, s: _common.Settings) -> None:
        import openai
        from llama_index.agent.openai import OpenAIAssistantAgent
        from llama_index.core.tools import FunctionTool

        self.agent_cls = OpenAIAssistantAgent
        self.client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        # what from_existing does, once: read the stored assistant
        self.assistant = self.client.beta.assistants.retrieve(_common.extra_args().assistant_id)
        self.tools = [FunctionTool.from_defaults(fn=_common.lookup, name="lookup")]
        self.versions = {
            "llama-index-agent-openai": version("llama-index-agent-openai"),
            "llama-index-core": version("llama-index-core"),
            "openai": version("openai"),
        }

    def turn(self, prompt: str, rec: _common.Rec) -> bool:
        agent = self.agent_cls(self.client, self.assistant, tools=self.tools)  # creates the thread
        response = agent.chat(prompt)
        return bool(response.response)


if __name__ == "__main__":
    raise SystemExit(_common.main(LlamaIndexAssistant))
