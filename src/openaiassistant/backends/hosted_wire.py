"""Hosted tools on the Responses wire: into the request's ``tools``, and what they did, read from
the response's output items (``web_search_call``, ``code_interpreter_call``, ``mcp_list_tools``,
``mcp_call``, ``mcp_approval_request``) into plain records for ``TurnResult.hosted_calls``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from openaiassistant.errors import ConfigError
from openaiassistant.tools.hosted import HostedTool

__all__ = ["HOSTED_ITEM_TYPES", "hosted_records", "with_hosted"]

HOSTED_ITEM_TYPES = frozenset(
    {"web_search_call", "code_interpreter_call", "mcp_list_tools", "mcp_call", "mcp_approval_request"}
)


def with_hosted(tools: list[dict[str, Any]], hosted: Iterable[HostedTool]) -> list[dict[str, Any]]:
    """``tools`` plus the hosted tools; one ``code_interpreter`` (a turn's attached files join
    the declared container's ``file_ids``)."""
    out = list(tools)
    for tool in hosted:
        wire = tool.to_request()
        present = next((t for t in out if t.get("type") == "code_interpreter"), None)
        if tool.kind != "code_interpreter" or present is None:
            out.append(wire)
            continue
        mine, theirs = wire["container"], present.get("container")
        if not isinstance(mine, dict) or not isinstance(theirs, dict):
            raise ConfigError(
                "hosted_tools (code_interpreter)",
                "files attached for code_interpreter need `container: auto`, not an existing container id",
            )
        ids = list(dict.fromkeys([*(mine.get("file_ids") or []), *(theirs.get("file_ids") or [])]))
        present["container"] = {**theirs, **mine, **({"file_ids": ids} if ids else {})}
    return out


def hosted_records(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """What the server's own tools did in one response, in output order."""
    items = [i for i in obj.get("output") or [] if isinstance(i, dict)]
    written = _container_files(items)
    records: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "web_search_call":
            records.append(_web_search(item))
        elif kind == "code_interpreter_call":
            container = item.get("container_id")
            records.append(
                {
                    "type": "code_interpreter",
                    "id": item.get("id"),
                    "status": item.get("status"),
                    "container_id": container,
                    "code": item.get("code"),
                    "outputs": [_ci_output(o) for o in item.get("outputs") or [] if isinstance(o, dict)],
                    "files": [f for f in written if f["container_id"] == container],
                }
            )
        elif kind == "mcp_list_tools":
            records.append(
                {
                    "type": "mcp_list_tools",
                    "id": item.get("id"),
                    "server_label": item.get("server_label"),
                    "tools": [t.get("name") for t in item.get("tools") or [] if isinstance(t, dict)],
                    "error": item.get("error"),
                }
            )
        elif kind in ("mcp_call", "mcp_approval_request"):
            record = {
                "type": kind,
                "id": item.get("id"),
                "server_label": item.get("server_label"),
                "name": item.get("name"),
                "arguments": _arguments(item.get("arguments")),
            }
            if kind == "mcp_call":
                record.update(
                    status=item.get("status"),
                    output=item.get("output"),
                    error=_error_text(item.get("error")),
                    approval_request_id=item.get("approval_request_id"),
                )
            records.append(record)
    return records


def _web_search(item: dict[str, Any]) -> dict[str, Any]:
    raw = item.get("action")
    action: dict[str, Any] = raw if isinstance(raw, dict) else {}
    queries = list(action.get("queries") or ([action["query"]] if action.get("query") else []))
    record: dict[str, Any] = {
        "type": "web_search",
        "id": item.get("id"),
        "status": item.get("status"),
        "action": action.get("type"),
        "queries": queries,
        "sources": [s.get("url") for s in action.get("sources") or [] if isinstance(s, dict) and s.get("url")],
    }
    if action.get("url"):  # open_page / find_in_page
        record["url"] = action["url"]
    return record


def _container_files(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Files code_interpreter wrote, as the answer cites them (``container_file_citation``), once each."""
    files: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.get("type") != "message":
            continue
        for part in item.get("content") or []:
            for note in (part.get("annotations") if isinstance(part, dict) else None) or []:
                if isinstance(note, dict) and note.get("type") == "container_file_citation" and note.get("file_id"):
                    files.setdefault(
                        str(note["file_id"]),
                        {
                            "file_id": note["file_id"],
                            "filename": note.get("filename"),
                            "container_id": note.get("container_id"),
                        },
                    )
    return list(files.values())


def _ci_output(output: dict[str, Any]) -> dict[str, Any]:
    if output.get("type") == "logs":
        return {"type": "logs", "logs": output.get("logs")}
    return {"type": output.get("type"), "url": output.get("url")}


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            return raw
    return raw


def _error_text(error: Any) -> Any:
    if isinstance(error, dict):
        content = error.get("content")
        if isinstance(content, list):  # mcp_tool_execution_error: the tool's own content blocks
            texts = [str(b.get("text")) for b in content if isinstance(b, dict) and b.get("text")]
            if texts:
                return "\n".join(texts)
        return error.get("message") or (content if isinstance(content, str) else None) or error.get("type")
    return error
