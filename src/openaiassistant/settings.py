"""Connection settings and the assistant definition: plain dataclasses, validated at the edge.

``ConnectionSettings`` says how to reach the server (OpenAI, Azure OpenAI, any compatible server
such as the local emulator). ``AssistantSpec`` says which assistant answers: on the Responses
backend the assistant *is* this configuration (model, instructions, default run parameters, sent
with every call); on the Assistants backend it names a stored assistant by ``assistant_id``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openaiassistant.errors import ConfigError, register_secret

BACKENDS = ("responses", "assistants")
TRANSPORTS = ("sse", "poll")


@dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """How to reach the server. Frozen and hashable: one SDK client is cached per value.

    ``api_key`` falls back to ``OPENAI_API_KEY`` (``AZURE_OPENAI_API_KEY`` for Azure). Setting
    ``azure_endpoint`` selects Azure OpenAI (``api_version`` required; ``azure_deployment``
    optional, it is the model name there). ``max_retries`` counts our own retries of 429 / 5xx /
    dropped connections (the SDK's retries are switched off so that ``insufficient_quota`` is
    never retried); ``request_timeout`` bounds one HTTP request, the turn's ``timeout`` bounds
    the whole turn.

    ``transport`` is how a turn follows its run: ``sse`` (default) reads the server-sent event
    stream, for every turn, also one whose caller does not want the text as it comes (the run
    is still seen the moment it ends, in one request); ``poll`` polls the run instead, for
    proxies that buffer or cut event streams (a streamed turn then gets its text at the end).
    """

    api_key: str | None = field(default=None, repr=False)
    organization: str | None = None
    project: str | None = None
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    azure_deployment: str | None = None
    max_retries: int = 5
    request_timeout: float = 60.0
    transport: str = "sse"

    @property
    def is_azure(self) -> bool:
        return bool(self.azure_endpoint)

    def resolved_api_key(self) -> str:
        """The key to use (explicit, else the environment); ConfigError when there is none."""
        env = "AZURE_OPENAI_API_KEY" if self.is_azure else "OPENAI_API_KEY"
        key = self.api_key or os.environ.get(env) or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ConfigError("api_key", f"no API key given and {env} is not set")
        register_secret(key)
        return key

    def validate(self) -> None:
        """Check the settings without any network call."""
        self.resolved_api_key()
        if self.is_azure and not self.api_version:
            raise ConfigError("api_version", "required with azure_endpoint (e.g. 2024-10-21)")
        if self.is_azure and self.base_url:
            raise ConfigError("base_url", "give either base_url or azure_endpoint, not both")
        for name in ("base_url", "azure_endpoint"):
            url = getattr(self, name)
            if url and not str(url).startswith(("http://", "https://")):
                raise ConfigError(name, "must start with http:// or https://")
        if (
            not isinstance(self.max_retries, int)
            or isinstance(self.max_retries, bool)
            or not 0 <= self.max_retries <= 10
        ):
            raise ConfigError("max_retries", "must be an integer from 0 to 10")
        if not isinstance(self.request_timeout, (int, float)) or self.request_timeout <= 0:
            raise ConfigError("request_timeout", "must be a positive number of seconds")
        if self.transport not in TRANSPORTS:
            raise ConfigError("transport", f"{self.transport!r} is not one of {', '.join(TRANSPORTS)}")


@dataclass(frozen=True, kw_only=True)
class AssistantSpec:
    """Which assistant answers, and its defaults.

    ``params`` holds default run controls (same names as ``run_turn(params=...)``; per-turn
    values win). ``vector_store_ids`` gives the assistant a ``file_search`` tool over those
    stores (Responses: a ``file_search`` tool per call; Assistants: the new thread's
    ``tool_resources``). ``background`` (Responses only) starts responses in background mode so
    that they can be polled and cancelled on the server; switch it off for compatible servers
    that lack background mode (the deadline then cannot cancel on the server).
    """

    backend: str = "responses"
    model: str | None = None
    instructions: str | None = None
    assistant_id: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    vector_store_ids: tuple[str, ...] = ()
    background: bool = True
    # per-model prices (USD per 1M tokens) over the built-in table: {model: {input, cached_input,
    # output}} (see observability/prices.py)
    prices: Mapping[str, Any] = field(default_factory=dict)

    def validate(self, connection: ConnectionSettings | None = None) -> None:
        """Check the spec without any network call."""
        if self.backend not in BACKENDS:
            raise ConfigError("backend", f"{self.backend!r} is not one of {', '.join(BACKENDS)}")
        has_deployment = bool(connection and connection.azure_deployment)
        if self.backend == "responses" and not (self.model or self.params.get("model") or has_deployment):
            raise ConfigError("model", "required on the responses backend (the assistant is its configuration)")
        if self.backend == "assistants" and not self.assistant_id:
            raise ConfigError("assistant_id", "required on the assistants backend")
        if self.instructions is not None and not isinstance(self.instructions, str):
            raise ConfigError("instructions", "must be a string")
        if self.prices:
            from openaiassistant.observability.prices import parse_prices

            parse_prices(self.prices)
        if isinstance(self.vector_store_ids, str) or not all(isinstance(v, str) and v for v in self.vector_store_ids):
            raise ConfigError("vector_store_ids", "must be a list of vector store ids")
