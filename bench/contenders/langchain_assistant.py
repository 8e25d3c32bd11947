"""LangChain: OpenAIAssistantRunnable (as an agent) driven by AgentExecutor, which runs the tools.

Defaults as a user gets them (the runnable polls every ``check_every_ms`` = 1000 ms); the
runnable and executor live in langchain-classic since LangChain 1.0.
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)


class LangChainAssistant:
    def __init__(self, s: _common.Settings) -> None:
        import openai
        from langchain_classic.agents import AgentExecutor
        from langchain_classic.agents.openai_assistant import OpenAIAssistantRunnable
        from langchain_core.tools import StructuredTool

        client = openai.OpenAI(base_url=s.base_url, api_key="sk-bench-local")
        agent = OpenAIAssistantRunnable(
            assistant_id=_common.extra_args().assistant_id,
            client=client,
            async_client=openai.AsyncOpenAI(base_url=s.base_url, api_key="sk-bench-local"),
            as_agent=True,
        )
        tool = StructuredTool.from_function(_common.lookup, name="lookup")
        self.executor = AgentExecutor(agent=agent, tools=[tool])
        self.versions = {
            "langchain-classic": version("langchain-classic"),
            "langchain-core": version("langchain-core"),
            "openai": version("openai"),
        }

    def turn(self, prompt: str, rec: _common.Rec) -> bool:
        result = self.executor.invoke({"content": prompt})
        return bool(result.get("output"))


if __name__ == "__main__":
    raise SystemExit(_common.main(LangChainAssistant))
