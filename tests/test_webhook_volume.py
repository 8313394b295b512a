"""A thousand tasks finish while the receiver, over real HTTP, answers 500 to half the
attempts: in the end every event is delivered, each under one webhook-id, and none is lost."""

from __future__ import annotations

import random
import time
from collections import Counter

from webhook_support import call, ok

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.plugin.targets import mock_target
from rivya_contract.plugin.webhook_receiver import WebhookReceiver

TASKS = 1000


def test_a_thousand_tasks_with_half_the_attempts_failing_lose_nothing(
    rivya_webhooks: WebhookReceiver,
) -> None:
    config = MockConfig(
        virtual_clock=True,
        credits=4 * TASKS,
        failure_rate=0.3,
        queued_seconds=1,
        processing_seconds=2,
        webhook_retry_schedule=(5.0,) * 30,  # enough retries that halving cannot run out
        webhook_disable_after=10_000,
    )
    mock = Mock(config)
    try:
        endpoint_id = rivya_webhooks.register(mock_target(mock))["id"]
        coin = random.Random(13)
        rivya_webhooks.responder = lambda headers: 500 if coin.random() < 0.5 else 200
        task_ids = []
        for n in range(TASKS):
            body = {"model": "grok-imagine", "prompt": f"task {n}"}
            task_ids.append(ok(call(mock, "POST", "/api/v1/generations", body), 202)["id"])
            if n % 10 == 0:
                mock.clock.advance(0.25)  # tasks finish while others are being created
        started = time.perf_counter()
        mock.clock.advance(3600)
        elapsed = time.perf_counter() - started

        events = ok(call(mock, "GET", "/api/v1/webhook-events"))["data"]
        assert len(events) == TASKS
        assert sorted(event["data"]["id"] for event in events) == sorted(task_ids)
        by_id = {event["id"]: event for event in events}
        assert Counter(event["type"] for event in events).keys() == {
            "generation.succeeded",
            "generation.failed",
        }

        received = rivya_webhooks.deliveries
        statuses = Counter(delivery.status for delivery in received)
        assert 0.4 < statuses[500] / len(received) < 0.6  # half the attempts failed
        delivered = [d.webhook_id for d in received if d.status == 200]
        assert sorted(delivered) == sorted(by_id)  # every event once, under its own id
        assert all(d.verified for d in received)
        assert all(d.event == by_id[d.webhook_id] for d in received)  # same body every time

        listed = ok(call(mock, "GET", f"/api/v1/webhooks/{endpoint_id}/deliveries"))["data"]
        assert len(listed) == len(received)  # every attempt is listed
        assert all(a["webhook_id"] == a["event_id"] for a in listed)
        assert Counter(a["status_code"] for a in listed) == statuses
        assert mock.backend.webhooks.store.next_due() is None  # nothing left pending
        print(f"{len(received)} attempts for {TASKS} events in {elapsed:.2f} s")
    finally:
        mock.close()
