"""What `import openaiassistant.assistant` (and the CLI's entry module) loads: a first `ask`, and
every Keep worker, pays for each module imported, so the libraries a plain turn does not use
load when first used. Checked in a fresh interpreter against what `import openai` itself loads
(openai 1.37.1 brings httpx, and with it rich, along)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# libraries and modules of ours that a plain Responses turn does not need at import time
HEAVY = (
    "sqlalchemy",
    "jsonschema",
    "referencing",
    "opentelemetry",
    "rich",
    "yaml",
    "httpx",
    "starlette",
    "uvicorn",
    "openaiassistant.emulator",
    "openaiassistant.registry.",
    "openaiassistant.tools.mcp.",
    "openaiassistant.tools.http",
    "openaiassistant.tools.loader",
    "openaiassistant.tools.toolbox",
    "openaiassistant.knowledge.base",
    "openaiassistant.knowledge.sync",
    "openaiassistant.schemas.",
    "openaiassistant.backends.assistants",
    "openaiassistant.backends.chat",
    "openaiassistant.content.assistants_format",
    "openaiassistant.keep",
)

_PROBE = """
import json, sys
import openai
before = set(sys.modules)
{imports}
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _loaded_beyond_openai(imports: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(imports=imports)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout)


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h.rstrip(".") or m.startswith(h) for h in HEAVY)]


@pytest.mark.parametrize(
    "imports",
    ["import openaiassistant.assistant", "import openaiassistant.assistant, openaiassistant.cli.main"],
)
def test_importing_the_assistant_loads_no_heavy_module(imports):
    loaded = _loaded_beyond_openai(imports)
    assert "openaiassistant.assistant" in loaded  # the probe did import it
    assert _heavy(loaded) == []


def test_a_responses_assistant_loads_only_its_own_backend():
    loaded = _loaded_beyond_openai(
        "from openaiassistant import Assistant, AssistantSpec, ConnectionSettings\n"
        "Assistant(connection=ConnectionSettings(api_key='sk-x', base_url='http://127.0.0.1:9/v1'),"
        " spec=AssistantSpec(model='m'))"
    )
    assert "openaiassistant.backends.responses" in loaded
    assert _heavy(loaded) == []


def test_the_public_names_still_load_on_first_use():
    loaded = _loaded_beyond_openai(
        "from openaiassistant import Assistant, Toolbox, ThreadRegistry, KnowledgeBase, TurnResult\n"
        "from openaiassistant.tools import HttpToolSpec, load_tools_file, ToolCall\n"
        "from openaiassistant.tools.mcp import McpServers, McpServerSpec\n"
        "from openaiassistant.content import UserInput, responses_format, assistants_format\n"
        "from openaiassistant.registry import ConversationLog\n"
        "assert responses_format.__name__ == 'openaiassistant.content.responses_format'"
    )
    for module in ("sqlalchemy", "openaiassistant.tools.toolbox", "openaiassistant.knowledge.base"):
        assert module in loaded
