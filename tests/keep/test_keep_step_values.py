"""How a Keep step's values become one turn (no Keep needed: runs in both environments)."""

from __future__ import annotations

import pytest

from openaiassistant.errors import ConfigError
from openaiassistant.keep.provider_tools import ProviderTool, build_toolset, parse_functions
from openaiassistant.keep.turn import build_turn_request
from openaiassistant.tools.base import ToolDefinition


def test_values_as_keep_leaves_them_are_accepted():
    # Keep drops YAML floats (so numbers arrive as strings) and renders missing values as ""
    request = build_turn_request(
        {"prompt": "hi", "thread_id": "", "temperature": "0.2", "max_output_tokens": "300", "stream": "true",
         "include_history": False, "timeout": "30", "metadata": '{"incident": "42"}', "model": ""},
        default_timeout=120.0,
    )
    assert request.thread_id is None
    assert request.params == {"temperature": "0.2", "max_output_tokens": "300"}
    assert request.stream is True and request.include_history is False
    assert request.timeout == 30.0 and request.metadata == {"incident": "42"}
    assert build_turn_request({"prompt": "hi"}, default_timeout=120.0).timeout == 120.0


@pytest.mark.parametrize("values, parameter", [
    ({"prompt": ""}, "prompt"),
    ({"prompt": "hi", "temprature": "0.2"}, "temprature"),
    ({"prompt": "hi", "stream": "maybe"}, "stream"),
    ({"prompt": "hi", "timeout": "-1"}, "timeout"),
    ({"prompt": "hi", "on_active_run": "queue"}, "on_active_run"),
])
def test_bad_values_name_the_parameter(values, parameter):
    with pytest.raises(ConfigError) as info:
        build_turn_request(values, default_timeout=None)
    assert parameter in str(info.value)


def test_provider_tool_fills_placeholders_and_passes_the_rest():
    seen = []
    tool = ProviderTool(
        definition=ToolDefinition(name="q", description="d", parameters={"type": "object"}),
        provider_id="metrics", provider_type="http",
        with_template={"url": "http://127.0.0.1:1/hosts/{host}", "params": {"limit": "{limit}"}, "method": "GET"},
        caller=lambda pid, ptype, args: seen.append((pid, ptype, args)) or {"ok": True},
    )
    assert tool.invoke({"host": "db-1", "limit": 5, "verify": False}) == {"ok": True}
    assert seen == [("metrics", "http", {"url": "http://127.0.0.1:1/hosts/db-1", "params": {"limit": 5},
                                         "method": "GET", "verify": False})]


def test_functions_split_into_http_and_provider_tools():
    specs = parse_functions("""
- name: runbook
  description: runbook
  parameters: {type: object, properties: {alert: {type: string}}, required: [alert]}
  url: http://127.0.0.1:9/runbooks/{alert}
- name: metrics
  description: metrics
  provider: metrics-api
""")
    registry = build_toolset(specs, caller=lambda *a: None, resolve_type=lambda name: "http" if name == "metrics-api" else None)
    assert registry.names() == ["runbook", "metrics"]
    assert isinstance(registry.get("metrics"), ProviderTool) and registry.get("metrics").provider_type == "http"

    with pytest.raises(ConfigError, match="provider_type"):
        build_toolset([{"name": "m", "provider": "unknown"}], caller=lambda *a: None, resolve_type=lambda name: None)
    with pytest.raises(ConfigError, match="unknown keys"):
        build_toolset([{"name": "m", "provider": "x", "provider_type": "http", "url": "http://127.0.0.1"}],
                      caller=lambda *a: None)
