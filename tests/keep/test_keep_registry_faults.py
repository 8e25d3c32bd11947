"""A thread registry that is broken or unreachable never fails a Keep step (the library treats
registry errors as non-fatal); one that can never be written is refused when the workflow is
parsed, naming ``registry_url`` (issue 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.keep.samples import one_step_workflow

pytest.importorskip("keep", reason="Keep (keep-mirror) is only installed in .venv-keep")
pytestmark = pytest.mark.timeout(120)

SECRET = "regpass-0123456789"


def _workflow() -> dict[str, Any]:
    return one_step_workflow(
        "registry-faults", {"prompt": "Disk full on {{ alert.host }}"}, step="triage", provider="reg-assistant"
    )


def _run(tmp_path: Path, auth: dict[str, Any]) -> Any:
    from openaiassistant.harness import runner

    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump({"reg-assistant": {"authentication": auth}}))
    alert = {"name": "DiskFull", "host": "db-1", "fingerprint": "fp-registry"}
    return runner.run_workflow(_workflow(), alert=runner.make_alert(alert), providers_file=path)


def _corrupt(tmp_path: Path) -> str:
    # a valid header (so the parse-time check passes), then garbage: broken when first used
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    return f"sqlite:///{bad}"


@pytest.mark.parametrize(
    "make_url",
    [_corrupt, lambda _tmp: f"postgresql+psycopg://keep:{SECRET}@127.0.0.1:1/threads"],
    ids=["corrupt-sqlite", "unreachable-postgres"],
)
def test_a_broken_registry_does_not_fail_the_step(
    keep_env, backend, emulator, auth_for, tmp_path, make_url, caplog
) -> None:
    url = make_url(tmp_path)
    run = _run(tmp_path, auth_for(emulator, backend, registry_url=url))
    assert run.error is None, run.error
    assert run.results("triage")["text"] == "Echo: Disk full on db-1"
    warned = [r.getMessage() for r in caplog.records if "registry_url" in r.getMessage()]
    assert warned and all(SECRET not in message for message in warned)


@pytest.mark.parametrize(
    "make_url",
    [
        lambda tmp: f"sqlite:///{tmp}/no/such/dir/threads.db",
        lambda tmp: f"sqlite:///{tmp}",
        lambda tmp: (tmp / "text.db").write_text("plain text") and f"sqlite:///{tmp}/text.db",
    ],
    ids=["missing-directory", "a-directory", "not-a-database"],
)
def test_an_unusable_sqlite_registry_is_refused_at_parse_time(keep_env, tmp_path, make_url) -> None:
    from keep.contextmanager.contextmanager import ContextManager
    from keep.exceptions.provider_exception import ProviderException
    from keep.providers.providers_factory import ProvidersFactory

    url = make_url(tmp_path)
    with pytest.raises(ProviderException) as info:
        ProvidersFactory.get_provider(
            ContextManager(tenant_id="keep"),
            "cfg",
            "openaiassistant",
            {"authentication": {"api_key": "sk-conf-0123456789abcdef", "model": "m", "registry_url": url}},
        )
    assert "registry_url" in str(info.value)
