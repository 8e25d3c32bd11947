"""The conversation log: items appended in order, idempotent per key, tool calls and outputs
as items of their own, shared safely by concurrent writers; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from openaiassistant.registry import ThreadRegistry
from openaiassistant.registry.conversation_log import ConversationLog, LogItem


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> ConversationLog:
    if request.param == "sqlite":
        return ConversationLog(f"sqlite:///{tmp_path / 'log.db'}")
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    from openaiassistant.registry.conversation_log import ConversationRow, LogItemRow

    LogItemRow.__table__.drop(engine, checkfirst=True)
    ConversationRow.__table__.drop(engine, checkfirst=True)
    return ConversationLog(engine=engine)


def _turn(n: int) -> list[LogItem]:
    return [
        LogItem.message(key=f"t{n}:user", role="user", text=f"question {n}"),
        LogItem.function_call(key=f"call_{n}", call_id=f"call_{n}", name="get_disk", arguments='{"host": "db-1"}'),
        LogItem.function_call_output(key=f"call_{n}:output", call_id=f"call_{n}", output='{"used": 97}'),
        LogItem.message(key=f"resp_{n}:0", role="assistant", text=f"answer {n}", run_id=f"resp_{n}"),
    ]


def test_items_come_back_in_order_with_their_fields(log: ConversationLog) -> None:
    conv = log.create(metadata={"tenant": "t1"})
    assert conv.startswith("oaconv_") and log.exists(conv) and log.metadata(conv) == {"tenant": "t1"}
    for item in _turn(1):
        log.append(conv, [item])  # one by one, as they happen
    stored = log.items(conv)
    assert [i.seq for i in stored] == [1, 2, 3, 4]
    assert [i.kind for i in stored] == ["message", "function_call", "function_call_output", "message"]
    call, output, answer = stored[1], stored[2], stored[3]
    assert (call.call_id, call.name, call.arguments) == ("call_1", "get_disk", '{"host": "db-1"}')
    assert (output.call_id, output.output) == ("call_1", '{"used": 97}')
    assert (answer.role, answer.text, answer.run_id) == ("assistant", "answer 1", "resp_1")
    assert [i.as_responses_input()["type"] for i in stored] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]
    assert log.items(conv, after=2) == stored[2:]


def test_appending_an_item_again_never_doubles_it(log: ConversationLog) -> None:
    conv = log.create()
    first = log.append(conv, _turn(1)[:2])
    again = log.append(conv, _turn(1))  # a retried write with the first two items in it
    assert [i.seq for i in again] == [1, 2, 3, 4]
    assert again[:2] == first
    assert len(log.items(conv)) == 4


def test_conversations_are_separate_and_deletable(log: ConversationLog) -> None:
    a, b = log.create(), log.create()
    log.append(a, _turn(1))
    log.append(b, _turn(2)[:1])
    assert [i.text for i in log.items(b)] == ["question 2"]
    assert log.delete(a) is True
    assert log.exists(a) is False and log.items(a) == []
    assert log.delete(a) is False
    with pytest.raises(KeyError):
        log.append(a, _turn(3))
    assert log.create(conversation_id="fixed-id") == "fixed-id"
    assert log.create(conversation_id="fixed-id") == "fixed-id"  # idempotent


def test_concurrent_writers_get_distinct_increasing_positions(log: ConversationLog) -> None:
    conv = log.create()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for item in _turn(n):
                log.append(conv, [item])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = log.items(conv)
    assert [i.seq for i in stored] == list(range(1, 17))
    for n in range(4):  # each writer's items kept their own order
        mine = [i.key for i in stored if i.key.startswith((f"t{n}:", f"call_{n}", f"resp_{n}:"))]
        assert mine == [i.key for i in _turn(n)]


def test_the_log_shares_the_thread_registrys_database(tmp_path: Path) -> None:
    registry = ThreadRegistry(f"sqlite:///{tmp_path / 'shared.db'}")
    log = ConversationLog(engine=registry.engine)
    conv = log.create()
    registry.record(thread_id=conv, backend="responses")
    log.append(conv, _turn(1)[:1])
    assert registry.get(conv) is not None and len(log.items(conv)) == 1
