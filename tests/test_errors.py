"""The public error tree: every error pickles with its context; ``kind`` is the class name;
internal signals are not part of the tree and come out of a session as public errors."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import openaiassistant
from openaiassistant import errors
from openaiassistant.backends.signals import BackendSignal, ConversationBusy, MaybeLanded, StreamBrokeEarly, surfaced
from openaiassistant.redaction import register_secret
from openaiassistant.tools.approval import ApprovalRequired


def _example(cls: type[errors.AssistantError]) -> errors.AssistantError:
    if cls is errors.ConfigError:
        return cls("timeout", "must be a positive number of seconds")
    if cls is errors.OutputValidationError:
        return cls("the answer is not JSON", raw_text="not json", run_id="run_1")
    if issubclass(cls, errors.APIError):
        return cls("create response: boom", http_status=503, code="server_error", thread_id="conv_1")
    if issubclass(cls, errors.RunError):
        return cls("the run failed", code="server_error", run_id="run_1", status="failed")
    return cls("the turn's deadline passed", thread_id="thread_1", status="timeout")


PUBLIC = [getattr(errors, name) for name in errors.__all__]


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_public_error_pickles_with_its_message_and_context(cls: type[errors.AssistantError]) -> None:
    error = _example(cls).with_context(backend="responses", thread_id="thread_9")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cls
    assert str(again) == str(error) and again.message == error.message
    assert vars(again) == vars(error)
    assert again.kind == cls.__name__


def test_a_pickled_error_stays_redacted() -> None:
    register_secret("sk-test-pickled-secret-0001")
    error = errors.ConfigError("api_key", "sk-test-pickled-secret-0001 was rejected")
    assert "sk-test-pickled-secret-0001" not in pickle.dumps(error).decode("latin-1")
    assert "***" in str(pickle.loads(pickle.dumps(error)))


def test_the_package_exports_the_whole_tree() -> None:
    for name in errors.__all__:
        assert getattr(openaiassistant, name) is getattr(errors, name)
    assert set(errors.__all__) <= set(openaiassistant.__all__)


@pytest.mark.parametrize(
    "signal",
    [
        ConversationBusy("thread_1", "run_1"),
        MaybeLanded("submit tool outputs: the connection broke", thread_id="thread_1"),
        StreamBrokeEarly("the run stream broke before the run was named", thread_id="thread_1"),
        ApprovalRequired(pending=[], ran=[]),
    ],
    ids=lambda s: type(s).__name__,
)
def test_internal_signals_are_not_public_errors(signal: Exception) -> None:
    assert not isinstance(signal, errors.AssistantError)


@pytest.mark.parametrize(
    ("signal", "public"),
    [
        (ConversationBusy("thread_1", "run_7"), errors.ActiveRunError),
        (MaybeLanded("submit tool outputs: the connection broke", thread_id="thread_1"), errors.ServerUnavailableError),
        (StreamBrokeEarly("the stream broke early", thread_id="thread_1"), errors.ServerUnavailableError),
    ],
)
def test_a_signal_that_reaches_a_sessions_edge_is_the_public_error_it_stands_for(
    signal: BackendSignal, public: type[errors.AssistantError]
) -> None:
    @surfaced
    def session_method() -> Any:
        raise signal

    with pytest.raises(public) as caught:
        session_method()
    assert caught.value.thread_id == "thread_1"
    assert signal.message in caught.value.message
