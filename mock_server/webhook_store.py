"""Where webhook state lives: the ``WebhookStore`` interface and its in-memory store.

As with ``Store``, every method is one atomic step (claim the deliveries due, count an
endpoint's failure and disable it past the limit), so a store shared by several server
processes can implement the same interface.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Protocol

from rivya_contract.mock_server.webhook_records import Attempt, Delivery, Endpoint, Event


class WebhookStore(Protocol):
    """The state behind webhooks. Implementations must make each method atomic."""

    def reset(self) -> None:
        """Forget everything."""

    def add_endpoint(self, endpoint: Endpoint) -> None:
        """Store a new endpoint."""

    def put_endpoint(self, endpoint: Endpoint) -> None:
        """Replace a stored endpoint by the given state."""

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Return an endpoint, or None."""

    def endpoints(self, account_id: str) -> list[Endpoint]:
        """Return the account's endpoints, oldest first."""

    def remove_endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Forget an endpoint and its pending deliveries; return it, or None."""

    def count_result(
        self, endpoint_id: str, *, succeeded: bool, gone: bool, now: float, disable_after: int
    ) -> Endpoint | None:
        """Count one attempt's outcome on the endpoint; disable it on ``gone`` or past the limit.

        A success clears ``failure_count``; a failure adds one. Returns the endpoint after.
        """

    def watch(self, task_id: str, account_id: str, finishes_at: float) -> None:
        """Remember a task of an account with endpoints, to announce when it finishes."""

    def take_finished(self, now: float) -> list[tuple[str, float]]:
        """Remove and return the watched tasks (id, finish time) finished by ``now``."""

    def add_event(self, event: Event) -> None:
        """Store a new event."""

    def event(self, event_id: str) -> Event | None:
        """Return an event, or None."""

    def events(self, account_id: str) -> list[Event]:
        """Return the account's events, newest first."""

    def schedule(self, delivery: Delivery) -> None:
        """Store a delivery, or its new state, due at ``delivery.next_at``."""

    def take_due(self, now: float) -> list[Delivery]:
        """Remove and return the pending deliveries due by ``now``, the earliest first."""

    def release_held(self, endpoint_id: str, now: float) -> int:
        """Make the endpoint's held deliveries due at ``now`` (not later); return how many."""

    def next_due(self) -> float | None:
        """Return the earliest time a delivery or a watched task falls due, or None."""

    def add_attempt(self, attempt: Attempt) -> None:
        """Keep an attempt."""

    def attempts(self, endpoint_id: str) -> list[Attempt]:
        """Return the endpoint's attempts, newest first."""

    def recent_attempts(self, limit: int) -> list[Attempt]:
        """Return at most ``limit`` attempts across every endpoint, newest first."""


def count_outcome(
    endpoint: Endpoint, *, succeeded: bool, gone: bool, now: float, disable_after: int
) -> None:
    """Count one attempt's outcome on ``endpoint`` in place (see ``count_result``)."""
    if succeeded:
        endpoint.failure_count = 0
        endpoint.last_success_at = now
        return
    endpoint.failure_count += 1
    endpoint.last_failure_at = now
    if endpoint.status == "active" and (gone or endpoint.failure_count >= disable_after):
        endpoint.status = "disabled"
        endpoint.disabled_at = endpoint.updated_at = now


class MemoryWebhookStore:
    """The in-process ``WebhookStore``: dictionaries and two heaps, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self._endpoints: dict[str, Endpoint] = {}
            self._events: dict[str, Event] = {}
            self._account_events: dict[str, list[str]] = {}
            self._deliveries: dict[str, Delivery] = {}
            self._held: set[str] = set()
            self._due: list[tuple[float, int, str]] = []
            self._watched: list[tuple[float, str]] = []
            self._attempts: dict[str, list[Attempt]] = {}
            self._all_attempts: list[Attempt] = []
            self._order = itertools.count()

    def add_endpoint(self, endpoint: Endpoint) -> None:
        """Store a new endpoint."""
        with self._lock:
            if endpoint.id in self._endpoints:
                raise ValueError(f"endpoint {endpoint.id} exists")
            self._endpoints[endpoint.id] = endpoint

    def put_endpoint(self, endpoint: Endpoint) -> None:
        """Replace a stored endpoint by the given state."""
        with self._lock:
            if endpoint.id in self._endpoints:
                self._endpoints[endpoint.id] = endpoint

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Return an endpoint, or None."""
        return self._endpoints.get(endpoint_id)

    def endpoints(self, account_id: str) -> list[Endpoint]:
        """Return the account's endpoints, oldest first."""
        with self._lock:
            return [e for e in self._endpoints.values() if e.account_id == account_id]

    def remove_endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Forget an endpoint and its pending deliveries; return it, or None."""
        with self._lock:
            endpoint = self._endpoints.pop(endpoint_id, None)
            for delivery in self._deliveries.values():
                if delivery.endpoint_id == endpoint_id and delivery.state == "pending":
                    delivery.state = "failed"
            return endpoint

    def count_result(
        self, endpoint_id: str, *, succeeded: bool, gone: bool, now: float, disable_after: int
    ) -> Endpoint | None:
        """Count one attempt's outcome on the endpoint; disable it on ``gone`` or past the limit."""
        with self._lock:
            endpoint = self._endpoints.get(endpoint_id)
            if endpoint is not None:
                count_outcome(
                    endpoint, succeeded=succeeded, gone=gone, now=now, disable_after=disable_after
                )
            return endpoint

    def watch(self, task_id: str, account_id: str, finishes_at: float) -> None:
        """Remember a task of an account with endpoints, to announce when it finishes."""
        with self._lock:
            heapq.heappush(self._watched, (finishes_at, task_id))

    def take_finished(self, now: float) -> list[tuple[str, float]]:
        """Remove and return the watched tasks (id, finish time) finished by ``now``."""
        found: list[tuple[str, float]] = []
        with self._lock:
            while self._watched and self._watched[0][0] <= now:
                finishes_at, task_id = heapq.heappop(self._watched)
                found.append((task_id, finishes_at))
        return found

    def add_event(self, event: Event) -> None:
        """Store a new event."""
        with self._lock:
            self._events[event.id] = event
            self._account_events.setdefault(event.account_id, []).append(event.id)

    def event(self, event_id: str) -> Event | None:
        """Return an event, or None."""
        return self._events.get(event_id)

    def events(self, account_id: str) -> list[Event]:
        """Return the account's events, newest first."""
        with self._lock:
            ids = self._account_events.get(account_id, [])
            return [self._events[event_id] for event_id in reversed(ids)]

    def schedule(self, delivery: Delivery) -> None:
        """Store a delivery, or its new state, due at ``delivery.next_at``."""
        with self._lock:
            self._deliveries[delivery.id] = delivery
            if delivery.held and delivery.state == "pending":
                self._held.add(delivery.id)
            else:
                self._held.discard(delivery.id)
            if delivery.state == "pending":
                heapq.heappush(self._due, (delivery.next_at, next(self._order), delivery.id))

    def take_due(self, now: float) -> list[Delivery]:
        """Remove and return the pending deliveries due by ``now``, the earliest first."""
        found: list[Delivery] = []
        taken: set[str] = set()
        with self._lock:
            while self._due and self._due[0][0] <= now:
                due_at, _, delivery_id = heapq.heappop(self._due)
                delivery = self._deliveries.get(delivery_id)
                if delivery is None or delivery.state != "pending":
                    continue
                if delivery.next_at != due_at or delivery_id in taken:
                    continue  # rescheduled since this entry was pushed
                taken.add(delivery_id)
                found.append(delivery)
        return found

    def release_held(self, endpoint_id: str, now: float) -> int:
        """Make the endpoint's held deliveries due at ``now`` (not later); return how many."""
        released = 0
        with self._lock:
            for delivery_id in sorted(self._held):
                delivery = self._deliveries[delivery_id]
                if delivery.endpoint_id == endpoint_id:
                    self._held.discard(delivery_id)
                    delivery.held = False
                    delivery.next_at = now
                    heapq.heappush(self._due, (now, next(self._order), delivery.id))
                    released += 1
        return released

    def next_due(self) -> float | None:
        """Return the earliest time a delivery or a watched task falls due, or None."""
        with self._lock:
            while self._due:
                due_at, _, delivery_id = self._due[0]
                delivery = self._deliveries.get(delivery_id)
                if (
                    delivery is not None
                    and delivery.state == "pending"
                    and delivery.next_at == due_at
                ):
                    break
                heapq.heappop(self._due)
            times = [heap[0][0] for heap in (self._due, self._watched) if heap]
            return min(times) if times else None

    def add_attempt(self, attempt: Attempt) -> None:
        """Keep an attempt."""
        with self._lock:
            self._attempts.setdefault(attempt.endpoint_id, []).append(attempt)
            self._all_attempts.append(attempt)

    def attempts(self, endpoint_id: str) -> list[Attempt]:
        """Return the endpoint's attempts, newest first."""
        with self._lock:
            return list(reversed(self._attempts.get(endpoint_id, [])))

    def recent_attempts(self, limit: int) -> list[Attempt]:
        """Return at most ``limit`` attempts across every endpoint, newest first."""
        with self._lock:
            newest = self._all_attempts[-limit:] if limit > 0 else []
            return list(reversed(newest))
