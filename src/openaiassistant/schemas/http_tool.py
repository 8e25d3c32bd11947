"""A declarative HTTP tool: an entry of a tools file (``ask --tools``) and of a step's ``functions:``.

What JSON Schema cannot say is checked when the tool is compiled (:mod:`openaiassistant.tools.
http`): no placeholder in the scheme, host or port; placeholders declared in ``parameters``
(path placeholders required); no body with GET/HEAD; ``${env:...}``/``${secret:...}`` only in
headers and body.
"""

from __future__ import annotations

from typing import Any

from .common import TOOL_FIELDS, closed_object, ref
from .document import document

__all__ = ["HTTP_TOOL", "HTTP_TOOL_DOCUMENT", "METHODS", "PARAMETERS_DOCUMENT"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")

HTTP_TOOL: dict[str, Any] = closed_object(
    title="HTTP tool",
    description="A tool the model calls; the call is one HTTP request to a fixed origin.",
    required=["name", "url"],
    properties={
        **TOOL_FIELDS,
        "method": {
            "description": "the HTTP method",
            "enum": [m for method in METHODS for m in (method, method.lower())],
            "default": "GET",
        },
        "url": {
            "description": (
                "an absolute http(s) URL template such as https://host/api/{alert_id}: "
                "{name} placeholders only in the path and query"
            ),
            "type": "string",
        },
        "query": {
            "description": 'query parameters: names to templates ("{limit}") or fixed values',
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "headers": {
            "description": "header names to values; ${env:NAME} and ${secret:NAME} allowed, no placeholders",
            "type": "object",
            "propertyNames": {
                "description": "a header name (no spaces, tabs, line breaks or colons)",
                "pattern": "^[^\\s:]+$",
            },
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "body": {**ref("json"), "x-description": "a JSON body template (not with GET or HEAD)"},
        "timeout": {**ref("seconds"), "default": 10},
        "max_response_bytes": {**ref("positive_integer"), "default": 1_000_000},
        "strict": {**ref("flag"), "default": False},
        "follow_redirects": {**ref("flag"), "default": True},
        "max_redirects": {**ref("count"), "default": 3},
        "approval": {
            "description": "required or never: whether a call waits for a person's approval "
            "(default: calls other than GET and HEAD do)",
            "enum": ["required", "never", "none", True, False],
        },
    },
)

HTTP_TOOL_DOCUMENT = document("http-tool", HTTP_TOOL)
# a tool's parameters given as JSON text are checked once decoded (not published on their own)
PARAMETERS_DOCUMENT = document("tool-parameters", ref("parameters"))
