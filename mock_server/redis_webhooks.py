"""The shared ``WebhookStore`` on Redis, in the namespace of a ``RedisStore``.

Records are JSON under ``w:`` keys. Claiming what falls due (deliveries, finished tasks)
is one script that reads and removes in one step, so each due attempt is made by exactly
one process; an endpoint's counted result is a read-modify-write guarded by WATCH.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import redis

from rivya_contract.mock_server.redis_store import RedisStore, num
from rivya_contract.mock_server.webhook_records import (
    Attempt,
    Delivery,
    Endpoint,
    Event,
    SigningSecret,
)
from rivya_contract.mock_server.webhook_store import count_outcome

ATTEMPTS_KEPT = 10_000
"""Most attempts kept across every endpoint for the control API's listing."""


def _endpoint(raw: bytes) -> Endpoint:
    data = json.loads(raw)
    data["event_types"] = tuple(data["event_types"])
    data["secrets"] = [SigningSecret(**each) for each in data["secrets"]]
    return Endpoint(**data)


def _event(raw: bytes) -> Event:
    data = json.loads(raw)
    data["body"] = data["body"].encode()
    return Event(**data)


def _event_json(event: Event) -> str:
    return json.dumps({**asdict(event), "body": event.body.decode()})


class RedisWebhookStore:
    """The webhook state of every process on one namespace."""

    def __init__(self, store: RedisStore) -> None:
        self._client = store.client
        self._run = store.run
        self._p = store.prefix + "w:"

    def reset(self) -> None:
        """Forget every webhook record of the namespace."""
        self._run("reset_webhooks")

    # -- endpoints ------------------------------------------------------------------

    def add_endpoint(self, endpoint: Endpoint) -> None:
        """Store a new endpoint; ValueError if its id exists."""
        if not self._client.set(
            self._p + "e:" + endpoint.id, json.dumps(asdict(endpoint)), nx=True
        ):
            raise ValueError(f"endpoint {endpoint.id} exists")
        self._client.rpush(self._p + "ae:" + endpoint.account_id, endpoint.id)

    def put_endpoint(self, endpoint: Endpoint) -> None:
        """Replace a stored endpoint by the given state (not one that was removed)."""
        self._client.set(self._p + "e:" + endpoint.id, json.dumps(asdict(endpoint)), xx=True)

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Return an endpoint, or None."""
        raw: Any = self._client.get(self._p + "e:" + endpoint_id)
        return None if raw is None else _endpoint(raw)

    def endpoints(self, account_id: str) -> list[Endpoint]:
        """Return the account's endpoints, oldest first."""
        ids: Any = self._client.lrange(self._p + "ae:" + account_id, 0, -1)
        if not ids:
            return []
        found: Any = self._client.mget([self._p + "e:" + each.decode() for each in ids])
        return [_endpoint(raw) for raw in found if raw is not None]

    def remove_endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Forget an endpoint and fail its pending deliveries, in one script."""
        raw = self._run("remove_endpoint", endpoint_id)
        return None if raw is None else _endpoint(raw)

    def count_result(
        self, endpoint_id: str, *, succeeded: bool, gone: bool, now: float, disable_after: int
    ) -> Endpoint | None:
        """Count one attempt's outcome on the endpoint, atomically (WATCH, retried)."""
        key = self._p + "e:" + endpoint_id
        counted: list[Endpoint | None] = []

        def count(pipe: redis.client.Pipeline) -> None:
            counted.clear()
            raw: Any = pipe.get(key)
            endpoint = None if raw is None else _endpoint(raw)
            counted.append(endpoint)
            if endpoint is None:
                return
            count_outcome(
                endpoint, succeeded=succeeded, gone=gone, now=now, disable_after=disable_after
            )
            pipe.multi()
            pipe.set(key, json.dumps(asdict(endpoint)))

        self._client.transaction(count, key)  # retried while another process changes it
        return counted[0]

    # -- tasks to announce, events --------------------------------------------------

    def watch(self, task_id: str, account_id: str, finishes_at: float) -> None:
        """Remember a task to announce when it finishes."""
        self._client.zadd(self._p + "watched", {task_id: finishes_at})

    def take_finished(self, now: float) -> list[tuple[str, float]]:
        """Claim the watched tasks finished by ``now`` (no other process gets them)."""
        flat = self._run("take_due", "w:watched", num(now))
        return [(flat[i].decode(), float(flat[i + 1])) for i in range(0, len(flat), 2)]

    def add_event(self, event: Event) -> None:
        """Store a new event."""
        pipe = self._client.pipeline()
        pipe.set(self._p + "v:" + event.id, _event_json(event))
        pipe.rpush(self._p + "av:" + event.account_id, event.id)
        pipe.execute()

    def event(self, event_id: str) -> Event | None:
        """Return an event, or None."""
        raw: Any = self._client.get(self._p + "v:" + event_id)
        return None if raw is None else _event(raw)

    def events(self, account_id: str) -> list[Event]:
        """Return the account's events, newest first."""
        ids: Any = self._client.lrange(self._p + "av:" + account_id, 0, -1)
        if not ids:
            return []
        found: Any = self._client.mget([self._p + "v:" + each.decode() for each in ids])
        return [_event(raw) for raw in reversed(found) if raw is not None]

    # -- deliveries -----------------------------------------------------------------

    def schedule(self, delivery: Delivery) -> None:
        """Store a delivery, or its new state, due at ``delivery.next_at`` when pending."""
        pipe = self._client.pipeline()
        pipe.set(self._p + "d:" + delivery.id, json.dumps(asdict(delivery)))
        pipe.sadd(self._p + "ed:" + delivery.endpoint_id, delivery.id)
        if delivery.state == "pending":
            pipe.zadd(self._p + "due", {delivery.id: delivery.next_at})
        else:
            pipe.zrem(self._p + "due", delivery.id)
        if delivery.held and delivery.state == "pending":
            pipe.sadd(self._p + "held", delivery.id)
        else:
            pipe.srem(self._p + "held", delivery.id)
        pipe.execute()

    def take_due(self, now: float) -> list[Delivery]:
        """Claim the pending deliveries due by ``now``, the earliest first."""
        flat = self._run("take_due", "w:due", num(now))
        ids = [flat[i].decode() for i in range(0, len(flat), 2)]
        if not ids:
            return []
        found: Any = self._client.mget([self._p + "d:" + each for each in ids])
        deliveries = [Delivery(**json.loads(raw)) for raw in found if raw is not None]
        return [delivery for delivery in deliveries if delivery.state == "pending"]

    def release_held(self, endpoint_id: str, now: float) -> int:
        """Make the endpoint's held deliveries due at ``now``, in one script."""
        return int(self._run("release_held", endpoint_id, num(now)))

    def next_due(self) -> float | None:
        """Return the earliest time a delivery or a watched task falls due, or None."""
        pipe = self._client.pipeline(transaction=False)
        pipe.zrange(self._p + "due", 0, 0, withscores=True)
        pipe.zrange(self._p + "watched", 0, 0, withscores=True)
        times = [float(found[0][1]) for found in pipe.execute() if found]
        return min(times) if times else None

    # -- attempts -------------------------------------------------------------------

    def add_attempt(self, attempt: Attempt) -> None:
        """Keep an attempt (the cross-endpoint listing keeps the newest 10,000)."""
        raw = json.dumps(asdict(attempt))
        pipe = self._client.pipeline()
        pipe.rpush(self._p + "at:" + attempt.endpoint_id, raw)
        pipe.rpush(self._p + "attempts", raw)
        pipe.ltrim(self._p + "attempts", -ATTEMPTS_KEPT, -1)
        pipe.execute()

    def attempts(self, endpoint_id: str) -> list[Attempt]:
        """Return the endpoint's attempts, newest first."""
        found: Any = self._client.lrange(self._p + "at:" + endpoint_id, 0, -1)
        return [Attempt(**json.loads(raw)) for raw in reversed(found)]

    def recent_attempts(self, limit: int) -> list[Attempt]:
        """Return at most ``limit`` attempts across every endpoint, newest first."""
        if limit <= 0:
            return []
        found: Any = self._client.lrange(self._p + "attempts", -limit, -1)
        return [Attempt(**json.loads(raw)) for raw in reversed(found)]
