"""pydantic-ai on Responses: Agent(OpenAIResponsesModel).run with an async tool (not streamed)."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402


class PydanticAI:
    def __init__(self, s: _common.Settings) -> None:
        from pydantic_ai import Agent
        from pydantic_ai.models.openai import OpenAIResponsesModel
        from pydantic_ai.providers.openai import OpenAIProvider

        model = OpenAIResponsesModel(
            "gpt-4o-mini", provider=OpenAIProvider(base_url=s.base_url, api_key="sk-bench-local")
        )
        self.agent = Agent(model, instructions="You are a benchmark.")
        self.agent.tool_plain(name="lookup")(_common.alookup)
        self.versions = {"pydantic-ai-slim": version("pydantic-ai-slim"), "openai": version("openai")}

    async def aturn(self, prompt: str, rec: _common.Rec) -> bool:
        result = await self.agent.run(prompt)
        return bool(result.output)


if __name__ == "__main__":
    raise SystemExit(_common.main(PydanticAI))
