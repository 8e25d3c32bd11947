"""The OpenAI Agents SDK (openai-agents) on Responses: Runner.run_streamed with an async tool.

Tracing is switched off: it would export to OpenAI's servers, and traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402


class OpenAIAgents:
    def __init__(self, s: _common.Settings) -> None:
        import openai
        from agents import Agent, OpenAIResponsesModel, function_tool, set_tracing_disabled

        set_tracing_disabled(True)
        client = openai.AsyncOpenAI(base_url=s.base_url, api_key="sk-bench-local")
        self.agent = Agent(
            name="bench",
            instructions="You are a benchmark.",
            model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
            tools=[function_tool(_common.alookup, name_override="lookup")],
        )
        self.versions = {"openai-agents": version("openai-agents"), "openai": version("openai")}

    async def aturn(self, prompt: str, rec: _common.Rec) -> bool:
        from agents import Runner

        result = Runner.run_streamed(self.agent, prompt)
        async for event in result.stream_events():
            if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                rec.first_token()
        return bool(result.final_output)


if __name__ == "__main__":
    raise SystemExit(_common.main(OpenAIAgents))
