"""The webhook state as plain records: endpoints, events, deliveries and their attempts.

An *event* is one thing that happened to an account (a task reached a terminal state, or a
test was asked for); its body is rendered once and sent unchanged on every attempt. A
*delivery* is one event on its way to one endpoint: it is attempted until an attempt
succeeds, the retry schedule runs out or the endpoint stops being active. Every *attempt*
is kept and listed under ``/webhooks/{endpointId}/deliveries``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EndpointStatus = Literal["active", "disabled", "revoked"]
DeliveryState = Literal["pending", "succeeded", "failed"]

EVENT_TYPES = ("generation.succeeded", "generation.failed")
"""The documented event types an endpoint can subscribe to."""

TEST_EVENT_TYPE = "webhook.test"
"""The type of the safe event ``POST /webhooks/{endpointId}/test`` sends."""

API_VERSION = "2026-05-11"
"""The ``api_version`` every event carries."""


@dataclass(slots=True)
class SigningSecret:
    """A secret that signs deliveries until ``expires_at`` (None: until rotated)."""

    secret: str
    expires_at: float | None = None


@dataclass(slots=True)
class Endpoint:
    """A webhook endpoint of one account."""

    id: str
    account_id: str
    name: str
    url: str
    event_types: tuple[str, ...]
    secrets: list[SigningSecret]
    """The newest secret first; after a rotation the old one follows until it expires."""
    created_at: float
    updated_at: float
    base_url: str
    """The base URL the endpoint was registered through; events render task URLs with it."""
    status: EndpointStatus = "active"
    failure_count: int = 0
    """Failed attempts in a row since the last success."""
    last_success_at: float | None = None
    last_failure_at: float | None = None
    disabled_at: float | None = None
    revoked_at: float | None = None

    def signing_secrets(self, now: float) -> list[str]:
        """Return the secrets that sign a delivery at ``now``, the newest first."""
        return [s.secret for s in self.secrets if s.expires_at is None or s.expires_at > now]

    def wants(self, event_type: str) -> bool:
        """Return whether the endpoint is active and subscribed to ``event_type``."""
        return self.status == "active" and event_type in self.event_types


@dataclass(slots=True)
class Event:
    """One event of an account, as delivered: its id, type, time and exact body."""

    id: str
    account_id: str
    type: str
    created_at: float
    body: bytes = field(repr=False)
    """The JSON payload, rendered once; every attempt sends these bytes."""
    task_id: str | None = None
    endpoint_id: str | None = None
    """For a test event, the only endpoint it goes to."""


@dataclass(slots=True)
class Delivery:
    """One event on its way to one endpoint."""

    id: str
    endpoint_id: str
    event_id: str
    next_at: float
    """When the next attempt is due."""
    attempts: int = 0
    state: DeliveryState = "pending"
    held: bool = False
    """Held back by scenario control: sent right after the endpoint's next attempt, or at
    ``next_at`` if none comes first."""


@dataclass(slots=True)
class Attempt:
    """One HTTP attempt of a delivery, kept for ``/deliveries``."""

    id: str
    delivery_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    number: int
    """1 for the first attempt of the delivery, 2 for its first retry, ..."""
    at: float
    """When the attempt was sent, on the mock's clock."""
    duration_ms: float
    status_code: int | None
    error: str | None
    succeeded: bool
    next_attempt_at: float | None = None
    """When the delivery is attempted again after this failure; None when it is not."""
    webhook_id: str = ""
    account_id: str = ""
    """The account of the endpoint the attempt went to."""
    url: str = ""
    """The URL the attempt was sent to (the endpoint's URL at the time)."""
