"""Scenario control of deliveries: duplicate, reorder, delay, drop and mis-sign the next ones,
and resend an event, from the control API, the X-Rivya-Mock header and Python, all judged
by the one validator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from webhook_support import attempts, call, finish_task, ok

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.specs import SpecError
from rivya_contract.plugin.targets import mock_target
from rivya_contract.plugin.webhook_receiver import WebhookReceiver


@pytest.fixture
def mock() -> Iterator[Mock]:
    made = Mock(MockConfig(virtual_clock=True))
    yield made
    made.close()


@pytest.fixture
def receiver(mock: Mock, rivya_webhooks: WebhookReceiver) -> WebhookReceiver:
    rivya_webhooks.register(mock_target(mock))
    return rivya_webhooks


def endpoint_id(mock: Mock) -> str:
    found: str = ok(call(mock, "GET", "/api/v1/webhooks"))["data"][0]["id"]
    return found


def control(mock: Mock, method: str, path: str, body: Any = None) -> Any:
    data = b"" if body is None else json.dumps(body).encode()
    reply = mock.api.handle(method, path, body=data)
    return reply.status, json.loads(reply.body)


def create_with(mock: Mock, header: str) -> Any:
    body = {"model": "grok-imagine", "prompt": "x"}
    return call(mock, "POST", "/api/v1/generations", body, headers={"x-rivya-mock": header})


def test_duplicate_sends_copies_under_one_webhook_id(mock: Mock, receiver: WebhookReceiver) -> None:
    mock.control.webhooks.fault(duplicate=2)
    finish_task(mock)
    mock.control.webhooks.flush()
    got = receiver.wait_for(3)
    assert len({d.webhook_id for d in got}) == 1 and {d.body for d in got} == {got[0].body}
    assert [a["attempt"] for a in attempts(mock, endpoint_id(mock))] == [1, 1, 1]
    assert mock.control.webhooks.faults == []  # used up


def test_reorder_sends_the_held_event_after_the_next(mock: Mock, receiver: WebhookReceiver) -> None:
    first = finish_task(mock, after=1)
    second = finish_task(mock, after=2)
    mock.control.webhooks.fault(reorder=True, task_id=first)
    mock.clock.advance(2)
    got = receiver.wait_for(2)
    assert [d.event["data"]["id"] for d in got] == [second, first]
    assert got[0].at == got[1].at


def test_a_reordered_event_goes_anyway_when_nothing_follows(
    mock: Mock, receiver: WebhookReceiver
) -> None:
    mock.control.webhooks.fault(reorder=True)
    finish_task(mock)
    mock.control.webhooks.flush()
    assert receiver.deliveries == []
    mock.clock.advance(60)
    assert len(receiver.wait_for(1)) == 1


def test_delay_puts_the_attempt_off_on_the_mock_clock(
    mock: Mock, receiver: WebhookReceiver
) -> None:
    mock.control.webhooks.fault(delay=30)
    finish_task(mock)
    started = mock.clock.now()
    mock.clock.advance(29.5)
    assert receiver.deliveries == []
    mock.clock.advance(0.5)
    (got,) = receiver.wait_for(1)
    assert got.at - started == 30


def test_drop_loses_the_attempt_and_the_retry_delivers(
    mock: Mock, receiver: WebhookReceiver
) -> None:
    mock.control.webhooks.fault(drop=True)
    finish_task(mock)
    mock.control.webhooks.flush()
    assert receiver.deliveries == []
    (dropped,) = attempts(mock, endpoint_id(mock))
    assert dropped["error"].startswith("dropped") and dropped["next_attempt_at"] is not None
    mock.clock.advance(5)
    assert receiver.wait_for(1)[0].webhook_id == dropped["webhook_id"]


def test_the_control_api_adds_lists_and_clears_faults(
    mock: Mock, receiver: WebhookReceiver
) -> None:
    status, added = control(mock, "POST", "/__mock__/webhook-faults", {"sign": "stale", "times": 2})
    assert status == 201 and added["id"].startswith("whfault_") and added["remaining"] == 2
    status, listed = control(mock, "GET", "/__mock__/webhook-faults")
    assert [f["id"] for f in listed["data"]] == [added["id"]]
    finish_task(mock)
    mock.control.webhooks.flush()
    (stale,) = receiver.wait_for(1)
    assert not stale.verified and "old" in (stale.error or "")
    status, cleared = control(mock, "DELETE", "/__mock__/webhook-faults")
    assert (status, cleared) == (200, {"deleted": 1})
    mock.clock.advance(5)
    assert receiver.wait_for(2)[1].verified


def test_the_header_mis_signs_a_created_tasks_events(mock: Mock, receiver: WebhookReceiver) -> None:
    mock.control.script(queued=0, processing=0, times=2)
    ok(create_with(mock, "webhook_sign=future; webhook_duplicate"), 202)
    ok(create_with(mock, "succeed"), 202)
    mock.control.webhooks.flush()
    got = receiver.wait_for(3)
    future = [d for d in got if not d.verified]
    assert len(future) == 2 and all("future" in (d.error or "") for d in future)
    assert len({d.webhook_id for d in future}) == 1
    assert len([d for d in got if d.verified]) == 1


def test_the_header_on_a_test_event(mock: Mock, receiver: WebhookReceiver) -> None:
    path = f"/api/v1/webhooks/{endpoint_id(mock)}/test"
    ok(call(mock, "POST", path, headers={"x-rivya-mock": "webhook-drop"}), 202)
    mock.control.webhooks.flush()
    assert receiver.deliveries == []
    assert attempts(mock, endpoint_id(mock))[0]["error"].startswith("dropped")


def test_resend_from_each_front_end_reuses_the_webhook_id(
    mock: Mock, receiver: WebhookReceiver
) -> None:
    finish_task(mock)
    mock.control.webhooks.flush()
    (first,) = receiver.wait_for(1)
    event_id = first.webhook_id
    status, resent = control(mock, "POST", f"/__mock__/webhook-events/{event_id}/resend")
    assert (status, resent) == (202, {"event_id": event_id, "deliveries": 1})
    header = {"x-rivya-mock": f"webhook_resend={event_id}"}
    ok(call(mock, "GET", "/api/v1/webhook-events", headers=header))
    assert mock.control.webhooks.resend(event_id, endpoint_id(mock)) == 1
    mock.control.webhooks.flush()
    got = receiver.wait_for(4)
    assert {d.webhook_id for d in got} == {event_id} and all(d.verified for d in got)
    assert len(ok(call(mock, "GET", "/api/v1/webhook-events"))["data"]) == 1


def test_every_front_end_gives_the_same_verdict(mock: Mock) -> None:
    with pytest.raises(SpecError) as python:
        mock.control.webhooks.add_fault({"sign": "weird"})
    status, body = control(mock, "POST", "/__mock__/webhook-faults", {"sign": "weird"})
    assert (status, body["error"]["code"]) == (400, "mock_request_invalid")
    assert body["error"]["message"] == str(python.value)
    header = create_with(mock, "webhook_sign=weird")
    error = ok(header, 400)["error"]
    assert error["code"] == "mock_request_invalid"
    assert error["message"] == f"X-Rivya-Mock: webhook_sign=weird: {python.value}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "needs duplicate, delay, drop, reorder or sign"),
        ({"drop": False}, "needs duplicate, delay, drop, reorder or sign"),
        ({"delay": 5, "reorder": True}, "delay or reorder, not both"),
        ({"duplicate": 11}, "duplicate"),
        ({"delay": 0}, "delay"),
        ({"drop": True, "status": 500}, "status"),
    ],
)
def test_malformed_webhook_faults_are_mock_request_invalid(
    mock: Mock, body: dict[str, Any], message: str
) -> None:
    status, answer = control(mock, "POST", "/__mock__/webhook-faults", body)
    assert (status, answer["error"]["code"]) == (400, "mock_request_invalid")
    assert message in answer["error"]["message"]


def test_misplaced_or_unknown_targets_are_mock_errors(mock: Mock) -> None:
    misplaced = call(mock, "GET", "/api/v1/credits", headers={"x-rivya-mock": "webhook_drop"})
    assert ok(misplaced, 400)["error"]["code"] == "mock_request_invalid"
    resend = call(mock, "GET", "/api/v1/credits", headers={"x-rivya-mock": "webhook_resend=e"})
    assert ok(resend, 400)["error"]["code"] == "mock_request_invalid"
    unknown = call(mock, "GET", "/api/v1/webhooks", headers={"x-rivya-mock": "webhook_resend=e"})
    assert ok(unknown, 404)["error"]["code"] == "mock_not_found"
    status, body = control(mock, "POST", "/__mock__/webhook-events/evt_nope/resend")
    assert (status, body["error"]["code"]) == (404, "mock_not_found")
    status, body = control(mock, "POST", "/__mock__/webhook-events/evt_nope/resend", {"x": 1})
    assert (status, body["error"]["code"]) == (400, "mock_request_invalid")
