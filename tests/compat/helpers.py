"""What the compatibility suite's test modules share: the model's side of a turn (the chat
completions the upstream emulator received) and a tool that counts its calls."""

from __future__ import annotations

from typing import Any

from openaiassistant.tools import Toolbox


def model_requests(upstream: Any) -> list[dict[str, Any]]:
    """The chat completions that reached the model, oldest first."""
    return [e for e in upstream.requests() if e["path"] == "/v1/chat/completions" and e["method"] == "POST"]


def disk_usage_tools() -> tuple[Toolbox, list[str]]:
    """A Toolbox with get_disk_usage(host), and the hosts it was called for, in call order."""
    tools = Toolbox()
    calls: list[str] = []

    @tools.tool
    def get_disk_usage(host: str) -> dict:
        """Disk usage of a host.

        Args:
            host: host name
        """
        calls.append(host)
        return {"host": host, "used_percent": 97}

    return tools, calls
