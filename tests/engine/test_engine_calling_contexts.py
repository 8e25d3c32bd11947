"""The sync API from a running event loop and from threads; the async wrapper; client choice."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import openai

from openaiassistant.backends.transport import get_client
from openaiassistant.settings import ConnectionSettings


def test_sync_call_inside_a_running_event_loop(make_assistant: Any, stream: bool) -> None:
    assistant = make_assistant()

    async def inside_loop() -> str:
        # Keep calls providers synchronously, sometimes from code that runs on an event loop
        return assistant.run_turn("from a loop", stream=stream).text

    assert asyncio.run(inside_loop()) == "Echo: from a loop"


def test_from_worker_threads(make_assistant: Any) -> None:
    assistant = make_assistant()
    results: list[str] = []
    threads = [threading.Thread(target=lambda i=i: results.append(assistant.run_turn(f"t{i}").text)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [f"Echo: t{i}" for i in range(4)]


def test_async_wrapper(make_assistant: Any) -> None:
    assistant = make_assistant()
    assert asyncio.run(assistant.arun_turn("async", stream=False)).text == "Echo: async"


def test_images_reach_the_model(make_assistant: Any, emulator: Any, backend: str) -> None:
    url = "https://example.invalid/graph.png"
    result = make_assistant().run_turn("look at this", images=[url])
    assert result.text.startswith("Echo: look at this")
    # the image went to the server as an image part of the user's message
    parts = [
        part for r in emulator.requests() if r["method"] == "POST" and r["body"] for part in _content_parts(r["body"])
    ]
    if backend == "responses":
        assert {"type": "input_image", "image_url": url} in [
            {k: p.get(k) for k in ("type", "image_url")} for p in parts
        ]
    else:
        assert {"type": "image_url", "image_url": {"url": url}} in [
            {"type": p.get("type"), "image_url": {"url": (p.get("image_url") or {}).get("url")}} for p in parts
        ]


def _content_parts(body: Any) -> list[dict[str, Any]]:
    """Every content part of every message anywhere in a request body."""
    found: list[dict[str, Any]] = []
    if isinstance(body, dict):
        if isinstance(body.get("content"), list):
            found += [part for part in body["content"] if isinstance(part, dict)]
        for value in body.values():
            found += _content_parts(value)
    elif isinstance(body, list):
        for value in body:
            found += _content_parts(value)
    return found


def test_azure_settings_build_an_azure_client() -> None:
    settings = ConnectionSettings(
        api_key="azure-key-123456",
        azure_endpoint="https://example.openai.azure.com",
        api_version="2024-10-21",
        azure_deployment="gpt-4o-mini",
    )
    client = get_client(settings)
    assert isinstance(client, openai.AzureOpenAI)
    assert get_client(settings) is client
    assert client.max_retries == 0
