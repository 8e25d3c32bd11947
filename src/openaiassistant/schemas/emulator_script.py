"""The emulator's script (``openaiassistant emulator --script FILE``, ``load_script``).

The format is explained in docs/emulator.md; this is its one description, checked when a script
is loaded (a regex that does not compile is the one problem left to the loader).
"""

from __future__ import annotations

from typing import Any

from .document import document

__all__ = [
    "EMULATOR_SCRIPT_DOCUMENT",
    "FAULT",
    "FAULT_KINDS",
    "LATENCY",
    "RULE",
    "RULE_PROPERTIES",
    "STEP",
    "STEP_PROPERTIES",
    "TOOL_CALL",
]

_MS = {"description": "milliseconds (a number >= 0)", "type": "number", "minimum": 0}
_REGEX = {"description": "a regular expression (Python syntax), searched in the text", "type": "string"}
LATENCY: dict[str, Any] = {
    "description": "timing in milliseconds; 0 = instant",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "first_token_ms": _MS,
        "tokens_per_second": {
            "description": "streamed tokens per second (0: all at once)",
            "type": "number",
            "minimum": 0,
        },
        "run_ms": _MS,
        "queue_ms": _MS,
    },
}
FAULT_KINDS = (
    "http_error",
    "insufficient_quota",
    "drop_connection",
    "stream_cut",
    "stream_error",
    "run_failed",
    "run_expired",
    "run_incomplete",
    "stuck",
    "ambiguous_error",
    "ambiguous_drop",
)
FAULT: dict[str, Any] = {
    "title": "fault",
    "type": "object",
    "required": ["kind"],
    "additionalProperties": False,
    "properties": {
        "kind": {"description": "what goes wrong", "enum": list(FAULT_KINDS)},
        "times": {"description": "how many requests it fires on", "type": "integer", "minimum": 1, "default": 1},
        "method": {"description": "only requests of this HTTP method", "type": "string"},
        "path": {**_REGEX, "description": "only requests whose path this regex is found in"},
        "body": {**_REGEX, "description": "only requests whose raw body this regex is found in"},
        "skip": {"description": "matching requests let through first", "type": "integer", "minimum": 0},
        "status": {"description": "HTTP status (http_error)", "type": "integer", "minimum": 100, "maximum": 599},
        "code": {"description": "the error code", "type": "string"},
        "message": {"description": "the error message", "type": "string"},
        "retry_after": {"description": "retry-after header, seconds", "type": "number", "minimum": 0},
        "retry_after_ms": {"description": "retry-after-ms header", "type": "number", "minimum": 0},
        "after_events": {"description": "stream events before the cut or error", "type": "integer", "minimum": 0},
        "reason": {"description": "incomplete_details.reason (run_incomplete)", "type": "string"},
    },
}
TOOL_CALL: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"description": "the function the model calls", "type": "string"},
        "arguments": {"description": "its arguments; strings may hold {{ templates }}", "type": "object"},
        "raw_arguments": {
            "description": "the arguments' text as sent, instead of arguments (invalid JSON, deeply nested...)",
            "type": "string",
        },
    },
}
# A step: what the model does at one point of a turn (a rule is a step with a way to match).
STEP_PROPERTIES: dict[str, Any] = {
    "reply": {"description": "the answer text ({{ templates }} allowed)", "type": ["string", "number", "boolean"]},
    "json": {"description": "an answer sent as compact JSON text"},
    "tool_calls": {"description": "tool calls of one parallel round", "type": "array", "items": TOOL_CALL},
    "then": {
        "description": "a step, or a list of rules matched against the tool outputs' JSON (what follows them)",
        "anyOf": [{"$ref": "#/$defs/step"}, {"type": "array", "items": {"$ref": "#/$defs/rule"}}],
    },
    "fault": {"$ref": "#/$defs/fault"},
    "latency": {"$ref": "#/$defs/latency"},
    "file_search": {
        "description": "true, or {match: regex} (search the offered vector stores and cite)",
        "anyOf": [
            {"type": "boolean"},
            {"type": "object", "additionalProperties": False, "properties": {"match": _REGEX}},
        ],
    },
    "code_interpreter": {
        "description": "true, or {code, files: [{name, content}]}: run code in the container and write files",
        "anyOf": [
            {"type": "boolean"},
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string"},
                    "files": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}, "content": {"type": "string"}},
                        },
                    },
                },
            },
        ],
    },
    "reasoning_tokens": {
        "description": "tokens the model reasons for this step: usage's reasoning_tokens, counted in the output",
        "type": "integer",
        "minimum": 0,
        "default": 0,
    },
    "web_search": {
        "description": "true, or {query, sources: [{url, title}]}: a scripted web_search_call",
        "anyOf": [{"type": "boolean"}, {"type": "object"}],
    },
    "mcp": {
        "description": "{tool, arguments, server_label}: call the request's remote MCP server",
        "type": "object",
        "required": ["tool"],
    },
}
RULE_PROPERTIES: dict[str, Any] = {
    "name": {"description": "the rule's name (in the request log)", "type": "string"},
    "match": {**_REGEX, "description": "a regex searched in the latest user input"},
    "match_tool_outputs": {**_REGEX, "description": "a regex searched in the tool outputs' JSON"},
    "default": {"description": "the rule used when no other matches", "type": "boolean"},
}
STEP: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": STEP_PROPERTIES}
RULE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {**RULE_PROPERTIES, **STEP_PROPERTIES},
}

EMULATOR_SCRIPT_DOCUMENT = document(
    "emulator-script",
    {
        "title": "emulator script",
        "description": "The scripted model of the local OpenAI-compatible emulator (docs/emulator.md).",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "latency": {"$ref": "#/$defs/latency"},
            "poll_after_ms": {
                "description": "the openai-poll-after-ms header (null: never sent)",
                "type": ["integer", "null"],
                "minimum": 0,
                "default": 20,
            },
            "poll_hint_apis": {
                "description": "which APIs send the poll hint",
                "type": "array",
                "items": {"enum": ["assistants", "responses"]},
                "default": ["assistants"],
            },
            "context_window": {"description": "tokens", "type": "integer", "minimum": 1, "default": 100000},
            "indexing_ms": {**_MS, "default": 0},
            "indexing_fails": {**_REGEX, "description": "a regex on file names whose indexing fails (invalid_file)"},
            "run_expires_ms": {**_MS, "default": 600000},
            "models": {
                "description": "a strict model catalogue (default: every model id exists)",
                "type": ["array", "null"],
                "items": {"type": "string"},
            },
            "rules": {"type": ["array", "null"], "items": {"$ref": "#/$defs/rule"}},
            "faults": {"type": ["array", "null"], "items": {"$ref": "#/$defs/fault"}},
        },
    },
    defs={"latency": LATENCY, "fault": FAULT, "step": STEP, "rule": RULE},
)
