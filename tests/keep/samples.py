"""What the Keep tests run (tests/keep and tests/compat): the alerts, and a workflow of one
openaiassistant step."""

from __future__ import annotations

from typing import Any

DISK_ALERT: dict[str, Any] = {
    "name": "DiskFull",
    "host": "db-1",
    "description": "disk / is 97% full",
    "severity": "critical",
    "fingerprint": "diskfull-db-1",
}
# the same alert as Keep's alert view shows one that is still going on
FIRING_DISK_ALERT: dict[str, Any] = {**DISK_ALERT, "status": "firing"}


def one_step_workflow(
    workflow_id: str, with_: dict[str, Any], *, step: str = "ask", provider: str = "triage-assistant"
) -> dict[str, Any]:
    """A manually triggered workflow whose one step asks the assistant ``provider`` (a name in
    the providers file) with the step's ``with:`` values."""
    return {
        "workflow": {
            "id": workflow_id,
            "triggers": [{"type": "manual"}],
            "steps": [
                {
                    "name": step,
                    "provider": {
                        "type": "openaiassistant",
                        "config": f"{{{{ providers.{provider} }}}}",
                        "with": with_,
                    },
                }
            ],
        }
    }
