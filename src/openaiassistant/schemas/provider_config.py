"""The Keep provider's configuration (a providers.yaml entry's ``authentication:``, Keep's UI form).

This schema is the one description of the fields: the provider checks a configuration against
it when Keep parses a workflow (an unknown field is reported with the known ones), and
``keep/auth_config.py`` builds the auth dataclass Keep's UI reads from it (``x-keep-hint`` and
``x-keep-type`` become the field's ``hint`` and ``type``, an ``enum`` a select's ``options``,
``writeOnly`` a sensitive field). To add a field, add a property here.
"""

from __future__ import annotations

from typing import Any

from .common import ref
from .document import document

__all__ = ["PROVIDER_CONFIG", "PROVIDER_CONFIG_DOCUMENT"]

PROVIDER_CONFIG: dict[str, Any] = {
    "title": "openaiassistant provider configuration",
    "description": "How to reach the server and which assistant answers (Keep's authentication block).",
    "type": "object",
    "required": ["api_key"],
    "additionalProperties": False,
    "properties": {
        "api_key": {
            "description": "API key (OpenAI, Azure OpenAI or a compatible server)",
            "type": "string",
            "writeOnly": True,
        },
        "backend": {
            "description": "Which API runs the assistant",
            "x-keep-hint": (
                "responses: Responses + Conversations (current API); "
                "assistants: Assistants v2 (servers that still offer it); "
                "chat: any /v1/chat/completions server (Ollama, vLLM, llama.cpp, LiteLLM, ...), "
                "the conversation kept in the thread registry (registry_url required)"
            ),
            "enum": ["responses", "assistants", "chat"],
            "default": "responses",
        },
        "model": {
            "description": "Model (responses and chat backends; on Azure the deployment name)",
            "x-keep-hint": "e.g. gpt-4o-mini; Ollama: llama3.1:8b; vLLM: the served model name",
            "type": "string",
        },
        "instructions": {
            "description": "The assistant's instructions (responses and chat backends; sent with every turn)",
            "x-keep-type": "textarea",
            "type": "string",
        },
        "assistant_id": {
            "description": "Assistant id (assistants backend)",
            "x-keep-hint": "asst_...",
            "type": "string",
        },
        "organization": {"description": "OpenAI organization id", "x-keep-hint": "org-...", "type": "string"},
        "project": {"description": "OpenAI project id", "x-keep-hint": "proj_...", "type": "string"},
        "base_url": {
            "description": "Base URL of the API (empty: api.openai.com; Azure: your resource endpoint)",
            "x-keep-hint": "https://api.openai.com/v1, https://NAME.openai.azure.com, http://127.0.0.1:8765/v1",
            "type": "string",
        },
        "azure_endpoint": {
            "description": "Azure OpenAI resource endpoint (selects Azure OpenAI; the model is your deployment name)",
            "x-keep-hint": "https://RESOURCE.openai.azure.com (the v1 endpoint RESOURCE/openai/v1 unless api_version "
            "is dated)",
            "type": "string",
        },
        "api_version": {
            "description": "Azure OpenAI api-version: empty or v1 for the v1 endpoint, or a dated version",
            "x-keep-hint": "e.g. 2025-04-01-preview (setting it with base_url also selects Azure OpenAI)",
            "type": "string",
        },
        "transport": {
            "description": (
                "How a step follows its run: sse (event stream: the answer is seen the moment it is ready) or poll"
            ),
            "x-keep-hint": "poll only behind a proxy that buffers or cuts server-sent events",
            "enum": ["sse", "poll"],
            "default": "sse",
        },
        "capabilities": {
            "description": "Pin what the server takes (default: learned on the first turn, with a one-time fallback)",
            "x-keep-hint": "e.g. conversations=off,stream_background=off (names: conversations, background, "
            "stream_background, truncation; chat: json_schema, json_object, stream_usage, max_tokens)",
            "type": "string",
        },
        "default_timeout": {
            **ref("seconds"),
            "x-keep-description": "Default deadline of one turn, in seconds (a step's timeout wins)",
            "default": "120",
        },
        "vector_store_ids": {
            "description": "vector store ids: a list, or comma-separated text",
            "x-keep-description": "Knowledge: vector stores (e.g. of runbooks) the assistant searches with file_search",
            "x-keep-hint": "comma-separated ids, e.g. vs_abc123,vs_def456 (a step's vector_store_ids wins)",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
        "files_dir": {
            "description": "Local files: the folder on the Keep server that steps may attach and sync from",
            "x-keep-hint": "attachments, images and knowledge_sync paths resolve inside it (unset: no local files)",
            "type": "string",
        },
        "retention_days": {
            **ref("positive_number"),
            "x-keep-description": "Retention: delete conversations idle for longer than this many days "
            "(needs registry_url)",
            "x-keep-hint": "e.g. 30; checked as conversations are recorded, on the server and in the registry",
        },
        "registry_url": {
            "description": (
                "Thread registry: record every conversation (tenant, workflow, alert fingerprint); "
                "required with backend chat, whose conversations are kept there"
            ),
            "x-keep-hint": (
                "SQLAlchemy URL, e.g. sqlite:////var/lib/keep/openaiassistant-threads.db or postgresql+psycopg://..."
            ),
            "type": "string",
            "writeOnly": True,
        },
        "prices": {
            "description": "per-model prices in USD per 1M tokens: {model: {input, cached_input, output}} "
            "(a mapping, or its JSON text)",
            "x-keep-description": "Per-model prices (USD per 1M tokens) for cost_usd and max_cost_usd",
            "x-keep-hint": '{"my-deployment": {"input": 2.5, "cached_input": 1.25, "output": 10}}',
            "x-keep-type": "textarea",
            "anyOf": [{"type": "string"}, {"type": "object"}],
        },
        "coordination_url": {
            "description": (
                "Share rate limits, back-off after 429s, conversation locks and turn slots across Keep workers "
                "and pods (empty: each process on its own)"
            ),
            "x-keep-hint": "redis://redis:6379/0 (the Redis Keep runs will do) or postgresql+psycopg://...",
            "type": "string",
            "writeOnly": True,
        },
        "rpm": {
            **ref("positive_integer"),
            "x-keep-description": "Requests per minute of the API key (empty: what the server's headers say)",
        },
        "tpm": {
            **ref("positive_integer"),
            "x-keep-description": "Tokens per minute of the API key (empty: what the server's headers say)",
        },
        "max_concurrent_turns": {
            **ref("positive_integer"),
            "x-keep-description": "Turns running at once for this API key, across workers (empty: no bound)",
        },
    },
}

PROVIDER_CONFIG_DOCUMENT = document("provider-config", PROVIDER_CONFIG)
