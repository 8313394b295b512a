"""Tests of the example client: scenario tests with the fixtures, and a property over server
behaviours that catches the naive client's bug and shrinks it to the smallest scenario.

Run them with ``pytest docs/example``; the ``rivya`` plugin is loaded automatically.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from hypothesis import Phase, given, settings
from rivya_client import NaiveRivyaClient, RivyaClient

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.plugin.respx_routes import DEFAULT_BASE_URL, mock_transport
from rivya_contract.plugin.strategies import ServerBehaviour, server_behaviours
from rivya_contract.plugin.targets import Target

MODEL = "grok-imagine"


def on_mock_time(client_class: type[RivyaClient], http: httpx.Client, mock: Mock) -> RivyaClient:
    """Return a client whose waits move the mock's virtual clock instead of real time."""
    return client_class(http, sleep=mock.clock.advance, clock=mock.clock.now)


@pytest.mark.rivya_scenario(outcome="failed", queued=3, processing=20)
def test_generate_returns_a_failed_task(rivya_respx: Target) -> None:
    assert rivya_respx.mock is not None
    with httpx.Client(base_url=rivya_respx.base_url, headers=rivya_respx.headers) as http:
        task = on_mock_time(RivyaClient, http, rivya_respx.mock).generate(MODEL, "a red fox")
    assert task["status"] == "failed"
    assert task["error"]["code"] == "generation_failed"
    assert task["final_credits"] == 0


@pytest.mark.rivya_scenario(queued=5, processing=60)
def test_generate_waits_for_a_minute_long_task_without_real_waiting(rivya_respx: Target) -> None:
    mock = rivya_respx.mock
    assert mock is not None
    started = mock.clock.now()
    with httpx.Client(base_url=rivya_respx.base_url, headers=rivya_respx.headers) as http:
        task = on_mock_time(RivyaClient, http, mock).generate(MODEL, "a red fox")
    assert task["status"] == "succeeded"
    assert task["result"]["primary_url"] == task["result"]["urls"][0]
    assert mock.clock.now() - started >= 65


@pytest.mark.rivya_scenario(
    fault={
        "method": "POST",
        "path": "/api/v1/generations",
        "code": "rate_limited",
        "retry_after": 7,
    }
)
def test_a_rate_limited_create_is_retried_after_retry_after(rivya_respx: Target) -> None:
    mock = rivya_respx.mock
    assert mock is not None
    with httpx.Client(base_url=rivya_respx.base_url, headers=rivya_respx.headers) as http:
        task = on_mock_time(RivyaClient, http, mock).create(MODEL, "a red fox")
    assert task["status"] == "queued"
    first, second = mock.control.journal[-2], mock.control.journal[-1]
    assert (first.status, first.code, second.status) == (429, "rate_limited", 202)
    assert second.at - first.at >= 7
    assert first.idempotency_key is not None
    assert first.idempotency_key == second.idempotency_key


def exercise(client_class: type[RivyaClient], behaviour: ServerBehaviour) -> dict[str, Any]:
    """Run ``generate`` against a fresh mock following ``behaviour``; check what a client owes.

    The client must end with the task's scripted outcome, and after every
    answer carrying ``Retry-After`` it must wait that long before its next
    request.
    """
    mock = Mock(MockConfig(virtual_clock=True))
    behaviour.apply(mock)
    retry_after: dict[str, int] = {}

    def note(response: httpx.Response) -> None:
        if "Retry-After" in response.headers:
            retry_after[response.headers["X-Request-Id"]] = int(response.headers["Retry-After"])

    with httpx.Client(
        base_url=DEFAULT_BASE_URL,
        headers={"Authorization": f"Bearer {mock.config.api_key}"},
        transport=mock_transport(mock),
        event_hooks={"response": [note]},
    ) as http:
        task = on_mock_time(client_class, http, mock).generate(MODEL, "a red fox")
    assert task["status"] == behaviour.outcome
    entries = list(mock.control.journal)
    for answered, following in itertools.pairwise(entries):
        wait = retry_after.get(answered.request_id)
        if wait is not None:
            waited = following.at - answered.at
            assert waited >= wait, f"retried after {waited:g} s; Retry-After said {wait} s"
    return task


def client_honours_the_server(client_class: type[RivyaClient], tried: list[ServerBehaviour]) -> Any:
    """Return a Hypothesis test of ``client_class`` over server behaviours; ``tried`` logs each."""

    @settings(
        max_examples=200,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(behaviour=server_behaviours())
    def check(behaviour: ServerBehaviour) -> None:
        tried.append(behaviour)
        exercise(client_class, behaviour)

    return check


def test_the_fixed_client_handles_every_server_behaviour() -> None:
    tried: list[ServerBehaviour] = []
    client_honours_the_server(RivyaClient, tried)()
    assert any(b.transients for b in tried)
    assert {b.outcome for b in tried} == {"succeeded", "failed"}


def test_the_naive_clients_bug_is_found_and_shrunk() -> None:
    tried: list[ServerBehaviour] = []
    with pytest.raises(AssertionError, match="Retry-After said") as failure:
        client_honours_the_server(NaiveRivyaClient, tried)()
    assert "retried after 1 s" in str(failure.value)
    shrunk = tried[-1]  # Hypothesis replays the minimal failing example last
    # The smallest failing scenario: one transient error whose Retry-After is just
    # longer than the naive one-second back-off, on an instant, successful task.
    assert len(shrunk.transients) == 1
    assert shrunk.transients[0].retry_after == 2
    assert shrunk.transients[0].times == 1
    assert (shrunk.queued, shrunk.processing, shrunk.outcome) == (0, 0, "succeeded")
