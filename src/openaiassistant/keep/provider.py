"""The Keep provider: a workflow step of ``type: openaiassistant`` runs one assistant turn.

Keep finds this class as ``keep.providers.openaiassistant_provider.openaiassistant_provider.
OpenaiassistantProvider`` (the shim ``openaiassistant keep install`` writes re-exports it).
Keep imports every provider module to list providers, so this module imports only Keep and our
light settings/error modules; the engine (and the openai SDK) is imported on the first turn.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import threading
from typing import Any

from keep.contextmanager.contextmanager import ContextManager
from keep.exceptions.provider_exception import ProviderException
from keep.providers.base.base_provider import BaseProvider
from keep.providers.models.provider_config import ProviderConfig, ProviderScope

from openaiassistant.errors import (
    AssistantError,
    AuthenticationError,
    ConfigError,
    NotFoundError,
    QuotaExceededError,
    RegistryError,
    ServerUnavailableError,
)
from openaiassistant.keep.auth_config import auth_config_class
from openaiassistant.redaction import redact
from openaiassistant.schemas.check import check, given
from openaiassistant.schemas.provider_config import PROVIDER_CONFIG, PROVIDER_CONFIG_DOCUMENT
from openaiassistant.settings import AssistantSpec, ConnectionSettings, is_azure_url
from openaiassistant.values import parse_count, positive_seconds

__all__ = ["OpenaiassistantProvider", "OpenaiassistantProviderAuthConfig"]

# One thread registry (and its connection pool) per URL per process, shared by every step.
_REGISTRIES: dict[str, Any] = {}
_REGISTRIES_LOCK = threading.Lock()


# The fields are described once, as a JSON Schema (schemas/provider_config.py, published as
# docs/schemas/provider-config.schema.json): add a field there, not here.
OpenaiassistantProviderAuthConfig = auth_config_class(
    PROVIDER_CONFIG,
    name="OpenaiassistantProviderAuthConfig",
    module=__name__,
    doc="How to reach the server and which assistant answers.",
)


class OpenaiassistantProvider(BaseProvider):
    """Ask an OpenAI assistant (Responses + Conversations, or Assistants v2) and use its answer.

    A step sends ``prompt`` to the assistant, continuing ``thread_id`` when given, and returns
    ``response`` (parsed JSON when the answer is JSON), ``text``, ``response_json``, ``status``,
    ``thread_id``, ``run_id``/``response_id``, ``messages``, ``tool_calls``, ``citations`` and
    ``usage``. ``functions`` gives the assistant HTTP tools and tools that query other providers
    of this tenant.
    """

    PROVIDER_DISPLAY_NAME = "OpenAI Assistant"
    PROVIDER_CATEGORY = ["AI"]
    PROVIDER_TAGS = ["data"]
    PROVIDER_SCOPES = [
        ProviderScope(
            name="authenticated",
            description="The API key is accepted by the server",
            mandatory=True,
            alias="API key works",
        ),
        ProviderScope(
            name="assistant_available",
            description="The assistant (assistants backend) or the model (responses backend) exists",
            mandatory=True,
            alias="Assistant or model exists",
        ),
    ]

    def __init__(self, context_manager: ContextManager, provider_id: str, config: ProviderConfig):
        super().__init__(context_manager, provider_id, config)

    # -- Keep's provider contract -------------------------------------------------------------

    def validate_config(self):
        """Check the configuration without any network call (Keep runs this when parsing)."""
        try:
            authentication = _configured(self.config.authentication)
            check(authentication, PROVIDER_CONFIG_DOCUMENT, where="authentication")
            self.authentication_config = OpenaiassistantProviderAuthConfig(**authentication)
            self._connection = self._connection_settings()
            self._spec = self._assistant_spec()
            self._connection.validate()
            self._spec.validate(self._connection)
            self._default_timeout = positive_seconds("default_timeout", self.authentication_config.default_timeout)
            _check_registry_url(self.authentication_config.registry_url)
            self._files_dir, self._retention = _content_settings(self.authentication_config)
            if self._spec.backend == "chat" and not self.authentication_config.registry_url:
                raise ConfigError(
                    "registry_url",
                    "required with backend chat: the conversation is kept in the thread registry's database "
                    "(e.g. sqlite:////var/lib/keep/openaiassistant-threads.db or postgresql+psycopg://...)",
                )
        except AssistantError as err:
            raise ProviderException(redact(f"OpenAI Assistant provider {self.provider_id}: {err}")) from None

    def validate_scopes(self) -> dict[str, bool | str]:
        """Network check at install time: the key works, the assistant or model exists.

        Each kind of failure gets its own message: a rejected key, a missing assistant/model,
        a used-up quota (the key works), a configuration problem, an unreachable server.
        """
        from openaiassistant.assistant import Assistant

        try:
            # the chat backend keeps its conversations in the registry: it needs it to exist
            registry = self._registry() if self._spec.backend == "chat" else None
            Assistant(connection=self._connection, spec=self._spec, tools=None, registry=registry).validate()
        except AssistantError as err:
            return self._scope_failure(err)
        except Exception as err:  # never let an install crash on an unexpected error; say what it was
            message = redact(f"Could not check: {type(err).__name__}: {err}")
            return {"authenticated": message, "assistant_available": message}
        return {"authenticated": True, "assistant_available": True}

    def _scope_failure(self, err: AssistantError) -> dict[str, bool | str]:
        """The scopes' answers for one failed check (messages are redacted by the error tree)."""
        what = (
            f"assistant {self._spec.assistant_id}"
            if self._spec.backend == "assistants"
            else f"model {self._spec.model}"
        )
        if isinstance(err, AuthenticationError):
            message = f"The server rejected the API key ({err}); check api_key, organization and project"
            return {"authenticated": message, "assistant_available": "not checked: the API key was rejected"}
        # the engine reports a missing assistant/model as a ConfigError naming assistant_id/model
        if isinstance(err, NotFoundError) or (
            isinstance(err, ConfigError) and err.parameter in ("model", "assistant_id")
        ):
            return {
                "authenticated": True,
                "assistant_available": f"{what} was not found ({err}); check the id/name and the backend",
            }
        if isinstance(err, QuotaExceededError):
            return {
                "authenticated": True,
                "assistant_available": (
                    f"not checked: the API key works but its quota is used up ({err}); check the plan and billing"
                ),
            }
        if isinstance(err, ConfigError):
            message = f"The configuration is not usable: {err}"
            return {"authenticated": message, "assistant_available": message}
        if isinstance(err, ServerUnavailableError):
            message = f"Could not reach the server at {self._connection.base_url or 'the default URL'}: {err}"
            return {"authenticated": message, "assistant_available": message}
        message = f"Could not check: {type(err).__name__}: {err}"
        return {"authenticated": message, "assistant_available": message}

    def dispose(self):
        """Nothing to release: SDK clients are shared per connection by the engine."""

    def _query(
        self,
        prompt: str = "",
        thread_id: str | None = None,
        additional_instructions: str | None = None,
        instructions: str | None = None,
        model: str | None = None,
        temperature: str | None = None,
        top_p: str | None = None,
        max_prompt_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        response_format: dict | str | None = None,
        truncation_strategy: dict | str | None = None,
        tool_choice: dict | str | None = None,
        parallel_tool_calls: bool | None = None,
        functions: list | None = None,
        metadata: dict | None = None,
        timeout: str | None = None,
        stream: bool = False,
        on_active_run: str = "wait",
        include_history: bool = False,
        images: list | str | None = None,
        attachments: list | str | None = None,
        vector_store_ids: list | str | None = None,
        approvals: list | str | None = None,
        hosted_tools: list | str | None = None,
        knowledge_sync: dict | str | None = None,
        citations: str | None = None,
        upload_policy: dict | str | None = None,
        **kwargs: Any,
    ) -> dict:
        """Run one turn and return its result (see the class docstring for the fields)."""
        values = dict(locals())  # before any other local exists: exactly the step's parameters
        for name in ("self", "kwargs", "__class__"):
            values.pop(name, None)
        values.update(kwargs)
        try:
            return self._run_turn(values)
        except AssistantError as err:
            raise ProviderException(_failure_message(err)) from err
        except Exception as err:  # last resort: a bug or an unexpected library error still fails cleanly
            raise ProviderException(redact(f"OpenAI Assistant turn failed: {type(err).__name__}: {err}")) from None

    # -- the turn -----------------------------------------------------------------------------

    def _run_turn(self, values: dict[str, Any]) -> dict:
        from openaiassistant.assistant import Assistant
        from openaiassistant.keep.knowledge_step import parse_knowledge_sync
        from openaiassistant.keep.provider_tools import build_toolset, parse_functions
        from openaiassistant.keep.step_request import build_step_request, result_for_keep
        from openaiassistant.keep.stream_log import StreamLogger

        request = build_step_request(values, default_timeout=self._default_timeout)
        sync = parse_knowledge_sync(request.knowledge_sync, files_dir=self._files_dir)
        self._warn_dropped_floats()
        spec = self._spec
        if request.hosted_tools:  # refused here, before any tool server or request, on a backend without them
            spec = dataclasses.replace(spec, hosted_tools=request.hosted_tools)
            spec.validate(self._connection)
        tools = build_toolset(
            parse_functions(request.functions),
            caller=self._call_provider,
            resolve_type=self._installed_provider_type,
            known_provider=self._provider_configured,
            method_caller=self._call_provider_method,
            provider_class=self._provider_class,
        )
        knowledge = self._knowledge_sync(sync) if sync is not None else None  # once every value is checked
        if knowledge is not None and not request.prompt.strip():
            return knowledge  # a sync-only step
        if request.vector_store_ids is not None:  # the step's knowledge replaces the provider's
            spec = dataclasses.replace(spec, vector_store_ids=request.vector_store_ids)
        if knowledge is not None and knowledge["vector_store_id"] not in spec.vector_store_ids:
            spec = dataclasses.replace(spec, vector_store_ids=(*spec.vector_store_ids, knowledge["vector_store_id"]))
        assistant = Assistant(connection=self._connection, spec=spec, tools=tools, registry=self._registry())
        stream_log = StreamLogger(self.logger, prefix=f"[{self.provider_id}] ") if request.stream else None
        options = request.turn_options()
        options["on_text"] = stream_log
        options["on_tool_call"] = self._log_tool_call
        options["registry_tags"] = self._registry_tags()
        options["on_progress"] = self._log_progress
        options["files_dir"] = self._files_dir
        try:
            result = assistant.run_turn(request.prompt, **options)
        finally:
            if stream_log is not None:
                stream_log.flush()
        self._apply_retention()
        data = result_for_keep(result)
        if knowledge is not None:
            data.update(knowledge=knowledge, vector_store_id=knowledge["vector_store_id"])
            data.setdefault("files_json", knowledge["files_json"])
        return data

    def _knowledge_sync(self, sync: Any) -> dict:
        """Carry out the step's ``knowledge_sync`` (see keep/knowledge_step.py)."""
        from openaiassistant.keep.knowledge_step import run_knowledge_sync

        return run_knowledge_sync(
            sync, connection=self._connection, logger=self.logger, prefix=f"[{self.provider_id}] "
        )

    def _apply_retention(self) -> None:
        """Retention: after a turn, conversations of this tenant idle for too long are deleted."""
        registry = self._registry()
        if self._retention is None or registry is None:
            return
        from openaiassistant.conversations import Conversations

        conversations = Conversations(
            connection=self._connection, registry=registry, default_backend=self._spec.backend
        )
        self._retention.after_turn(
            conversations,
            tenant=getattr(self.context_manager, "tenant_id", None),
            registry_url=str(self.authentication_config.registry_url),
        )

    def _registry(self) -> Any:
        """The thread registry named by ``registry_url`` (one per URL per process), or None."""
        url = self.authentication_config.registry_url
        if not url:
            return None
        from openaiassistant.registry import ThreadRegistry

        with _REGISTRIES_LOCK:
            if url not in _REGISTRIES:
                try:
                    _REGISTRIES[url] = ThreadRegistry(url)
                except Exception as exc:  # noqa: BLE001 - bookkeeping must not cost the answer
                    if self._spec.backend == "chat":  # ... but there it keeps the conversation
                        raise RegistryError(
                            "the thread registry at registry_url, which keeps the chat backend's "
                            f"conversations, is not usable: {type(exc).__name__}: {exc}"
                        ) from None
                    # the turn runs unrecorded, as the library does when recording fails; the
                    # next step tries the database again (it may be back)
                    self.logger.warning(
                        "[%s] the thread registry at registry_url is not usable, this turn is not recorded: %s",
                        self.provider_id,
                        redact(f"{type(exc).__name__}: {exc}")[:300],
                    )
                    return None
            return _REGISTRIES[url]

    def _registry_tags(self) -> dict[str, Any]:
        """Tenant, workflow and the alert's fingerprint: how the registry files this conversation."""
        event = getattr(self.context_manager, "event_context", None)
        return {
            "tenant": getattr(self.context_manager, "tenant_id", None),
            "workflow": getattr(self.context_manager, "workflow_id", None),
            "alert_fingerprint": getattr(event, "fingerprint", None),
        }

    def _warn_dropped_floats(self) -> None:
        """A YAML float in this step's ``with:`` never arrives (Keep's parser drops it): say so
        in the workflow log. The raw step is visible where Keep keeps the workflow's YAML (its
        database, when its server runs the workflow); elsewhere nothing is said here."""
        step = getattr(threading.current_thread(), "step_id", None)  # set by Keep for each step
        raw = _raw_workflow(self.context_manager) if step else None
        if raw is None:
            return
        from openaiassistant.keep.dropped_floats import dropped_floats

        for dropped in dropped_floats(raw, step=step):
            self.logger.warning("[%s] %s", self.provider_id, dropped.message())

    def _log_progress(self, line: str) -> None:
        """Waits and fallbacks go into the workflow log as they happen (already redacted)."""
        self.logger.info("[%s] %s", self.provider_id, line)

    def _log_tool_call(self, record: Any) -> None:
        """Each tool call goes into the workflow log as it happens (secrets redacted)."""
        outcome = f"error: {_short(record.error)}" if record.error else _short(record.output)
        self.logger.info("[%s] tool %s(%s) -> %s", self.provider_id, record.name, _short(record.arguments), outcome)

    def _provider_configured(self, provider_id: str) -> bool:
        """Whether a provider id (or name) is configured in this tenant (file, env or Keep's DB)."""
        return bool((getattr(self.context_manager, "providers_context", None) or {}).get(provider_id))

    def _call_provider(self, provider_id: str, provider_type: str, arguments: dict[str, Any]) -> Any:
        """Query another provider configured in this tenant (a provider-backed tool's call)."""
        from keep.providers.providers_factory import ProvidersFactory

        from openaiassistant.keep.provider_secrets import register_config_secrets
        from openaiassistant.tools.tool import ToolCallError

        config = self.context_manager.providers_context.get(provider_id)
        if not config:
            raise ToolCallError(f"provider {provider_id} is not configured in this Keep tenant")
        register_config_secrets(config, provider_type)
        provider = ProvidersFactory.get_provider(
            self.context_manager, provider_id, provider_type, copy.deepcopy(config)
        )
        try:
            return provider.query(**arguments)
        finally:
            provider.dispose()

    def _call_provider_method(
        self, provider_id: str, provider_type: str, func_name: str, arguments: dict[str, Any]
    ) -> Any:
        """Run a provider method (one of its PROVIDER_METHODS) as Keep's own UI does."""
        from openaiassistant.keep.provider_methods import call_method

        return call_method(self.context_manager, provider_id, provider_type, func_name, arguments)

    def _provider_class(self, provider_type: str) -> type:
        from openaiassistant.keep.provider_methods import provider_class

        return provider_class(provider_type)

    def _installed_provider_type(self, provider_id: str) -> str | None:
        """The type of a provider installed in Keep's database, by id or name (None without a DB)."""
        tenant_id = self.context_manager.tenant_id
        if not tenant_id:
            return None
        try:
            from keep.api.core.db import get_installed_providers

            for installed in get_installed_providers(tenant_id):
                if provider_id in (installed.id, installed.name):
                    return installed.type
        except Exception:  # no database configured: the step must name the type
            logging.getLogger(__name__).debug("no Keep database to look up provider %s", provider_id)
        return None

    # -- configuration ------------------------------------------------------------------------

    def _connection_settings(self) -> ConnectionSettings:
        auth = self.authentication_config
        endpoint = auth.azure_endpoint or (auth.base_url if auth.api_version or is_azure_url(auth.base_url) else None)
        azure = bool(endpoint)
        return ConnectionSettings(
            api_key=auth.api_key or None,
            organization=auth.organization or None,
            project=auth.project or None,
            base_url=None if azure else (auth.base_url or None),
            azure_endpoint=endpoint or None,
            api_version=auth.api_version or None,
            transport=(auth.transport or "sse").strip().lower(),
            capabilities=auth.capabilities or None,
            coordination_url=auth.coordination_url or None,
            rpm=_optional_count("rpm", auth.rpm),
            tpm=_optional_count("tpm", auth.tpm),
            max_concurrent_turns=_optional_count("max_concurrent_turns", auth.max_concurrent_turns),
        )

    def _assistant_spec(self) -> AssistantSpec:
        from openaiassistant.keep.step_request import id_list
        from openaiassistant.observability.prices import parse_prices

        auth = self.authentication_config
        return AssistantSpec(
            backend=(auth.backend or "responses").strip().lower(),
            model=auth.model or None,
            instructions=auth.instructions or None,
            assistant_id=auth.assistant_id or None,
            vector_store_ids=id_list("vector_store_ids", auth.vector_store_ids) or (),
            prices=parse_prices(auth.prices) or {},
        )


def _content_settings(auth: Any) -> tuple[Any, Any]:
    """``files_dir`` (an existing folder) and ``retention_days`` (needs ``registry_url``)."""
    from pathlib import Path

    from openaiassistant.retention import Retention, parse_retention_days

    files_dir = None
    if getattr(auth, "files_dir", None):
        files_dir = Path(str(auth.files_dir)).expanduser()
        if not files_dir.is_dir():
            raise ConfigError("files_dir", f"{auth.files_dir} is not a directory on the Keep server")
    days = parse_retention_days(getattr(auth, "retention_days", None))
    if days is not None and not auth.registry_url:
        raise ConfigError("retention_days", "needs registry_url: the registry knows which conversations exist")
    return files_dir, Retention(days) if days is not None else None


def _raw_workflow(context_manager: Any) -> Any:
    """The workflow's YAML as Keep's database holds it (None without a database or a row)."""
    tenant_id = getattr(context_manager, "tenant_id", None)
    workflow_id = getattr(context_manager, "workflow_id", None)
    if not (tenant_id and workflow_id):
        return None
    try:
        import yaml
        from keep.api.core.db import get_workflow_by_id

        row = get_workflow_by_id(tenant_id, workflow_id)
        return yaml.safe_load(row.workflow_raw) if row is not None and row.workflow_raw else None
    except Exception:  # no database, or not a stored workflow: nothing to compare with
        logging.getLogger(__name__).debug("no stored workflow %s to check for dropped floats", workflow_id)
        return None


def _configured(authentication: Any) -> dict[str, Any]:
    """The fields that were given: Keep's UI sends None or "" for the empty ones; a select's
    value is read without regard to case or surrounding spaces, as it always was."""
    fields = {k: v for k, v in (given(authentication) or {}).items() if v != ""}
    for name in ("backend", "transport"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip().lower()
    return fields


def _optional_count(where: str, value: Any) -> int | None:
    """A whole number > 0 from the configuration, or None when it is not set."""
    return None if value is None or value == "" else parse_count(where, value, low=1)


def _failure_message(err: AssistantError) -> str:
    """What a failed step shows: the kind of failure, the cause, the conversation and run ids."""
    backend = f" on the {err.backend} backend" if err.backend else ""
    return redact(f"OpenAI Assistant turn failed{backend}: {err.kind}: {err}")


def _check_registry_url(url: str | None) -> None:
    """A bad ``registry_url`` fails when the workflow is parsed. Builds the engine, never connects."""
    if not url:
        return
    from openaiassistant.keep.provider_secrets import register_url_credentials

    register_url_credentials(url)
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError("registry_url", "expected an SQLAlchemy URL such as sqlite:////var/lib/keep/threads.db")
    from sqlalchemy import create_engine

    try:
        engine = create_engine(url)  # parses the URL, loads the dialect and its driver; no connection
    except Exception as exc:
        raise ConfigError("registry_url", redact(f"not a usable SQLAlchemy URL: {type(exc).__name__}: {exc}")) from None
    try:
        if engine.dialect.name == "sqlite":
            from openaiassistant.registry.sqlite_check import sqlite_file_problem

            problem = sqlite_file_problem(engine.url.database)
            if problem:
                raise ConfigError("registry_url", problem)
    finally:
        engine.dispose()


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
