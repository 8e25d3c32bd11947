"""The provider's configuration as Keep builds it (no network: Keep validates it when parsing)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")


def _provider(keep_env: Any, **auth: Any) -> Any:
    from keep.contextmanager.contextmanager import ContextManager
    from keep.providers.providers_factory import ProvidersFactory

    return ProvidersFactory.get_provider(
        ContextManager(tenant_id="keep"), "cfg", "openaiassistant", {"authentication": auth}
    )


def test_azure_is_selected_by_api_version(keep_env):
    provider = _provider(
        keep_env,
        api_key="sk-azure-0123456789",
        base_url="https://res.openai.azure.com",
        api_version="2024-10-21",
        model="gpt-4o-mini",
        default_timeout="45",
    )
    assert provider._connection.is_azure and provider._connection.azure_endpoint == "https://res.openai.azure.com"
    assert provider._connection.base_url is None
    assert provider._default_timeout == 45.0

    plain = _provider(keep_env, api_key="sk-plain-0123456789", base_url="http://127.0.0.1:9/v1", model="m")
    assert not plain._connection.is_azure and plain._connection.base_url == "http://127.0.0.1:9/v1"
    assert plain._connection.transport == "sse"  # the default: every step reads the event stream
    assert (
        _provider(keep_env, api_key="sk-plain-0123456789", model="m", transport="Poll")._connection.transport == "poll"
    )


@pytest.mark.parametrize(
    "auth, named",
    [
        ({"backend": "responses"}, "model"),
        ({"backend": "assistants"}, "assistant_id"),
        ({"backend": "chat", "model": "m"}, "backend"),
        ({"model": "m", "default_timeout": "soon"}, "default_timeout"),
        ({"model": "m", "base_url": "127.0.0.1:8765"}, "base_url"),
        ({"model": "m", "transport": "websocket"}, "transport"),
        ({"model": "m", "registry_url": "nosuchdb://h/threads"}, "registry_url"),
        (
            {"model": "m", "registry_url": "postgresql+psycopg://keep:regpass-0123456@db:notaport/threads"},
            "registry_url",
        ),
        ({"model": "m", "registry_url": "threads.db"}, "registry_url"),
    ],
)
def test_bad_configuration_is_refused_before_any_request(keep_env, auth, named):
    from keep.exceptions.provider_exception import ProviderException

    with pytest.raises(ProviderException) as info:
        _provider(keep_env, api_key="sk-conf-0123456789abcdef", **auth)
    assert named in str(info.value)
    assert "sk-conf-0123456789abcdef" not in str(info.value) and "regpass-0123456" not in str(info.value)


def test_a_usable_registry_url_is_accepted_without_connecting(keep_env, tmp_path):
    provider = _provider(
        keep_env, api_key="sk-conf-0123456789abcdef", model="m", registry_url=f"sqlite:///{tmp_path / 'threads.db'}"
    )
    assert provider.authentication_config.registry_url.startswith("sqlite:///")
    assert not (tmp_path / "threads.db").exists()  # parsing a workflow opens no database


def test_keeps_own_sensitive_field_metadata_is_used(keep_env):
    """Slack's webhook URL is marked sensitive in Keep: registered although its name says nothing of a secret."""
    from openaiassistant.keep.provider_secrets import keep_sensitive_fields, register_config_secrets
    from openaiassistant.redaction import redact

    assert "webhook_url" in keep_sensitive_fields("slack")
    assert keep_sensitive_fields("no_such_provider_type") is None
    webhook = "https://hooks.slack.com/services/T0001/B0001/slackhooksecret0123456789"
    register_config_secrets({"authentication": {"webhook_url": webhook, "channel": "#ops-public-room"}}, "slack")
    assert redact(f"POST {webhook} to #ops-public-room failed") == "POST *** to #ops-public-room failed"


def test_a_misspelled_field_is_reported_with_the_known_ones(keep_env):
    """``modle:`` used to be dropped silently by the auth dataclass; the schema names it."""
    from keep.exceptions.provider_exception import ProviderException

    with pytest.raises(ProviderException) as info:
        _provider(keep_env, api_key="sk-conf-0123456789abcdef", modle="gpt-4o-mini")
    message = str(info.value)
    assert "invalid authentication: unknown field 'modle'; known fields: api_key" in message
    assert "model" in message and "cfg" in message  # the provider's id


def test_keeps_ui_reads_the_fields_from_the_schema(keep_env):
    """Keep's provider list (what its UI shows) carries the schema's descriptions, selects and secrets."""
    from keep.providers.providers_factory import ProvidersFactory

    from openaiassistant.schemas.provider_config import PROVIDER_CONFIG

    listed = {p.type: p for p in ProvidersFactory.get_all_providers()}["openaiassistant"]
    config = listed.config
    assert set(config) == set(PROVIDER_CONFIG["properties"])
    assert config["api_key"]["required"] is True and config["api_key"]["sensitive"] is True
    assert config["backend"]["type"] == "select" and config["backend"]["options"] == ["responses", "assistants", "chat"]
    assert config["backend"]["default"] == "responses"
    assert config["registry_url"]["sensitive"] is True and config["instructions"]["type"] == "textarea"
    assert config["default_timeout"]["description"].startswith("Default deadline of one turn")


@pytest.mark.parametrize("days", ["inf", True, "1e3", "1_0", "0", -3, "a month"])
def test_retention_days_that_are_no_number_of_days_are_refused(keep_env, tmp_path, days):
    from keep.exceptions.provider_exception import ProviderException

    with pytest.raises(ProviderException) as info:
        _provider(
            keep_env,
            api_key="sk-conf-0123456789abcdef",
            model="m",
            registry_url=f"sqlite:///{tmp_path / 'threads.db'}",
            retention_days=days,
        )
    assert "invalid authentication.retention_days: must be a finite number > 0" in str(info.value)


@pytest.mark.parametrize("days, idle_days", [("30", 30), (7, 7), (" 0.5 ", 0.5)])
def test_retention_days_as_a_number_or_its_text(keep_env, tmp_path, days, idle_days):
    provider = _provider(
        keep_env,
        api_key="sk-conf-0123456789abcdef",
        model="m",
        registry_url=f"sqlite:///{tmp_path / 'threads.db'}",
        retention_days=days,
    )
    assert provider._retention.idle.total_seconds() == idle_days * 86400
