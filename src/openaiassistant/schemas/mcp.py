"""An ``mcp:`` entry: an MCP server whose tools the assistant may call (tools/mcp/spec.py).

What a schema cannot say is checked when the entry is loaded (``McpServerSpec.from_dict``, which
checks :data:`MCP_SERVER_DOCUMENT` first): how a command line splits, a URL's host and that it
carries no credentials, the ``${env:...}``/``${secret:...}`` references, which programs a Keep
step may start (keep/mcp_functions.py).
"""

from __future__ import annotations

from typing import Any

from .common import END, NOT_BLANK, closed_object, ref
from .document import document

__all__ = ["HTTP_SERVER", "MCP_ENTRY", "MCP_SERVER_DOCUMENT", "STDIO_SERVER"]

_WORD = {"type": "string", "minLength": 1}
_NAMES = {
    "description": "a list of the server's tool names (or comma-separated text)",
    "anyOf": [{"type": "string"}, {"type": "array", "items": {**_WORD, "description": "a tool name (not empty)"}}],
}
_TEXT_MAP = {"type": "object", "additionalProperties": {"type": ["string", "number"]}}
STDIO_SERVER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "command": {
            "description": "the program and its arguments (a list of strings, or one command line)",
            "anyOf": [
                {"type": "string", "pattern": NOT_BLANK},
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {**_WORD, "description": "a word of the command (not empty)"},
                },
            ],
        },
        "args": {"description": "more arguments", "type": "array", "items": {"type": ["string", "number"]}},
        "env": {**_TEXT_MAP, "description": "environment of the server (${env:NAME}, ${secret:NAME} allowed)"},
        "cwd": {"description": "the directory it runs in", "type": "string"},
    },
}
HTTP_SERVER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "url": {"description": "the server's MCP endpoint, an http(s) URL", "type": "string"},
        "headers": {**_TEXT_MAP, "description": "request headers (${env:NAME}, ${secret:NAME} allowed)"},
    },
}
MCP_ENTRY: dict[str, Any] = closed_object(
    title="MCP server",
    description="An MCP server (stdio or Streamable HTTP); its tools are listed from it.",
    required=["mcp"],
    properties={
        "mcp": {
            "description": "a command line or an http(s) URL (text), {command, args, env, cwd} for a stdio server, "
            "or {url, headers} for a Streamable HTTP server",
            "oneOf": [
                {
                    "title": "a URL or a command line (text)",
                    "if": {"type": "string"},
                    "then": {"type": "string", "pattern": NOT_BLANK},
                    "else": False,
                },
                {
                    "title": "a stdio server (with command:)",
                    "if": {"type": "object", "required": ["command"]},
                    "then": STDIO_SERVER,
                    "else": False,
                },
                {
                    "title": "a Streamable HTTP server (with url:)",
                    "if": {"type": "object", "required": ["url"], "not": {"required": ["command"]}},
                    "then": HTTP_SERVER,
                    "else": False,
                },
            ],
        },
        "allow": _NAMES,
        "name": {"description": "a label for messages (not blank)", "type": "string", "pattern": NOT_BLANK},
        "prefix": {
            "description": "up to 32 letters, digits, '_' or '-' (put before every tool name)",
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{0,32}" + END,
        },
        "timeout": ref("seconds"),
        "startup_timeout": ref("seconds"),
        "approval": {
            "description": "required, never (the default), or a list of the tools that wait for a person's approval",
            "anyOf": [
                {"enum": ["required", "never", "none", True, False]},
                {"type": "array", "items": {"type": "string"}},
            ],
        },
    },
)

MCP_SERVER_DOCUMENT = document("mcp-server", MCP_ENTRY)
