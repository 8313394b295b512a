"""The delivery engine: announce finished tasks, attempt due deliveries, retry on the schedule.

``Dispatcher.pump(now)`` is the one step that moves webhooks on: it turns the watched tasks
that finished by ``now`` into events (one delivery per active, subscribed endpoint), then
makes every attempt due by ``now``, records it, counts the endpoint's failures (``410``
disables at once, ``disable_after`` failures in a row too) and schedules the retry after the
configured backoff. Pumps never run at once (one lock), and never hold the mock's request
lock, so no API request waits for a receiver.

Who pumps:

- a worker thread, started when something is scheduled, pumps what is due at the clock's
  current time; it ends when nothing is left (on a virtual clock: nothing due now);
- advancing the clock pumps too: a virtual clock is moved through every moment something
  falls due up to its new time, pumping at each, so the attempts of a day of retries are
  made at their scheduled times in milliseconds; a system clock pumps once after its jump;
- ``flush()`` pumps in the caller's thread: when it returns, everything due now was tried.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from rivya_contract.mock_server.clock import Clock, iso
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.records import Task
from rivya_contract.mock_server.rules import Rules
from rivya_contract.mock_server.signing import (
    Signer,
    StandardWebhooksSigner,
    corrupt_signatures,
    future_timestamp,
    stale_timestamp,
)
from rivya_contract.mock_server.webhook_faults import DeliveryFaults, DeliveryFaultSpec
from rivya_contract.mock_server.webhook_records import (
    API_VERSION,
    Attempt,
    Delivery,
    Endpoint,
    Event,
)
from rivya_contract.mock_server.webhook_send import Outcome, Sender
from rivya_contract.mock_server.webhook_store import WebhookStore

REORDER_WAIT = 60.0
"""Seconds a reordered delivery waits for the endpoint's next attempt before it goes anyway."""

IDLE_WAIT = 0.5
"""Longest the worker sleeps before looking again for something due."""

DROPPED = "dropped by scenario control: the receiver never saw this attempt"

Render = Callable[[Task, float, str], dict[str, Any]]
"""Renders a task as the API shows it at a time, with a base URL (the poll serializer)."""


def event_body(event_id: str, event_type: str, created_at: float, data: Any) -> bytes:
    """Return the JSON payload of an event, as every attempt of it sends it."""
    payload = {
        "id": event_id,
        "type": event_type,
        "api_version": API_VERSION,
        "created_at": iso(created_at),
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Dispatcher:
    """Delivers one mock's webhook events; see the module docstring for who pumps when."""

    def __init__(
        self,
        config: MockConfig,
        store: WebhookStore,
        clock: Clock,
        task: Callable[[str], Task | None],
        new_id: Callable[[str], str],
        render: Render,
        rules: Rules,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.signer: Signer = StandardWebhooksSigner()
        """Signs every attempt; replace it to sign another way."""
        self.sender = Sender(config.webhook_timeout)
        """Sends every attempt; ``sender.route(prefix, app)`` delivers in process."""
        self.faults = DeliveryFaults(rules)
        self._task = task
        self._new_id = new_id
        self._render = render
        self._pump_lock = threading.RLock()
        self._wake = threading.Event()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._stopped = False
        self.on_attempt: Callable[[str, str], object] | None = None
        """Called with (event type, outcome: delivered, failed or dropped) for every attempt."""
        self._writes = threading.Lock()
        """Held while a pump writes what an attempt or an announcement found, and by reset."""
        self._generation = 0
        """Bumped by ``reset``: a pump that began before it writes nothing after it."""
        clock.on_advance = self._advanced

    # -- what schedules work ------------------------------------------------------

    def watch(self, task: Task) -> None:
        """Announce ``task`` when it finishes, if its account has an endpoint now."""
        if task.finishes and self.store.endpoints(task.account_id):
            self.store.watch(task.id, task.account_id, task.finishes_at)
            # On a virtual clock a later finish is pumped by the advance that reaches it.
            if not self.clock.virtual or task.finishes_at <= self.clock.now():
                self.kick()

    def deliver(self, event: Event, endpoints: list[Endpoint], at: float) -> list[Delivery]:
        """Schedule ``event`` for each of ``endpoints``, first attempt at ``at``."""
        made = []
        for endpoint in endpoints:
            delivery = Delivery(self._new_id("whmsg"), endpoint.id, event.id, at)
            self.store.schedule(delivery)
            made.append(delivery)
        self.kick()
        return made

    def kick(self) -> None:
        """Wake the worker (starting it if needed) to pump what is due."""
        with self._worker_lock:
            if self._stopped:
                return
            self._wake.set()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="rivya-webhooks")
                self._worker.daemon = True
                self._worker.start()

    def stop(self) -> None:
        """End the worker and close connections; nothing is delivered in the background after."""
        with self._worker_lock:
            self._stopped = True
            self._wake.set()
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=self.config.webhook_timeout + 5)
        self.sender.close()

    def reset(self, clear_store: Callable[[], None]) -> None:
        """Forget the delivery faults and, through ``clear_store``, the store's state.

        A pump still sending when this runs drops what it learns instead of writing
        it into the fresh state.
        """
        with self._writes:
            self._generation += 1
            clear_store()
            self.faults.clear()

    # -- who pumps ----------------------------------------------------------------

    def flush(self) -> None:
        """Pump in this thread until nothing is due at the clock's current time."""
        with self._pump_lock:
            self.pump(self.clock.now())

    def _advanced(self, target: float) -> None:
        """Clock hook: pump at every moment something falls due up to ``target``."""
        clock = self.clock
        with self._pump_lock:
            if clock.virtual:
                while (due := self.store.next_due()) is not None and due <= target:
                    if due > clock.now():
                        clock.set(due)
                    self.pump(clock.now())
                if target > clock.now():
                    clock.set(target)
            self.pump(clock.now())

    def _work(self) -> None:
        while True:
            self._wake.clear()
            with self._pump_lock:
                self.pump(self.clock.now())
                due = self.store.next_due()
            # On a virtual clock only an advance (which pumps itself) makes later work due.
            idle = due is None or (self.clock.virtual and due > self.clock.now())
            with self._worker_lock:
                if self._stopped or (idle and not self._wake.is_set()):
                    self._worker = None
                    return
            wait = IDLE_WAIT if due is None else min(IDLE_WAIT, max(due - self.clock.now(), 0.001))
            self._wake.wait(wait)

    # -- the step -----------------------------------------------------------------

    def pump(self, now: float) -> int:
        """Announce tasks finished by ``now``, make the attempts due by then; return how many."""
        made = 0
        with self._pump_lock:
            while not self._stopped:
                self._announce(now)
                due = self.store.take_due(now)
                if not due:
                    return made
                for delivery in due:
                    made += self._attempt(delivery, now)
        return made

    def _announce(self, now: float) -> None:
        generation = self._generation
        for task_id, finished_at in self.store.take_finished(now):
            task = self._task(task_id)
            if task is None:
                continue
            endpoints = self.store.endpoints(task.account_id)
            if not endpoints:
                continue
            event_type = f"generation.{task.outcome}"
            data = self._render(task, finished_at, endpoints[-1].base_url)
            event_id = self._new_id("evt")
            body = event_body(event_id, event_type, finished_at, data)
            event = Event(event_id, task.account_id, event_type, finished_at, body, task.id)
            with self._writes:
                if generation != self._generation:
                    return
                self.store.add_event(event)
                self.deliver(event, [e for e in endpoints if e.wants(event_type)], finished_at)

    def _attempt(self, delivery: Delivery, now: float) -> int:
        generation = self._generation
        endpoint = self.store.endpoint(delivery.endpoint_id)
        event = self.store.event(delivery.event_id)
        if endpoint is None or event is None or endpoint.status != "active":
            delivery.state = "failed"
            self._keep(delivery, generation)
            return 0
        fault = self.faults.take(endpoint.id, event.type, event.id, event.task_id)
        if fault is not None and (fault.delay > 0 or fault.reorder):
            delivery.held = fault.reorder
            delivery.next_at = now + (fault.delay if fault.delay > 0 else REORDER_WAIT)
            self._keep(delivery, generation)
            return 0
        headers = self._signed(endpoint, event, now, fault)
        if fault is not None and fault.drop:
            outcome = Outcome(None, DROPPED, 0.0)
        else:
            outcome = self.sender.send(endpoint.url, headers, event.body)
        copies: list[Outcome] = []
        for _ in range(fault.duplicate if fault is not None else 0):
            copies.append(self.sender.send(endpoint.url, headers, event.body))
        with self._writes:
            if generation != self._generation:
                return 0  # a reset came while sending: the attempt belongs to forgotten state
            return self._count(delivery, endpoint, event, now, outcome, copies)

    def _keep(self, delivery: Delivery, generation: int) -> None:
        """Store ``delivery`` back, unless a reset forgot its state meanwhile."""
        with self._writes:
            if generation == self._generation:
                self.store.schedule(delivery)

    def _count(
        self,
        delivery: Delivery,
        endpoint: Endpoint,
        event: Event,
        now: float,
        outcome: Outcome,
        copies: list[Outcome],
    ) -> int:
        """Record what one attempt (and its duplicates) found, and schedule what follows."""
        delivery.attempts += 1
        counted = self.store.count_result(
            endpoint.id,
            succeeded=outcome.succeeded,
            gone=outcome.status == 410,
            now=now,
            disable_after=self.config.webhook_disable_after,
        )
        schedule = self.config.webhook_retry_schedule
        active = counted is not None and counted.status == "active"
        if outcome.succeeded:
            delivery.state = "succeeded"
        elif not active or delivery.attempts > len(schedule):
            delivery.state = "failed"
        else:
            delivery.next_at = now + schedule[delivery.attempts - 1]
        retry_at = delivery.next_at if delivery.state == "pending" else None
        for sent in (outcome, *copies):
            self.store.add_attempt(self._record(endpoint, delivery, event, now, sent, retry_at))
            if self.on_attempt is not None:
                kind = (
                    "delivered"
                    if sent.succeeded
                    else "dropped"
                    if sent.error == DROPPED
                    else "failed"
                )
                self.on_attempt(event.type, kind)
        self.store.schedule(delivery)
        self.store.release_held(endpoint.id, now)
        return 1 + len(copies)

    def _signed(
        self, endpoint: Endpoint, event: Event, now: float, fault: DeliveryFaultSpec | None
    ) -> dict[str, str]:
        sign = fault.sign if fault is not None else None
        stamp = int(now)
        if sign == "stale":
            stamp = stale_timestamp(now)
        elif sign == "future":
            stamp = future_timestamp(now)
        headers = self.signer.headers(event.id, stamp, event.body, endpoint.signing_secrets(now))
        return corrupt_signatures(headers) if sign == "bad" else headers

    def _record(
        self,
        endpoint: Endpoint,
        delivery: Delivery,
        event: Event,
        now: float,
        outcome: Outcome,
        retry_at: float | None,
    ) -> Attempt:
        return Attempt(
            id=self._new_id("whdel"),
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=event.id,
            event_type=event.type,
            number=delivery.attempts,
            at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status,
            error=outcome.error,
            succeeded=outcome.succeeded,
            next_attempt_at=retry_at,
            webhook_id=event.id,
            account_id=endpoint.account_id,
            url=endpoint.url,
        )
