"""Each emulator keeps its own time: moving one forward leaves every other emulator in the
process where it was, and a test can hand an emulator a clock of its own."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from openaiassistant.emulator.clock import Clock
from openaiassistant.emulator.server import EmulatorServer

warnings.filterwarnings("ignore", category=DeprecationWarning)
SLOW = {"latency": {"run_ms": 30_000}}  # a run that needs 30 s on its emulator's clock


@pytest.fixture
def second() -> Iterator[EmulatorServer]:
    with EmulatorServer(script=SLOW) as server:
        yield server


def _client(server: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)


def _slow_run(client: openai.OpenAI) -> tuple[str, str]:
    assistant = client.beta.assistants.create(model="m")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    return thread.id, run.id


def _status(client: openai.OpenAI, ids: tuple[str, str]) -> str:
    thread_id, run_id = ids
    return client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status


def test_advancing_one_emulator_leaves_another_where_it_was(emulator: Any, second: EmulatorServer) -> None:
    emulator.load_script(SLOW)
    first_client, second_client = _client(emulator), _client(second)
    first_run, second_run = _slow_run(first_client), _slow_run(second_client)
    emulator.advance_time(31)
    assert _status(first_client, first_run) == "completed"
    assert _status(second_client, second_run) == "in_progress"  # its clock did not move
    second.advance_time(31)
    assert _status(second_client, second_run) == "completed"
    assert emulator.violations() == [] and second.violations() == []


def test_an_injected_clock_drives_the_emulator() -> None:
    now = {"monotonic": 1000.0}
    clock = Clock(monotonic=lambda: now["monotonic"], wall=lambda: 1_750_000_000.0)
    with EmulatorServer(script=SLOW, clock=clock) as server:
        client = _client(server)
        run = _slow_run(client)
        thread_id, run_id = run
        assert client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).created_at == 1_750_000_000
        assert _status(client, run) == "in_progress"
        now["monotonic"] += 31  # the injected time source moved; nobody called advance_time
        assert _status(client, run) == "completed"
        assert server.violations() == []


def test_the_clock_only_moves_forward_and_resets_to_real_time() -> None:
    clock = Clock(monotonic=lambda: 5.0, wall=lambda: 100.0)
    clock.advance(2.5)
    assert (clock.monotonic(), clock.wall(), clock.now()) == (7.5, 102.5, 102)
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert (clock.monotonic(), clock.now()) == (5.0, 100)
