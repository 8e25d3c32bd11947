"""Run a Keep workflow in-process with Keep's real parser and workflow engine (no Keep server).

Used by ``openaiassistant keep run``, ``openaiassistant demo`` and the Keep tests. Keep reads its configuration from the
environment when its modules are first imported (secret manager, database), so call
:func:`prepare_environment` before anything imports ``keep``; this module imports Keep only
inside its functions.

Two modes:

* file mode (``database=False``): providers come from a ``providers.yaml`` file and the
  workflow itself; Keep still opens a SQLite file for its lookups, kept in the work directory.
* database mode (``database=True``): Keep's tables are created in a SQLite file, the tenant
  exists, providers can be installed in the database (:func:`install_provider`), steps can
  enrich alerts, and :func:`alert_with_enrichments` gives a follow-up alert what earlier
  workflows stored on it (what Keep's server does when an alert arrives).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openaiassistant.keep.dropped_floats import dropped_floats

__all__ = [
    "TENANT",
    "WorkflowRun",
    "alert_with_enrichments",
    "install_provider",
    "make_alert",
    "prepare_environment",
    "run_workflow",
    "work_directory",
]

TENANT = "keep"  # Keep's single-tenant id


@dataclass(kw_only=True)
class WorkflowRun:
    """What one run left behind: each step's results, and the error that stopped it."""

    execution_id: str
    steps: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    failed_step: str | None = None  # the step (or action) whose error stopped the run
    action_errors: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. YAML floats Keep dropped

    def results(self, step: str) -> Any:
        return self.steps.get(step, {}).get("results")


def prepare_environment(workdir: Path, *, database: bool) -> None:
    """Point Keep's secret manager and database into ``workdir``. Call before importing keep."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["SECRET_MANAGER_TYPE"] = "FILE"
    os.environ["SECRET_MANAGER_DIRECTORY"] = str(workdir / "secrets")
    (workdir / "secrets").mkdir(exist_ok=True)
    # Keep opens a database even in file mode (and would create ./keep.db in the cwd otherwise).
    os.environ["DATABASE_CONNECTION_STRING"] = f"sqlite:///{workdir / 'keep.db'}"
    os.environ.setdefault("PROVIDERS_CACHE_FILE", str(workdir / "providers_cache.json"))
    if database:
        create_database()


@contextlib.contextmanager
def work_directory(*, prefix: str = "openaiassistant-keep-") -> Iterator[Path]:
    """A fresh directory for Keep's secrets, database and providers file, removed on exit
    (it holds the providers' API keys)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _workdir() -> Path:
    return Path(os.environ.get("SECRET_MANAGER_DIRECTORY", ".")).parent


def create_database(tenant_id: str = TENANT) -> None:
    """Create Keep's tables and the tenant in the configured database (idempotent)."""
    import keep.api.models.db  # noqa: F401  (registers every table on SQLModel.metadata)
    from keep.api.core.db import engine
    from keep.api.core.db_on_start import try_create_single_tenant
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(engine)
    try_create_single_tenant(tenant_id, create_default_user=False)


def install_provider(
    *,
    name: str,
    provider_type: str,
    authentication: Mapping[str, Any],
    tenant_id: str = TENANT,
    validate_scopes: bool = True,
) -> dict[str, Any]:
    """Install a provider in Keep's database the way Keep's API does (scopes are validated)."""
    from keep.providers.providers_service import ProvidersService

    return ProvidersService.install_provider(
        tenant_id=tenant_id,
        installed_by="openaiassistant",
        provider_id=name,
        provider_name=name,
        provider_type=provider_type,
        provider_config=dict(authentication),
        validate_scopes=validate_scopes,
    )


def make_alert(data: Mapping[str, Any]) -> Any:
    """An ``AlertDto`` with the fields Keep requires filled in."""
    from keep.api.models.alert import AlertDto

    values = {
        "id": str(uuid.uuid4()),
        "status": "firing",
        "severity": "warning",
        "lastReceived": "2026-11-23T00:00:00.000Z",
        "source": ["openaiassistant-demo"],
    }
    values.update(data)
    values.setdefault("fingerprint", values.get("name") or values["id"])
    return AlertDto(**values)


def alert_with_enrichments(data: Mapping[str, Any], *, tenant_id: str = TENANT) -> Any:
    """The alert as Keep's server would hand it to a workflow: stored enrichments merged in."""
    from keep.api.core.db import get_enrichment

    alert = make_alert(data)
    stored = get_enrichment(tenant_id, alert.fingerprint)
    if stored is not None:
        for key, value in (stored.enrichments or {}).items():
            setattr(alert, key, value)
    return alert


@contextlib.contextmanager
def _workflow_thread(*, workflow_id: str, execution_id: str, tenant_id: str | None) -> Iterator[None]:
    """Mark the thread as running this workflow, as Keep's workflow manager does.

    Keep's logging filter reads these attributes to put a record into the workflow's log.
    """
    thread = threading.current_thread()
    marks = {
        "workflow_id": workflow_id,
        "workflow_execution_id": execution_id,
        "tenant_id": tenant_id,
        "workflow_debug": False,
    }
    saved = {name: getattr(thread, name) for name in marks if hasattr(thread, name)}
    for name, value in marks.items():
        setattr(thread, name, value)
    try:
        yield
    finally:
        for name in marks:
            if name in saved:
                setattr(thread, name, saved[name])
            elif hasattr(thread, name):
                delattr(thread, name)


def run_workflow(
    workflow: Mapping[str, Any],
    *,
    alert: Any = None,
    providers_file: str | os.PathLike[str] | None = None,
    tenant_id: str | None = None,
) -> WorkflowRun:
    """Parse ``workflow`` (the YAML as a dict) with Keep's parser and run it once.

    ``tenant_id`` selects database mode (providers installed in Keep's database are loaded,
    enrichments are stored). A failing step does not raise: its error is in ``error``.
    """
    import copy

    from keep.parser.parser import Parser

    # Keep mutates the dict while parsing (it pops step provider types).
    body = copy.deepcopy(dict(workflow))
    name = (body.get("workflow") or body).get("id", "workflow")
    parsed = Parser().parse(
        tenant_id,
        body,
        # never ./providers.yaml of whatever directory we run in
        providers_file=str(providers_file or _workdir() / "providers.yaml"),
        workflow_db_id=name,
    )
    wf = parsed[0]
    if alert is not None:
        wf.context_manager.set_event_context(alert)
    run = WorkflowRun(execution_id=str(uuid.uuid4()), warnings=[d.message() for d in dropped_floats(workflow)])
    tracker = _StepTracker()
    with (
        _workflow_thread(workflow_id=wf.workflow_id, execution_id=run.execution_id, tenant_id=tenant_id),
        tracker.attached(),
    ):
        try:
            run.action_errors = list(wf.run(run.execution_id) or [])
        except Exception as exc:  # StepError wraps the provider's exception: show its message
            run.error = str(exc)
            run.failed_step = tracker.step
    run.steps = {k: v for k, v in wf.context_manager.steps_context.items() if k != "this"}
    return run


class _StepTracker(logging.Handler):
    """Which step Keep's workflow engine is running: it logs "Running step X" with the step's id
    (and clears the thread's step id before it re-raises a step's error)."""

    LOGGER = "keep.workflowmanager.workflow"

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.step: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        step = getattr(record, "step_id", None)
        if step and record.msg == "Running step %s":
            self.step = str(step)

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        logger = logging.getLogger(self.LOGGER)
        level = logger.level
        logger.addHandler(self)
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(self)
            logger.setLevel(level)
