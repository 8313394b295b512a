"""Deliveries over real HTTP to a real receiver on 127.0.0.1: signatures checked by the
independent ``standardwebhooks`` library, retries on the virtual clock, 410, auto-disable,
rotation overlap, in-process receivers, the real clock and tasks timed by polls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import standardwebhooks
from webhook_support import attempts, call, create_endpoint, endpoint, finish_task, ok

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.plugin.targets import mock_target, server_target
from rivya_contract.plugin.webhook_receiver import WebhookReceiver


@pytest.fixture
def mock() -> Iterator[Mock]:
    """A virtual-clock mock whose deliveries stop when the test ends."""
    made = Mock(MockConfig(virtual_clock=True))
    yield made
    made.close()


def register(mock: Mock, receiver: WebhookReceiver, **fields: Any) -> dict[str, Any]:
    return receiver.register(mock_target(mock), **fields)


def library_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Return whether the standardwebhooks library accepts the delivery."""
    try:
        standardwebhooks.Webhook(secret).verify(body, headers)
    except standardwebhooks.WebhookVerificationError:
        return False
    return True


def test_every_delivery_verifies_with_the_standardwebhooks_library(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    created = register(mock, rivya_webhooks)
    secret = created["signing_secret"]
    finish_task(mock, outcome="succeeded")
    finish_task(mock, outcome="failed", after=3)
    ok(call(mock, "POST", f"/api/v1/webhooks/{created['id']}/test"), 202)
    mock.clock.advance(5)
    got = rivya_webhooks.wait_for(3)
    assert sorted(d.event["type"] for d in got) == [
        "generation.failed",
        "generation.succeeded",
        "webhook.test",
    ]
    for delivery in got:
        assert library_verifies(secret, delivery.headers, delivery.body)
        assert delivery.verified and delivery.status == 200
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.webhook_id == delivery.event["id"]


@pytest.mark.parametrize("sign", ["bad", "stale", "future"])
def test_a_mis_signed_delivery_fails_the_library(
    mock: Mock, rivya_webhooks: WebhookReceiver, sign: str
) -> None:
    secret = register(mock, rivya_webhooks)["signing_secret"]
    mock.control.webhooks.fault(sign=sign)  # type: ignore[arg-type]
    finish_task(mock)
    mock.control.webhooks.flush()
    spoiled = rivya_webhooks.wait_for(1)[0]
    assert not library_verifies(secret, spoiled.headers, spoiled.body)
    assert not spoiled.verified and spoiled.status == 400
    mock.clock.advance(5)  # the receiver's 400 is retried, correctly signed
    retried = rivya_webhooks.wait_for(2)[1]
    assert library_verifies(secret, retried.headers, retried.body)
    assert retried.webhook_id == spoiled.webhook_id


def test_three_failures_then_200_make_four_attempts_at_the_scheduled_offsets(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    endpoint_id = register(mock, rivya_webhooks)["id"]
    rivya_webhooks.answer(500, times=3)
    finish_task(mock, after=10)
    finished_at = mock.clock.now() + 10
    mock.clock.advance(86400)
    got = rivya_webhooks.wait_for(4)
    assert [d.status for d in got] == [500, 500, 500, 200]
    schedule = mock.config.webhook_retry_schedule
    expected = [0.0, schedule[0], schedule[0] + schedule[1], sum(schedule[:3])]
    assert [round(d.at - finished_at, 6) for d in got] == expected
    assert len({d.webhook_id for d in got}) == 1
    listed = attempts(mock, endpoint_id)
    assert [a["attempt"] for a in listed] == [1, 2, 3, 4]
    assert [a["status_code"] for a in listed] == [500, 500, 500, 200]
    assert {a["webhook_id"] for a in listed} == {got[0].webhook_id}
    assert listed[-1]["next_attempt_at"] is None and listed[0]["next_attempt_at"] is not None
    shown = endpoint(mock, endpoint_id)
    assert shown["failure_count"] == 0
    assert shown["last_success_at"] is not None and shown["last_failure_at"] is not None
    assert len(rivya_webhooks.deliveries) == 4  # nothing more after the success


def test_a_410_disables_the_endpoint_and_stops_retries(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    endpoint_id = register(mock, rivya_webhooks)["id"]
    rivya_webhooks.answer(410)
    finish_task(mock)
    mock.control.webhooks.flush()
    rivya_webhooks.wait_for(1)
    mock.clock.advance(86400)
    finish_task(mock)
    mock.clock.advance(60)
    shown = endpoint(mock, endpoint_id)
    assert shown["status"] == "disabled"
    assert shown["disabled_at"] is not None
    assert shown["failure_count"] == 1
    assert len(rivya_webhooks.deliveries) == 1
    assert [a["status_code"] for a in attempts(mock, endpoint_id)] == [410]
    reenabled = ok(call(mock, "PATCH", f"/api/v1/webhooks/{endpoint_id}", {"status": "active"}))
    assert (reenabled["status"], reenabled["disabled_at"], reenabled["failure_count"]) == (
        "active",
        None,
        0,
    )


def test_an_endpoint_is_disabled_after_n_failures_in_a_row(
    rivya_webhooks: WebhookReceiver,
) -> None:
    mock = Mock(MockConfig(virtual_clock=True, webhook_disable_after=4))
    try:
        endpoint_id = register(mock, rivya_webhooks)["id"]
        rivya_webhooks.answer(503, times=1000)
        finish_task(mock)
        finish_task(mock, after=1)
        mock.clock.advance(7 * 86400)
        shown = endpoint(mock, endpoint_id)
        assert shown["status"] == "disabled"
        assert shown["failure_count"] == 4
        assert len(rivya_webhooks.deliveries) == 4
        listed = attempts(mock, endpoint_id)
        assert len(listed) == 4 and listed[-1]["next_attempt_at"] is None
    finally:
        mock.close()


def test_a_refused_connection_and_a_timeout_are_retried(rivya_webhooks: WebhookReceiver) -> None:
    mock = Mock(MockConfig(virtual_clock=True, webhook_timeout=0.3))
    try:
        refused = create_endpoint(mock, "http://127.0.0.1:9/nothing-listens-here")["id"]
        slow = register(mock, rivya_webhooks)["id"]
        rivya_webhooks.answer(200, delay=1.0)
        finish_task(mock)
        mock.control.webhooks.flush()
        assert attempts(mock, refused)[0]["error"].startswith("connection failed")
        timed_out = attempts(mock, slow)[0]
        assert timed_out["error"].startswith("timeout") and timed_out["status_code"] is None
        assert timed_out["next_attempt_at"] is not None
        mock.clock.advance(5)
        assert attempts(mock, slow)[-1]["status_code"] == 200
    finally:
        mock.close()


def test_redirects_are_not_followed(mock: Mock, rivya_webhooks: WebhookReceiver) -> None:
    endpoint_id = register(mock, rivya_webhooks)["id"]
    rivya_webhooks.answer(307)
    finish_task(mock)
    mock.control.webhooks.flush()
    assert len(rivya_webhooks.wait_for(1)) == 1
    assert attempts(mock, endpoint_id)[0]["status_code"] == 307
    assert attempts(mock, endpoint_id)[0]["succeeded"] is False


def test_after_a_rotation_both_secrets_verify_until_the_overlap_ends(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    created = register(mock, rivya_webhooks)
    old = created["signing_secret"]
    rotated = ok(call(mock, "POST", f"/api/v1/webhooks/{created['id']}/rotate-secret"))
    new = rotated["signing_secret"]
    assert new != old and rotated["secret_preview"] == new[:8] + "..." + new[-6:]
    rivya_webhooks.trust(new)
    finish_task(mock)
    mock.control.webhooks.flush()
    during = rivya_webhooks.wait_for(1)[0]
    assert len(during.headers["webhook-signature"].split()) == 2
    assert library_verifies(old, during.headers, during.body)
    assert library_verifies(new, during.headers, during.body)
    mock.clock.advance(mock.config.webhook_rotation_overlap + 1)
    rivya_webhooks.clock = mock.clock.now
    finish_task(mock)
    mock.control.webhooks.flush()
    after = rivya_webhooks.wait_for(2)[1]
    assert len(after.headers["webhook-signature"].split()) == 1
    assert after.verified  # the receiver's clock is the mock's, a day on
    assert after.event["type"] == "generation.succeeded"


def test_the_event_carries_the_task_as_poll_shows_it(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    register(mock, rivya_webhooks)
    task_id = finish_task(mock, outcome="failed", after=2)
    mock.clock.advance(2)
    event = rivya_webhooks.wait_for(1)[0].event
    polled = ok(call(mock, "GET", f"/api/v1/generations/{task_id}"))
    assert event["data"] == polled
    assert event["type"] == "generation.failed" and event["api_version"] == "2026-05-11"
    assert event["created_at"] == polled["updated_at"]
    listed = ok(call(mock, "GET", "/api/v1/webhook-events"))["data"]
    assert listed == [event]


def test_tasks_timed_by_polls_fire_on_the_poll_that_finishes_them(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    register(mock, rivya_webhooks)
    mock.control.script(queued_polls=1, processing_polls=1)
    task = ok(
        call(mock, "POST", "/api/v1/generations", {"model": "grok-imagine", "prompt": "x"}), 202
    )
    for _ in range(2):
        ok(call(mock, "GET", f"/api/v1/generations/{task['id']}"))
    mock.control.webhooks.flush()
    assert rivya_webhooks.deliveries == []
    ok(call(mock, "GET", f"/api/v1/generations/{task['id']}"))
    ok(call(mock, "GET", f"/api/v1/generations/{task['id']}"))  # a later poll adds nothing
    mock.control.webhooks.flush()
    (got,) = rivya_webhooks.wait_for(1)
    assert got.event["data"]["id"] == task["id"]
    assert len(ok(call(mock, "GET", "/api/v1/webhook-events"))["data"]) == 1


def test_under_the_real_clock_the_background_worker_delivers(
    rivya_webhooks: WebhookReceiver,
) -> None:
    mock = Mock(MockConfig())
    try:
        register(mock, rivya_webhooks)
        task_id = finish_task(mock)
        (got,) = rivya_webhooks.wait_for(1)  # nobody pumps: the worker does
        assert got.event["data"]["id"] == task_id and got.verified
    finally:
        mock.close()


def test_in_process_delivery_to_an_asgi_app_and_a_callable(mock: Mock) -> None:
    receiver = WebhookReceiver(base_url="https://hooks.example.com")
    mock.control.webhooks.route(receiver.url, receiver.app)
    receiver.register(mock_target(mock))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    mock.control.webhooks.route("https://other.example.com/", handler)
    other = create_endpoint(mock, "https://other.example.com/in")["id"]
    finish_task(mock)
    mock.control.webhooks.flush()
    (got,) = receiver.deliveries
    assert got.verified and got.status == 200
    (request,) = seen
    assert request.headers["webhook-id"] == got.webhook_id
    assert json.loads(request.content) == got.event
    assert attempts(mock, other)[0]["status_code"] == 204


def test_a_slow_receiver_never_holds_up_the_api(rivya_webhooks: WebhookReceiver) -> None:
    from rivya_contract.mock_server.serving import ServerThread

    mock = Mock(MockConfig(webhook_timeout=5.0))
    try:
        with ServerThread(mock) as server:
            target = server_target(mock, server.base_url)
            rivya_webhooks.register(target)
            rivya_webhooks.answer(200, delay=1.5)
            with target.client() as client:
                mock.control.script(queued=0, processing=0)
                body = {"model": "grok-imagine", "prompt": "x"}
                created = client.post("/api/v1/generations", json=body)
                assert created.status_code == 202, created.text
                rivya_webhooks.wait_for(1, answered=False)  # the delivery is in flight
                started = time.monotonic()
                for _ in range(5):
                    assert client.get("/api/v1/credits").status_code == 200
                elapsed = time.monotonic() - started
            assert rivya_webhooks.deliveries == []  # still waiting for the slow answer
            assert elapsed < 1.0
            assert rivya_webhooks.wait_for(1)[0].status == 200
    finally:
        mock.close()


def test_advances_from_many_threads_add_up_while_deliveries_fire(
    mock: Mock, rivya_webhooks: WebhookReceiver
) -> None:
    import threading

    register(mock, rivya_webhooks)
    for n in range(5):
        finish_task(mock, after=n + 1)
    start = mock.clock.now()
    threads = [
        threading.Thread(target=lambda: [mock.clock.advance(0.5) for _ in range(20)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert mock.clock.now() - start == 40.0
    assert len(rivya_webhooks.wait_for(5)) == 5
