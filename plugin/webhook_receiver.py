"""A real webhook receiver for tests: it records deliveries, verifies them, answers as told.

``WebhookReceiver`` is a Starlette app (``receiver.app``) that can be served on 127.0.0.1
(the ``rivya_webhooks`` fixture does) or given to the mock in process
(``mock.control.webhooks.route(receiver.url, receiver.app)``). For each POST it

- verifies the Standard Webhooks signature with every secret it trusts
  (``receiver.trust(secret)``; ``register`` does it), the timestamp against ``clock``
  (the mock's clock once registered with a mock), and records a ``ReceivedDelivery``;
- answers the next scripted answer (``answer(500, times=3)``, ``answer(410)``,
  ``answer(200, delay=2.0)`` for a slow one), else ``400`` when the delivery does not
  verify, and ``200`` (or what ``responder(headers)`` chooses) when it does.

``wait_for(n)`` waits on a condition (never a blind sleep) until ``n`` deliveries came.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rivya_contract.plugin.webhooks import WebhookVerificationError, verify_webhook

if TYPE_CHECKING:
    from rivya_contract.plugin.targets import Target

PATH = "/webhook"
"""Where the receiver listens, followed by ``/<n>``: ``reset`` moves it on to a fresh ``n``,
so a late answer to an earlier test's delivery is never recorded as this test's."""


@dataclass(frozen=True)
class ReceivedDelivery:
    """One POST the receiver got, and what it made of it."""

    headers: dict[str, str]
    """The request's headers, names in lower case."""
    body: bytes
    at: float
    """When it arrived, on the receiver's clock (the mock's, once registered)."""
    verified: bool
    error: str | None
    """Why the delivery did not verify; None when it did."""
    status: int
    """What the receiver answered."""

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header: the event's id, the same on every retry."""
        return self.headers.get("webhook-id", "")

    @property
    def event(self) -> dict[str, Any]:
        """The JSON body."""
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class _Answer:
    status: int
    delay: float
    times: int


@dataclass
class WebhookReceiver:
    """A recording, verifying webhook receiver; see the module docstring."""

    base_url: str = "http://127.0.0.1"
    clock: Callable[[], float] = time.time
    """The time a delivery's timestamp is checked against (and ``ReceivedDelivery.at``)."""
    tolerance: int = 300
    secrets: list[str] = field(default_factory=list)
    responder: Callable[[dict[str, str]], int] | None = None
    """Chooses the status for a delivery's headers when no scripted answer is left."""
    deliveries: list[ReceivedDelivery] = field(default_factory=list)
    arrived: int = 0
    """POSTs that have arrived, answered or not yet (a slow answer is still pending)."""
    generation: int = 1
    _answers: list[_Answer] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        """The URL to register as a webhook endpoint."""
        return f"{self.base_url.rstrip('/')}{PATH}/{self.generation}"

    @property
    def app(self) -> Starlette:
        """The ASGI app: one POST route at ``PATH/<n>``."""
        return Starlette(
            routes=[Route(PATH + "/{generation:int}", self._receive, methods=["POST"])]
        )

    def reset(self) -> None:
        """Forget deliveries, secrets and scripted answers; use the system clock again."""
        with self._changed:
            self.generation += 1
            self.arrived = 0
            self.deliveries.clear()
            self.secrets.clear()
            self._answers.clear()
            self.responder = None
            self.clock = time.time

    def trust(self, secret: str) -> None:
        """Verify deliveries with ``secret`` too (the newest first after a rotation)."""
        with self._changed:
            self.secrets.insert(0, secret)

    def answer(self, status: int, *, times: int = 1, delay: float = 0.0) -> None:
        """Answer the next ``times`` deliveries with ``status``, after ``delay`` real seconds."""
        with self._changed:
            self._answers.append(_Answer(status, delay, times))

    def register(self, target: Target, **fields: Any) -> dict[str, Any]:
        """Create a webhook endpoint for this receiver on ``target``; trust its secret.

        ``fields`` go into the create body (``name``, ``event_types``). With a mock
        behind the target, deliveries are verified against the mock's clock.
        """
        with target.client() as client:
            response = client.post("/api/v1/webhooks", json={"url": self.url, **fields})
        response.raise_for_status()
        endpoint: dict[str, Any] = response.json()
        self.trust(endpoint["signing_secret"])
        if target.mock is not None:
            self.clock = target.mock.clock.now
        return endpoint

    def wait_for(
        self, count: int, timeout: float = 10.0, *, answered: bool = True
    ) -> list[ReceivedDelivery]:
        """Wait until at least ``count`` deliveries came; return those answered.

        With ``answered=False`` arrivals count, before their (perhaps slow) answer.
        Raises TimeoutError when they do not come within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while (len(self.deliveries) if answered else self.arrived) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{len(self.deliveries)} of {count} deliveries within {timeout:g} s"
                    )
                self._changed.wait(left)
            return list(self.deliveries)

    def verify(self, headers: dict[str, str], body: bytes) -> str | None:
        """Return None when some trusted secret verifies the delivery, else why not."""
        problem = "no secret trusted yet"
        for secret in list(self.secrets):
            try:
                verify_webhook(headers, body, secret, tolerance=self.tolerance, now=self.clock())
            except WebhookVerificationError as error:
                problem = str(error)
                continue
            return None
        return problem

    def _next_answer(self, headers: dict[str, str], verified: bool) -> _Answer:
        with self._changed:
            if self._answers:
                answer = self._answers[0]
                answer.times -= 1
                if answer.times <= 0:
                    self._answers.pop(0)
                return answer
            responder = self.responder
        if not verified:
            return _Answer(400, 0.0, 1)
        return _Answer(200 if responder is None else responder(headers), 0.0, 1)

    async def _receive(self, request: Request) -> Response:
        if request.path_params["generation"] != self.generation:
            return Response(status_code=410)  # an earlier test's endpoint
        body = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        problem = self.verify(headers, body)
        answer = self._next_answer(headers, problem is None)
        with self._changed:
            self.arrived += 1
            self._changed.notify_all()
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)
        got = ReceivedDelivery(headers, body, self.clock(), problem is None, problem, answer.status)
        with self._changed:
            if request.path_params["generation"] == self.generation:
                self.deliveries.append(got)
                self._changed.notify_all()
        return Response(status_code=answer.status)
