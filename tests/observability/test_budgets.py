"""Budgets per turn (max_cost_usd, max_total_tokens): checked before each further model round;
the turn stops cleanly with status budget_exceeded, nothing more runs, the run is closed on the
server and the conversation takes the next turn."""

from __future__ import annotations

from typing import Any

import pytest
from tests.engine.conftest import posts

from openaiassistant.errors import ConfigError
from openaiassistant.observability.testing import SpanCapture
from openaiassistant.tools import Toolbox

SCRIPT = {
    "rules": [
        {
            "match": r"disk on (?P<host>\S+)",
            "tool_calls": [{"name": "disk", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Usage: {{ tool_outputs.disk }}"},
        },
        {"default": True, "reply": "Echo: {{ input }}"},
    ]
}


@pytest.fixture(autouse=True)
def _script(emulator: Any) -> None:
    emulator.load_script(SCRIPT)


def counting_tools() -> tuple[Toolbox, list[str]]:
    ran: list[str] = []
    registry = Toolbox()

    @registry.tool
    def disk(host: str) -> str:
        """Disk usage.

        Args:
            host: the host
        """
        ran.append(host)
        return f"{host}: 91%"

    return registry, ran


@pytest.mark.parametrize("backend", ["responses"])
@pytest.mark.parametrize(
    ("budget", "limit"),
    [({"max_total_tokens": "5"}, "max_total_tokens"), ({"max_cost_usd": "0.000000001"}, "max_cost_usd")],
)
def test_a_used_up_budget_stops_the_turn_before_its_tools_run(
    emulator: Any, make_assistant: Any, spans: SpanCapture, budget: dict[str, str], limit: str
) -> None:
    tools, ran = counting_tools()
    assistant = make_assistant(tools=tools)
    result = assistant.run_turn("disk on db-1", params=budget)

    assert (result.status, result.incomplete_reason) == ("budget_exceeded", limit)
    assert ran == [] and result.tool_calls == []
    assert result.usage.total_tokens > 0 and result.cost_usd is not None and result.cost_usd > 0
    assert len(posts(emulator, r"/responses$")) == 1  # no second round was asked for
    turn = spans.one("invoke_agent").attributes or {}
    assert turn["openaiassistant.turn.status"] == "budget_exceeded" and turn["openaiassistant.budget.limit"] == limit
    # the call the model asked for was answered on the server: the conversation is usable
    follow = assistant.run_turn("how are you", thread_id=result.thread_id)
    assert follow.status == "completed" and follow.text == "Echo: how are you"


def test_a_budget_the_turn_stays_within_changes_nothing(make_assistant: Any) -> None:
    tools, ran = counting_tools()
    result = make_assistant(tools=tools).run_turn(
        "disk on db-2", params={"max_total_tokens": 100000, "max_cost_usd": 1}
    )
    assert result.status == "completed" and ran == ["db-2"]


def test_a_used_up_budget_is_not_spent_on_a_new_run_after_a_rate_limit(
    emulator: Any, make_assistant: Any, backend: str
) -> None:
    emulator.add_fault(kind="run_failed", code="rate_limit_exceeded", times=1)
    result = make_assistant().run_turn("hello", params={"max_total_tokens": 1})
    assert (result.status, result.incomplete_reason) == ("budget_exceeded", "max_total_tokens")
    assert len(posts(emulator, r"/responses$" if backend == "responses" else r"/runs$")) == 1


def test_a_cost_budget_without_a_price_is_refused_before_anything_is_sent(emulator: Any, make_assistant: Any) -> None:
    with pytest.raises(ConfigError, match="no price is known for model house-model") as caught:
        make_assistant(model="house-model").run_turn("hello", params={"max_cost_usd": "0.5"})
    assert caught.value.parameter == "max_cost_usd"
    assert posts(emulator, r"/(responses|runs|threads)") == []


@pytest.mark.parametrize(
    ("control", "value"),
    [
        *[("max_cost_usd", v) for v in ("0", "-1", "lots", "nan", "inf", True)],
        *[("max_total_tokens", v) for v in ("0", "-1", "lots", "2.5", True)],
    ],
)
def test_bad_budgets_name_the_control(make_assistant: Any, control: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        make_assistant().run_turn("hello", params={control: value})
    assert caught.value.parameter == control
