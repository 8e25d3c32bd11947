"""An ``mcp:`` entry: an MCP server whose tools the assistant may call (tools/mcp/spec.py).

What a schema cannot say is checked when the entry is loaded: a URL without credentials, the
``${env:...}``/``${secret:...}`` references, which programs a Keep step may start.
"""

from __future__ import annotations

from typing import Any

from .common import closed_object, ref

_NAMES = {
    "description": "a list of the server's tool names (or comma-separated text)",
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string", "minLength": 1}}],
}
_TEXT_MAP = {"type": "object", "additionalProperties": {"type": ["string", "number"]}}
STDIO_SERVER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "command": {
            "description": "the program and its arguments (a list of strings, or one command line)",
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
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
            "oneOf": [
                {
                    "title": "a URL or a command line (text)",
                    "if": {"type": "string"},
                    "then": {"type": "string", "minLength": 1},
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
            ]
        },
        "allow": _NAMES,
        "name": {"description": "a label for messages", "type": "string", "minLength": 1},
        "prefix": {
            "description": "up to 32 letters, digits, '_' or '-' (put before every tool name)",
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{0,32}$",
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
