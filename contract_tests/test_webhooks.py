"""Webhooks: management checks that cost no credits (they run against live too), and
delivery checks where scenario control can reach the deliveries (the mock).

Against live, the management checks register an endpoint on ``example.com`` (which never
receives anything: no task of theirs finishes) and delete it again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.control import ScenarioControl
from rivya_contract.contract_tests.endpoints import (
    CREATE,
    POLL,
    WEBHOOK,
    WEBHOOK_DELETE,
    WEBHOOK_DELIVERIES,
    WEBHOOK_EVENTS,
    WEBHOOK_LIST,
    WEBHOOK_ROTATE,
    WEBHOOK_UPDATE,
    WEBHOOKS,
)
from rivya_contract.contract_tests.test_generations import TEXT_TO_IMAGE
from rivya_contract.mock_server.serving import AppThread
from rivya_contract.plugin.webhooks import verify_webhook
from rivya_contract.schemas import contract

URL = "https://example.com/rivya/contract-check"


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://user:secret@example.com/hook",
        "https://example.com/hook#fragment",
        "https://169.254.169.254/latest",
        "ftp://example.com/hook",
    ],
)
def test_a_rejected_url_is_webhook_url_rejected(api: ContractClient, url: str) -> None:
    response = api.request("POST", "/api/v1/webhooks", json_body={"url": url})
    expect(response, WEBHOOKS, status=400, code="webhook_url_rejected")


@pytest.fixture
def endpoint(api: ContractClient) -> Iterator[dict[str, Any]]:
    """An https endpoint of the account, deleted after the check."""
    body = {"name": "contract check", "url": URL, "event_types": ["generation.succeeded"]}
    response = api.request("POST", "/api/v1/webhooks", json_body=body)
    created: dict[str, Any] = expect(response, WEBHOOKS, status=201, schema="webhook-endpoint")
    yield created
    api.request("DELETE", f"/api/v1/webhooks/{created['id']}")


def test_create_get_patch_rotate_and_delete_an_endpoint(
    api: ContractClient, endpoint: dict[str, Any]
) -> None:
    path = f"/api/v1/webhooks/{endpoint['id']}"
    assert endpoint["signing_secret"].startswith("whsec_")
    assert (endpoint["url"], endpoint["status"], endpoint["failure_count"]) == (URL, "active", 0)
    shown = expect(api.request("GET", path), WEBHOOK, status=200, schema="webhook-endpoint")
    assert "signing_secret" not in shown and shown["secret_preview"] == endpoint["secret_preview"]
    listed = expect(
        api.request("GET", "/api/v1/webhooks"),
        WEBHOOK_LIST,
        status=200,
        schema="webhook-endpoint-list",
    )
    assert endpoint["id"] in [item["id"] for item in listed["data"]]
    patched = expect(
        api.request("PATCH", path, json_body={"name": "renamed"}),
        WEBHOOK_UPDATE,
        status=200,
        schema="webhook-endpoint",
    )
    assert patched["name"] == "renamed"
    rotated = expect(
        api.request("POST", path + "/rotate-secret"),
        WEBHOOK_ROTATE,
        status=200,
        schema="webhook-endpoint",
    )
    assert rotated["signing_secret"] != endpoint["signing_secret"]
    deliveries = api.request("GET", path + "/deliveries")
    expect(deliveries, WEBHOOK_DELIVERIES, status=200, schema="webhook-delivery-list")
    deleted = expect(api.request("DELETE", path), WEBHOOK_DELETE, status=200)
    assert deleted["id"] == endpoint["id"]
    expect(api.request("GET", path), WEBHOOK, status=404, code="not_found")


def test_a_rejected_patch_changes_nothing(api: ContractClient, endpoint: dict[str, Any]) -> None:
    path = f"/api/v1/webhooks/{endpoint['id']}"
    response = api.request("PATCH", path, json_body={"url": "https://192.168.0.10/hook"})
    expect(response, WEBHOOK_UPDATE, status=400, code="webhook_url_rejected")
    shown = expect(api.request("GET", path), WEBHOOK, status=200, schema="webhook-endpoint")
    assert shown["url"] == URL


def test_the_events_list_matches_its_schema(api: ContractClient) -> None:
    response = api.request("GET", "/api/v1/webhook-events")
    expect(response, WEBHOOK_EVENTS, status=200, schema="webhook-event-list")


def test_an_unknown_endpoint_is_not_found(api: ContractClient) -> None:
    response = api.request("GET", "/api/v1/webhooks/whend_contract_missing")
    expect(response, WEBHOOK, status=404, code="not_found")


class _Receiver:
    """A webhook receiver served over real HTTP: records each delivery, answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        self.received.append((headers, body))
        self.arrived.set()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _wait_for(receiver: _Receiver, control: ScenarioControl, seconds: float = 10.0) -> None:
    """Drive the target's deliveries until one arrives: flush in process, else move its clock."""
    deadline = time.monotonic() + seconds
    while not receiver.received and time.monotonic() < deadline:
        webhooks = getattr(control, "webhooks", None)
        if webhooks is not None:
            webhooks.flush()
        else:
            with contextlib.suppress(Exception):  # a real clock refuses to be moved
                control.clock.advance(1)
        receiver.arrived.wait(0.05)


@pytest.mark.needs_control
@pytest.mark.paid(credits=4)
def test_a_finished_task_is_delivered_signed_with_the_poll_view(
    api: ContractClient, control: ScenarioControl
) -> None:
    receiver = _Receiver()
    with contextlib.ExitStack() as stack:
        webhooks = getattr(control, "webhooks", None)
        if webhooks is not None:  # in process: the deliveries go to the receiver without sockets
            hook_url = "https://contract-receiver.example.com/hook"
            webhooks.route(hook_url, receiver)
        else:  # a served mock delivers over real HTTP
            hook_url = stack.enter_context(AppThread(receiver)).base_url + "/hook"
        created = expect(
            api.request("POST", "/api/v1/webhooks", json_body={"url": hook_url}),
            WEBHOOKS,
            status=201,
            schema="webhook-endpoint",
        )
        response = api.request(
            "POST",
            "/api/v1/generations",
            json_body=TEXT_TO_IMAGE,
            headers={"X-Rivya-Mock": "succeed"},
        )
        task = expect(response, CREATE, status=(200, 201, 202), schema="task")
        _wait_for(receiver, control)
    ((headers, body),) = receiver.received
    event = verify_webhook(
        headers, body, created["signing_secret"], now=float(headers["webhook-timestamp"])
    )
    assert [str(error) for error in contract().validate("webhook-event", event)] == []
    assert event["type"] == "generation.succeeded"
    polled = expect(
        api.request("GET", f"/api/v1/generations/{task['id']}"), POLL, status=200, schema="task"
    )
    assert event["data"] == polled
    attempts = expect(
        api.request("GET", f"/api/v1/webhooks/{created['id']}/deliveries"),
        WEBHOOK_DELIVERIES,
        status=200,
        schema="webhook-delivery-list",
    )["data"]
    assert [a["status_code"] for a in attempts] == [204]
    assert attempts[0]["webhook_id"] == event["id"] == headers["webhook-id"]
    # No later task of this account is to be delivered to the receiver, now gone.
    gone = api.request("DELETE", f"/api/v1/webhooks/{created['id']}")
    expect(gone, WEBHOOK_DELETE, status=200, schema="webhook-endpoint")
