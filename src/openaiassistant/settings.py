"""Connection settings and the assistant definition: plain dataclasses, validated at the edge.

``ConnectionSettings`` says how to reach the server (OpenAI, Azure OpenAI, any compatible server
such as the local emulator). ``AssistantSpec`` says which assistant answers: on the Responses
backend the assistant *is* this configuration (model, instructions, default run parameters, sent
with every call); on the Assistants backend it names a stored assistant by ``assistant_id``; on
the chat backend (any ``/v1/chat/completions`` server) it is sent with every request too, and the
conversation itself is kept in the thread registry's database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from openaiassistant.errors import ConfigError
from openaiassistant.redaction import register_secret
from openaiassistant.values import parse_count, parse_seconds

__all__ = ["BACKENDS", "COORDINATION_SCHEMES", "TRANSPORTS", "AssistantSpec", "ConnectionSettings", "is_azure_url"]

BACKENDS = ("responses", "assistants", "chat")
_API_VERSION = re.compile(r"^(v1|latest|\d{4}-\d{2}-\d{2}(-preview)?)$", re.IGNORECASE)
COORDINATION_SCHEMES = (
    "redis",
    "rediss",
    "unix",
    "postgres",
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
)
TRANSPORTS = ("sse", "poll")


_AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def is_azure_url(url: str | None) -> bool:
    """Whether a URL is an Azure OpenAI resource's (its key then goes in ``api-key``)."""
    host = str(url or "").split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith(_AZURE_HOSTS)


@dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """How to reach the server. Frozen and hashable: one SDK client is cached per value.

    ``api_key`` falls back to ``OPENAI_API_KEY`` (``AZURE_OPENAI_API_KEY`` for Azure). Setting
    ``azure_endpoint`` (``https://RESOURCE.openai.azure.com``) selects Azure OpenAI: without
    ``api_version`` (or with ``v1``) the v1 endpoint ``RESOURCE/openai/v1/``; with a dated
    ``api_version`` (``2025-04-01-preview``) the dated API. The key goes in Azure's ``api-key``
    header; a deployment name is the model (``azure_deployment`` names it when the spec has no
    model). ``max_retries`` counts our own retries of 429 / 5xx /
    dropped connections (the SDK's retries are switched off so that ``insufficient_quota`` is
    never retried); ``request_timeout`` bounds one HTTP request, the turn's ``timeout`` bounds
    the whole turn.

    ``transport`` is how a turn follows its run: ``sse`` (default) reads the server-sent event
    stream, for every turn, also one whose caller does not want the text as it comes (the run
    is still seen the moment it ends, in one request); ``poll`` polls the run instead, for
    proxies that buffer or cut event streams (a streamed turn then gets its text at the end).

    ``capabilities`` pins what the server takes, as ``NAME=on|off`` pairs separated by commas
    (``conversations``, ``background``, ``stream_background``, ``truncation``; see
    :mod:`openaiassistant.backends.capabilities`). Unpinned modes are tried and, when the
    server refuses one, learned for the life of the process with a one-time fallback.

    Coordination across workers (see ``docs/coordination.md``): ``coordination_url``
    (``redis://...`` or a PostgreSQL URL; ``None``: this process only) holds the pool's shared
    rate limiter, its shared back-off after a 429, the conversation locks and the turn slots.
    The pool is ``coordination_pool``, else one per server and API key. ``rpm`` / ``tpm`` are
    the pool's requests and tokens per minute (``None``: what the server's
    ``x-ratelimit-limit-*`` headers say); ``max_concurrent_turns`` bounds the turns running at
    once in the pool (``None``: no bound).
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
    capabilities: str | None = None
    coordination_url: str | None = field(default=None, repr=False)
    coordination_pool: str | None = None
    rpm: int | None = None
    tpm: int | None = None
    max_concurrent_turns: int | None = None

    @property
    def is_azure(self) -> bool:
        return bool(self.azure_endpoint)

    @property
    def azure_v1(self) -> bool:
        """Azure's v1 endpoint (no dated api-version)."""
        return self.is_azure and (self.api_version or "v1").lower() in ("v1", "latest")

    def azure_v1_url(self) -> str:
        """The v1 endpoint's base URL: ``ENDPOINT/openai/v1``."""
        endpoint = str(self.azure_endpoint or "").rstrip("/")
        if endpoint.endswith("/openai/v1"):
            return endpoint
        return endpoint.removesuffix("/openai") + "/openai/v1"

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
        if self.api_version and not _API_VERSION.match(self.api_version):
            raise ConfigError(
                "api_version", f"expected v1 or a dated version such as 2025-04-01-preview, got {self.api_version!r}"
            )
        if self.api_version and not self.is_azure:
            raise ConfigError("api_version", "is an Azure OpenAI setting: give azure_endpoint too")
        if self.is_azure and self.base_url:
            raise ConfigError("base_url", "give either base_url or azure_endpoint, not both")
        for name in ("base_url", "azure_endpoint"):
            url = getattr(self, name)
            if url and not str(url).startswith(("http://", "https://")):
                raise ConfigError(name, "must start with http:// or https://")
        parse_count("max_retries", self.max_retries, low=0, high=10, text_ok=False)
        parse_seconds("request_timeout", self.request_timeout, text_ok=False)
        if self.transport not in TRANSPORTS:
            raise ConfigError("transport", f"{self.transport!r} is not one of {', '.join(TRANSPORTS)}")
        from openaiassistant.backends.capabilities import parse

        parse(self.capabilities)
        self._validate_coordination()

    def _validate_coordination(self) -> None:
        url = self.coordination_url
        if url is not None:
            if not isinstance(url, str) or url.partition("://")[0] not in COORDINATION_SCHEMES:
                raise ConfigError(
                    "coordination_url",
                    "expected redis://HOST:PORT/DB, rediss://..., unix://... or a PostgreSQL URL (postgresql://...)",
                )
            register_secret(urlsplit(url).password)
        for name in ("rpm", "tpm", "max_concurrent_turns"):
            value = getattr(self, name)
            if value is not None:  # kept as given: an int (the rate window counts list items with it)
                parse_count(name, value, low=1, high=10**12, text_ok=False, int_only=True)
        if self.coordination_pool is not None and (
            not isinstance(self.coordination_pool, str) or not 0 < len(self.coordination_pool) <= 100
        ):
            raise ConfigError("coordination_pool", "must be a name of 1 to 100 characters")


@dataclass(frozen=True, kw_only=True)
class AssistantSpec:
    """Which assistant answers, and its defaults.

    ``params`` holds default run controls (same names as ``run_turn(params=...)``; per-turn
    values win). ``vector_store_ids`` gives the assistant a ``file_search`` tool over those
    stores (Responses: a ``file_search`` tool per call; Assistants: the new thread's
    ``tool_resources``). ``background`` (Responses only) starts responses in background mode so
    that they can be polled and cancelled on the server; switch it off for compatible servers
    that lack background mode (the deadline then cannot cancel on the server).
    ``spare_threads`` (off by default): a process that starts many conversations (a Keep worker)
    has the next one made while a turn runs, so a turn starting one sends its message at once
    (see backends/spare.py); off: each such turn makes its conversation first.
    """

    backend: str = "responses"
    model: str | None = None
    instructions: str | None = None
    assistant_id: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    vector_store_ids: tuple[str, ...] = ()
    background: bool = True
    spare_threads: bool = False
    # per-model prices (USD per 1M tokens) over the built-in table: {model: {input, cached_input,
    # output}} (see observability/prices.py)
    prices: Mapping[str, Any] = field(default_factory=dict)
    # server-run tools (tools/hosted.py): entries such as {"web_search": {}}, or HostedTool records
    hosted_tools: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        from openaiassistant.tools.hosted import parse_hosted_tools

        object.__setattr__(self, "hosted_tools", parse_hosted_tools(self.hosted_tools))

    def validate(self, connection: ConnectionSettings | None = None) -> None:
        """Check the spec without any network call."""
        if self.backend not in BACKENDS:
            raise ConfigError("backend", f"{self.backend!r} is not one of {', '.join(BACKENDS)}")
        has_deployment = bool(connection and connection.azure_deployment)
        if self.backend in ("responses", "chat") and not (self.model or self.params.get("model") or has_deployment):
            raise ConfigError("model", f"required on the {self.backend} backend (the assistant is its configuration)")
        if self.backend == "assistants" and not self.assistant_id:
            raise ConfigError("assistant_id", "required on the assistants backend")
        if self.instructions is not None and not isinstance(self.instructions, str):
            raise ConfigError("instructions", "must be a string")
        if self.prices:
            from openaiassistant.observability.prices import parse_prices

            parse_prices(self.prices)
        if isinstance(self.vector_store_ids, str) or not all(isinstance(v, str) and v for v in self.vector_store_ids):
            raise ConfigError("vector_store_ids", "must be a list of vector store ids")
        if self.backend == "chat" and self.vector_store_ids:
            raise ConfigError(
                "vector_store_ids",
                "file_search needs a server with vector stores (responses or assistants backend); "
                "the chat backend has none",
            )
        from openaiassistant.tools.hosted import check_backend

        check_backend(self.hosted_tools, backend=self.backend)
