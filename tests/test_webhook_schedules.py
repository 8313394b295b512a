"""The delivery-schedule strategy: it reaches every knob, shrinks each to its simplest, and
``play`` runs a schedule against a receiver with every delivery accounted for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import find, settings

from rivya_contract.plugin.strategies import (
    DeliverySchedule,
    EventPlan,
    delivery_schedules,
    play,
)
from rivya_contract.plugin.webhooks import WebhookVerificationError, verify_webhook

QUICK = settings(database=None, derandomize=True, max_examples=2000)

KNOBS: list[tuple[str, Callable[[DeliverySchedule], bool]]] = [
    ("four events", lambda s: len(s.events) == 4),
    ("two duplicates", lambda s: any(e.duplicates == 2 for e in s.events)),
    ("two lost answers", lambda s: any(e.lost_answers == 2 for e in s.events)),
    ("a stale timestamp", lambda s: any(e.stale for e in s.events)),
    ("a long delay", lambda s: any(e.delay >= 100 for e in s.events)),
    ("a failed task", lambda s: any(e.outcome == "failed" for e in s.events)),
    ("a reorder", lambda s: s.reorder),
    ("a rotation", lambda s: s.rotate_secret),
]


@pytest.mark.parametrize(("name", "wanted"), KNOBS, ids=[name for name, _ in KNOBS])
def test_every_knob_is_reached_and_shrinks_to_just_itself(
    name: str, wanted: Callable[[DeliverySchedule], bool]
) -> None:
    found = find(delivery_schedules(), wanted, settings=QUICK)
    assert wanted(found)
    plain = [event for event in found.events if event != EventPlan()]
    if name == "four events":
        assert found.events == (EventPlan(),) * 4 and not found.reorder
    elif name in ("a reorder", "a rotation"):
        assert found.events == (EventPlan(),)
        assert (found.reorder, found.rotate_secret) == (name == "a reorder", name == "a rotation")
    else:
        assert len(found.events) == 1 and len(plain) == 1
        assert not found.reorder and not found.rotate_secret


def test_play_accounts_for_every_delivery() -> None:
    received: list[httpx.Request] = []
    secrets: list[str] = []

    def make_receiver(secret: str, clock: Callable[[], float]) -> Any:
        secrets.append(secret)

        def receive(request: httpx.Request) -> httpx.Response:
            received.append(request)
            try:
                verify_webhook(request.headers, request.content, secret, now=clock())
            except WebhookVerificationError:
                return httpx.Response(401)
            return httpx.Response(204)

        return receive

    schedule = DeliverySchedule(
        events=(
            EventPlan(duplicates=1, after=3),
            EventPlan(outcome="failed", lost_answers=2),
            EventPlan(stale=True, delay=40),
        ),
        rotate_secret=True,
    )
    played = play(schedule, make_receiver)
    assert [outcome for _, outcome in played.tasks] == ["succeeded", "failed", "succeeded"]
    event_of = {event["data"]["id"]: event["id"] for event in played.events}
    assert sorted(event_of) == sorted(task_id for task_id, _ in played.tasks)
    first, second, third = (
        [a for a in played.attempts if a["event_id"] == event_of[task_id]]
        for task_id, _ in played.tasks
    )
    assert [a["status_code"] for a in first] == [204, 204]  # the attempt and its duplicate
    assert [a["status_code"] for a in second] == [500, 500, 204]  # two answers lost
    assert [a["status_code"] for a in third] == [401, 204]  # stale refused, then delayed
    assert third[1]["attempted_at"] > third[0]["attempted_at"]
    assert len(received) == len(played.attempts) == 7
    assert all(len(r.headers["webhook-signature"].split()) == 2 for r in received)  # rotated
    assert len(secrets) == 1
