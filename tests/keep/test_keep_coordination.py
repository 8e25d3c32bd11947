"""Coordination settings through Keep's real workflow engine: ``coordination_url`` (a real
redis-server), ``rpm`` and ``max_concurrent_turns`` as the provider's configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.coordination.conftest import _redis_server  # noqa: F401 - the session's redis-server fixture
from tests.coordination.workers import new_key
from tests.keep.samples import one_step_workflow

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)


def _workflow(timeout: str) -> dict[str, Any]:
    return one_step_workflow(
        "coordinated-triage", {"prompt": "Disk full on {{ alert.host }}", "timeout": timeout}, step="triage"
    )


def test_a_configured_rate_limit_is_shared_through_redis(
    keep_env: Path, emulator: Any, request: Any, tmp_path: Path, auth_for: Any
) -> None:
    """rpm 2 for the key: the first workflow run's turn uses both requests of the minute (a new
    conversation, a response); the next run's turn gives up before sending anything, naming
    the limit, although the server itself has no limit at all."""
    from openaiassistant.harness import runner

    redis_url = request.getfixturevalue("_redis_server")
    auth = auth_for(emulator, "responses", coordination_url=redis_url, rpm="2", max_concurrent_turns="4")
    auth["api_key"] = new_key()  # a pool of its own
    providers = tmp_path / "providers.yaml"
    providers.write_text(yaml.safe_dump({"triage-assistant": {"authentication": auth}}))
    alert = runner.make_alert({"name": "DiskFull", "host": "db-1"})

    first = runner.run_workflow(_workflow("30"), alert=alert, providers_file=providers)
    assert first.error is None, first.error
    assert first.results("triage")["text"].startswith("Echo:")
    sent = len(emulator.requests())
    second = runner.run_workflow(_workflow("3"), alert=alert, providers_file=providers)
    assert second.error is not None and "rate limit of pool" in str(second.error)
    assert "rpm" in str(second.error)
    assert len(emulator.requests()) == sent  # refused here, not by the server


@pytest.mark.parametrize(
    "auth, named",
    [
        ({"coordination_url": "http://redis:6379"}, "coordination_url"),
        ({"rpm": "ten"}, "rpm"),
        ({"tpm": "1.5"}, "tpm"),
        ({"max_concurrent_turns": "0"}, "max_concurrent_turns"),
    ],
)
def test_bad_coordination_settings_are_refused_when_parsed(keep_env: Path, auth: dict[str, Any], named: str) -> None:
    from keep.contextmanager.contextmanager import ContextManager
    from keep.exceptions.provider_exception import ProviderException
    from keep.providers.providers_factory import ProvidersFactory

    with pytest.raises(ProviderException) as refused:
        ProvidersFactory.get_provider(
            ContextManager(tenant_id="keep"),
            "cfg",
            "openaiassistant",
            {"authentication": {"api_key": "sk-test-0123456789", "model": "m", **auth}},
        )
    assert named in str(refused.value)
