"""A stand-in for Zabbix's JSON-RPC API (``/api_jsonrpc.php``) on 127.0.0.1, for Keep's real
ZabbixProvider: problem.get answers with the messages acknowledged so far, event.acknowledge
records the action. Every request is kept, so a test can count what ran."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from tests.http_stubs import answer


@dataclass
class ZabbixApi:
    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, list[str]] = field(default_factory=dict)

    def methods(self) -> list[str]:
        return [c["method"] for c in self.calls]


def start() -> tuple[ZabbixApi, ThreadingHTTPServer]:
    state = ZabbixApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
            state.calls.append(body)
            params = body.get("params") or {}
            event = str(params.get("eventids"))
            if body["method"] == "problem.get":
                acks = [{"action": "4", "clock": "1700000000", "message": m} for m in state.messages.get(event, [])]
                result: Any = [{"eventid": event, "acknowledges": acks}]
            else:
                if params.get("message"):
                    state.messages.setdefault(event, []).append(params["message"])
                result = {"eventids": [event]}
            data = json.dumps({"jsonrpc": "2.0", "result": result, "id": body.get("id")}).encode()
            answer(self, 200, data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server


def write_providers(directory: Path, *, assistant_auth: dict[str, Any], zabbix: ZabbixApi) -> Path:
    """A providers.yaml in ``directory`` with the assistant (``triage-assistant``) and Keep's
    ZabbixProvider pointed at this stand-in (``zabbix-prod``)."""
    providers = {
        "triage-assistant": {"authentication": assistant_auth},
        "zabbix-prod": {"authentication": {"zabbix_frontend_url": zabbix.url, "auth_token": "zbx-token-0123456789"}},
    }
    path = directory / "providers.yaml"
    path.write_text(yaml.safe_dump(providers))
    return path
