"""Hosted tools inside a Response: ``web_search_call`` and remote MCP (``mcp_list_tools``,
``mcp_call``, ``mcp_approval_request``) output items with their stream events, as the spec
shapes them.

Web search is scripted (the emulator has no web: the step names the query and sources). Remote
MCP is real: the emulator lists the tools of the request's ``server_url`` and calls the step's
tool there, through this package's MCP client (``tools/mcp``), honouring ``allowed_tools`` and
``require_approval`` (a tool that needs approval gets an ``mcp_approval_request`` and the
response ends there, as on the live API). The calls block the emulator's loop while they run:
fine for a test server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from openaiassistant.emulator.actions import Lifecycle
from openaiassistant.emulator.hosted_script import MCP_OUTPUT
from openaiassistant.emulator.http import new_id

if TYPE_CHECKING:
    from openaiassistant.emulator.model import Plan
    from openaiassistant.emulator.state import ResponseRecord

__all__ = ["run_hosted"]

_TIMEOUT = 30.0


def run_hosted(record: ResponseRecord, plan: Plan, body: dict[str, Any], *, event: Any) -> Lifecycle[bool]:
    """Run the plan's hosted calls; True when the response now waits for an approval.
    ``event`` is the lifecycle's event maker (numbers the events)."""
    for kind, spec in plan.hosted:
        if kind == "web_search":
            yield from _web_search(record, spec, event)
            continue
        tool = _mcp_tool(body, spec.get("server_label"))
        label = str(tool.get("server_label"))
        listed, error = _list(tool)
        yield from _item(
            record,
            event,
            {"id": new_id("mcpl_"), "type": "mcp_list_tools", "server_label": label, "tools": listed, "error": error},
            "mcp_list_tools",
            ("in_progress", "failed" if error else "completed"),
        )
        name = spec["tool"]
        if error is not None or name not in {t["name"] for t in listed}:
            plan.text = plan.text.replace(MCP_OUTPUT, error or f"tool {name!r} is not offered")
            continue
        arguments = json.dumps(spec.get("arguments") or {})
        if _needs_approval(tool.get("require_approval"), name):
            request = {
                "id": new_id("mcpr_"),
                "type": "mcp_approval_request",
                "server_label": label,
                "name": name,
                "arguments": arguments,
            }
            yield from _item(record, event, request, None, ())
            return True
        output, failure = _call(tool, name, spec.get("arguments") or {})
        call = {
            "id": new_id("mcp_"),
            "type": "mcp_call",
            "status": "in_progress",
            "server_label": label,
            "name": name,
            "arguments": arguments,
            "output": output,
            "error": None
            if failure is None
            else {"type": "mcp_tool_execution_error", "content": [{"type": "text", "text": failure}]},
            "approval_request_id": None,
        }
        index = len(record.obj["output"])
        yield from _item(record, event, call, None, (), done=False)
        yield event(record, "response.mcp_call.in_progress", output_index=index, item_id=call["id"])
        yield event(
            record, "response.mcp_call_arguments.done", output_index=index, item_id=call["id"], arguments=arguments
        )
        call["status"] = "failed" if failure else "completed"
        yield event(record, f"response.mcp_call.{call['status']}", output_index=index, item_id=call["id"])
        yield event(record, "response.output_item.done", output_index=index, item=call)
        plan.text = plan.text.replace(MCP_OUTPUT, failure if failure is not None else output or "")
    return False


def _web_search(record: ResponseRecord, spec: dict[str, Any], event: Any) -> Lifecycle[None]:
    action = {
        "type": "search",
        "query": spec["query"],
        "queries": [spec["query"]],
        "sources": [{"type": "url", "url": s["url"]} for s in spec.get("sources") or []],
    }
    item = {"id": new_id("ws_"), "type": "web_search_call", "status": "in_progress", "action": action}
    yield from _item(record, event, item, "web_search_call", ("in_progress", "searching", "completed"))


def _item(
    record: ResponseRecord,
    event: Any,
    item: dict[str, Any],
    events: str | None,
    phases: tuple[str, ...],
    *,
    done: bool = True,
) -> Lifecycle[None]:
    """Add an output item: ``added``, its own phase events, then ``done`` (status completed)."""
    output = record.obj["output"]
    index = len(output)
    output.append(item)
    yield event(record, "response.output_item.added", output_index=index, item=item)
    for phase in phases:
        yield event(record, f"response.{events}.{phase}", output_index=index, item_id=item["id"])
    if "status" in item and item["type"] == "web_search_call":
        item["status"] = "completed"
    if done:
        yield event(record, "response.output_item.done", output_index=index, item=item)


def _mcp_tool(body: dict[str, Any], label: str | None) -> dict[str, Any]:
    tools = [t for t in body.get("tools") or [] if t.get("type") == "mcp"]
    return next((t for t in tools if label is None or t.get("server_label") == label), tools[0])


def _session(tool: dict[str, Any]) -> Any:
    from openaiassistant.tools.mcp import McpServerSpec, default_servers

    headers = {str(k): str(v) for k, v in (tool.get("headers") or {}).items()}
    spec = McpServerSpec.from_dict(
        {"mcp": {"url": str(tool.get("server_url")), "headers": headers}, "name": str(tool.get("server_label"))},
        where="tools (mcp)",
        environ={},
    )
    return default_servers().session(spec)


def _list(tool: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The server's tools as ``mcp_list_tools`` lists them (``allowed_tools`` applied), or an error."""
    try:
        tools = _session(tool).list_tools(timeout=_TIMEOUT)
    except Exception as exc:  # the live API reports a server it cannot reach in the item's error
        return [], f"Error retrieving tool list from MCP server: {exc}"
    allowed = tool.get("allowed_tools")
    names = allowed if isinstance(allowed, list) else (allowed or {}).get("tool_names")
    listed = []
    for t in tools:
        if names is not None and t.get("name") not in names:
            continue
        entry: dict[str, Any] = {
            "name": t.get("name"),
            "description": t.get("description"),
            "input_schema": t.get("inputSchema") or {"type": "object"},
        }
        if isinstance(t.get("annotations"), dict):
            entry["annotations"] = t["annotations"]
        listed.append(entry)
    return listed, None


def _needs_approval(setting: Any, name: str) -> bool:
    """``require_approval``: always (the default) | never | {always: {tool_names}, never: {tool_names}}."""
    if setting is None or setting == "always":
        return True
    if setting == "never":
        return False
    if isinstance(setting, dict):
        if name in ((setting.get("always") or {}).get("tool_names") or []):
            return True
        if name in ((setting.get("never") or {}).get("tool_names") or []):
            return False
    return True


def _call(tool: dict[str, Any], name: str, arguments: dict[str, Any]) -> tuple[str | None, str | None]:
    """(output text, None) or (None, error text)."""
    from openaiassistant.tools.mcp.adapter import tool_result

    try:
        future = _session(tool).request("tools/call", {"name": name, "arguments": arguments})
        result = tool_result(future.result(timeout=_TIMEOUT), str(tool.get("server_label")))
    except Exception as exc:
        return None, str(exc) or type(exc).__name__
    return (result if isinstance(result, str) else json.dumps(result)), None
