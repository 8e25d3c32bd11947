"""Azure OpenAI's URL layout on the emulator, so an Azure configuration can be tried offline.

Azure serves the same API under other paths, with the key in an ``api-key`` header:

* the v1 endpoint: ``https://RESOURCE.openai.azure.com/openai/v1/responses`` (no api-version);
* dated API versions: ``/openai/responses?api-version=2025-04-01-preview`` and, for the
  deployment-scoped APIs (chat completions, embeddings, ...),
  ``/openai/deployments/DEPLOYMENT/chat/completions?api-version=...``; a request without
  ``api-version`` there is refused, as Azure does.

This ASGI middleware maps those onto the emulator's ``/v1`` routes before anything else sees
the request (the request log shows the ``/v1`` path; ``azure_path`` keeps what was asked) and
turns an ``api-key`` header into the bearer key the emulator checks. A deployment name is the
model (the SDK sends it as ``model`` too). Point an Azure client at the emulator's root URL:
``ConnectionSettings(azure_endpoint=server.url, api_version="2025-04-01-preview")``.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["AzureLayout"]

_DEPLOYMENT = re.compile(r"^/openai/deployments/[^/]+(/.*)$")


class AzureLayout:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if not path.startswith("/openai/"):
            await self.app(scope, receive, send)
            return
        if path.startswith("/openai/v1/"):
            rest = path[len("/openai/v1") :]
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            if not re.search(r"(^|&)api-version=[^&]+", query):
                await _refuse(send)
                return
            match = _DEPLOYMENT.match(path)
            rest = match.group(1) if match else path[len("/openai") :]
        headers = list(scope.get("headers") or [])
        key = dict(headers).get(b"api-key")
        if key and not dict(headers).get(b"authorization"):
            headers.append((b"authorization", b"Bearer " + key))
        await self.app(
            {
                **scope,
                "path": "/v1" + rest,
                "raw_path": ("/v1" + rest).encode(),
                "headers": headers,
                "azure_path": path,
            },
            receive,
            send,
        )


async def _refuse(send: Any) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "404",
                "message": "Resource not found (an Azure OpenAI path outside /openai/v1 needs ?api-version=)",
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
