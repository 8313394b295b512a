"""``GET /__mock__/webhook-deliveries``: every delivery attempt across accounts, newest first."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from webhook_support import create_endpoint, finish_task

from rivya_contract.mock_server import Mock
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import contract


def deliveries(mock: Mock, query: str = "") -> tuple[int, Any]:
    """Return the status and JSON of the control listing, with an optional query string."""
    reply = mock.api.handle("GET", "/__mock__/webhook-deliveries", query=query)
    return reply.status, json.loads(reply.body)


@pytest.fixture
def mock() -> Mock:
    """A virtual-clock mock whose ``https://hooks.example.com/`` receiver answers by path."""
    made = Mock(MockConfig(virtual_clock=True, webhook_retry_schedule=(30.0,)))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500 if request.url.path == "/fails" else 204)

    made.control.webhooks.route("https://hooks.example.com/", handler)
    return made


def test_an_empty_mock_lists_no_attempts(mock: Mock) -> None:
    status, listed = deliveries(mock)
    assert status == 200
    assert listed == {"object": "list", "data": []}
    contract().control_validator("webhook-delivery-attempt-list").validate(listed)


def test_attempts_of_every_account_are_listed_newest_first_with_their_endpoint(
    mock: Mock,
) -> None:
    fine = create_endpoint(mock, "https://hooks.example.com/fine")
    other = mock.control.accounts.create()
    key = mock.control.accounts.issue_key(other.id)
    failing = mock.api.handle(
        "POST",
        "/api/v1/webhooks",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        body=json.dumps({"url": "https://hooks.example.com/fails"}).encode(),
    )
    assert failing.status == 201, failing.body
    failing_id = json.loads(failing.body)["id"]
    task_id = finish_task(mock)
    mock.control.webhooks.flush()

    status, listed = deliveries(mock)
    assert status == 200
    contract().control_validator("webhook-delivery-attempt-list").validate(listed)
    (first,) = listed["data"]
    assert first["endpoint_id"] == fine["id"]
    assert first["account_id"] == "acct_demo"
    assert first["url"] == "https://hooks.example.com/fine"
    assert (first["event_type"], first["attempt"]) == ("generation.succeeded", 1)
    assert (first["status_code"], first["error"], first["next_attempt_at"]) == (204, None, None)
    assert first["webhook_id"] == first["event_id"]
    assert first["succeeded"] is True and first["duration_ms"] >= 0
    event = json.loads(mock.backend.webhooks.store.event(first["event_id"]).body)  # type: ignore[union-attr]
    assert event["data"]["id"] == task_id

    test = mock.api.handle(
        "POST",
        f"/api/v1/webhooks/{failing_id}/test",
        headers={"authorization": f"Bearer {key}"},
    )
    assert test.status == 202, test.body
    mock.control.webhooks.flush()
    newest, older = deliveries(mock)[1]["data"]
    assert older == first
    assert (newest["account_id"], newest["endpoint_id"]) == (other.id, failing_id)
    assert (newest["event_type"], newest["status_code"]) == ("webhook.test", 500)
    assert newest["next_attempt_at"] is not None  # a retry is scheduled 30 s on

    mock.clock.advance(30)
    retried = deliveries(mock)[1]["data"][0]
    assert (retried["event_id"], retried["attempt"]) == (newest["event_id"], 2)
    assert retried["next_attempt_at"] is None  # the schedule ran out


def test_the_limit_bounds_the_listing_to_the_newest(mock: Mock) -> None:
    create_endpoint(mock, "https://hooks.example.com/fine")
    for _ in range(3):
        finish_task(mock)
    mock.control.webhooks.flush()
    everything = deliveries(mock)[1]["data"]
    assert len(everything) == 3
    assert deliveries(mock, "limit=2")[1]["data"] == everything[:2]
    assert deliveries(mock, "limit=0")[1]["data"] == []
    assert [a.id for a in mock.control.webhooks.attempts(1)] == [everything[0]["id"]]


def test_the_default_limit_is_200(mock: Mock) -> None:
    from rivya_contract.mock_server.webhook_records import Attempt

    store = mock.backend.webhooks.store
    for number in range(205):
        store.add_attempt(
            Attempt(
                id=f"whdel_{number}",
                delivery_id="d",
                endpoint_id="we_x",
                event_id="evt_x",
                event_type="webhook.test",
                number=1,
                at=float(number),
                duration_ms=1.0,
                status_code=200,
                error=None,
                succeeded=True,
            )
        )
    listed = deliveries(mock)[1]["data"]
    assert len(listed) == 200
    assert (listed[0]["id"], listed[-1]["id"]) == ("whdel_204", "whdel_5")


@pytest.mark.parametrize("query", ["limit=many", "limit=-1", "since=3", "limit"])
def test_a_bad_query_is_refused(mock: Mock, query: str) -> None:
    status, answer = deliveries(mock, query)
    assert status == 400
    assert answer["error"]["code"] == "mock_request_invalid"


def test_a_reset_forgets_the_attempts(mock: Mock) -> None:
    create_endpoint(mock, "https://hooks.example.com/fine")
    finish_task(mock)
    mock.control.webhooks.flush()
    assert deliveries(mock)[1]["data"]
    mock.control.reset()
    assert deliveries(mock)[1]["data"] == []


def test_the_control_document_describes_the_listing() -> None:
    document = Mock(MockConfig()).api.handle("GET", "/__mock__/openapi.json")
    operation = json.loads(document.body)["paths"]["/__mock__/webhook-deliveries"]["get"]
    assert operation["operationId"] == "mockListWebhookDeliveries"
    assert [p["name"] for p in operation["parameters"]] == ["limit"]
