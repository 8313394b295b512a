"""The webhook domain: the steps behind the nine ``webhooks:manage`` endpoints.

``Webhooks`` (``backend.webhooks``) owns an account's endpoints and events; each public
method is one whole step, like the ``Backend``'s: it checks the body against its schema
and the URL against the documented rules, finds the endpoint (another account's is
``not_found``), changes the store and hands deliveries to the ``Dispatcher``. It returns
records; ``webhooks.py`` renders them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rivya_contract.mock_server.clock import Clock
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.records import Task
from rivya_contract.mock_server.rules import Rules
from rivya_contract.mock_server.signing import new_signing_secret
from rivya_contract.mock_server.validation import refuse
from rivya_contract.mock_server.webhook_dispatch import Dispatcher, Render, event_body
from rivya_contract.mock_server.webhook_records import (
    EVENT_TYPES,
    TEST_EVENT_TYPE,
    Attempt,
    Endpoint,
    Event,
    SigningSecret,
)
from rivya_contract.mock_server.webhook_store import WebhookStore
from rivya_contract.mock_server.webhook_urls import check_webhook_url
from rivya_contract.schemas import contract

TEST_MESSAGE = "A test event sent by POST /webhooks/{endpointId}/test; it stands for no task."


class Webhooks:
    """The webhook endpoints, events and deliveries of one mock."""

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
        self._new_id = new_id
        self.dispatcher = Dispatcher(config, store, clock, task, new_id, render, rules)
        """The delivery engine: ``flush()``, ``signer``, ``sender``, ``faults``."""

    def reset(self) -> None:
        """Forget every endpoint, event, delivery and delivery fault."""
        self.dispatcher.reset(self.store.reset)

    def watch(self, task: Task) -> None:
        """Announce ``task`` to the account's endpoints when it finishes (a backend hook)."""
        self.dispatcher.watch(task)

    # -- endpoints ----------------------------------------------------------------

    def create_endpoint(self, account_id: str, body: Any, base_url: str) -> tuple[Endpoint, str]:
        """Register an endpoint; return it and its signing secret (shown this once)."""
        self._validated("webhook-endpoint-request", body)
        self._check_url(body["url"])
        now = self.clock.now()
        secret = new_signing_secret()
        endpoint = Endpoint(
            id=self._new_id("whend"),
            account_id=account_id,
            name=body.get("name"),
            url=body["url"],
            event_types=tuple(body.get("event_types", EVENT_TYPES)),
            secrets=[SigningSecret(secret)],
            created_at=now,
            updated_at=now,
            base_url=base_url,
        )
        self.store.add_endpoint(endpoint)
        return endpoint, secret

    def endpoints(self, account_id: str) -> list[Endpoint]:
        """Return the account's endpoints, oldest first."""
        return self.store.endpoints(account_id)

    def endpoint(self, account_id: str, endpoint_id: str) -> Endpoint:
        """Return one of the account's endpoints; anything else is ``not_found``."""
        endpoint = self.store.endpoint(endpoint_id)
        if endpoint is None or endpoint.account_id != account_id:
            raise ApiError("not_found", "No such webhook endpoint.")
        return endpoint

    def update_endpoint(self, account_id: str, endpoint_id: str, body: Any) -> Endpoint:
        """Change an endpoint's name, URL, event types or status (active re-enables it)."""
        endpoint = self.endpoint(account_id, endpoint_id)
        self._validated("webhook-endpoint-update", body)
        if "url" in body:
            self._check_url(body["url"])
        now = self.clock.now()
        changed = replace(endpoint, updated_at=now)
        if "name" in body:
            changed.name = body["name"]
        if "url" in body:
            changed.url = body["url"]
        if "event_types" in body:
            changed.event_types = tuple(body["event_types"])
        if body.get("status") == "active" and endpoint.status != "active":
            changed.status, changed.disabled_at, changed.failure_count = "active", None, 0
        elif body.get("status") == "disabled" and endpoint.status != "disabled":
            changed.status, changed.disabled_at = "disabled", now
        self.store.put_endpoint(changed)
        return changed

    def delete_endpoint(self, account_id: str, endpoint_id: str) -> Endpoint:
        """Revoke and forget an endpoint; return it as revoked. Its pending deliveries end."""
        endpoint = self.endpoint(account_id, endpoint_id)
        self.store.remove_endpoint(endpoint_id)
        now = self.clock.now()
        return replace(endpoint, status="revoked", revoked_at=now, updated_at=now)

    def rotate_secret(self, account_id: str, endpoint_id: str) -> tuple[Endpoint, str]:
        """Give the endpoint a new secret; the old one keeps signing for the overlap."""
        endpoint = self.endpoint(account_id, endpoint_id)
        now = self.clock.now()
        secret = new_signing_secret()
        overlap = self.config.webhook_rotation_overlap
        kept = [
            SigningSecret(old.secret, now + overlap if old.expires_at is None else old.expires_at)
            for old in endpoint.secrets
            if overlap > 0 and (old.expires_at is None or old.expires_at > now)
        ]
        changed = replace(endpoint, secrets=[SigningSecret(secret), *kept], updated_at=now)
        self.store.put_endpoint(changed)
        return changed, secret

    # -- events and deliveries ----------------------------------------------------

    def send_test(self, account_id: str, endpoint_id: str, fault: Any = None) -> Event:
        """Send the endpoint a safe ``webhook.test`` event, whatever it subscribes to.

        ``fault`` holds delivery-fault fields for its first attempt (the request's directive).
        """
        endpoint = self.endpoint(account_id, endpoint_id)
        now = self.clock.now()
        event_id = self._new_id("evt")
        data = {"object": "webhook_test", "endpoint_id": endpoint.id, "message": TEST_MESSAGE}
        body = event_body(event_id, TEST_EVENT_TYPE, now, data)
        event = Event(event_id, account_id, TEST_EVENT_TYPE, now, body, endpoint_id=endpoint.id)
        self.store.add_event(event)
        if fault:
            self.dispatcher.faults.add({**fault, "event_id": event_id})
        if endpoint.status == "active":
            self.dispatcher.deliver(event, [endpoint], now)
        return event

    def deliveries(self, account_id: str, endpoint_id: str) -> list[Attempt]:
        """Return every attempt to one of the account's endpoints, newest first."""
        self.endpoint(account_id, endpoint_id)
        return self.store.attempts(endpoint_id)

    def events(self, account_id: str) -> list[Event]:
        """Return the account's events, newest first."""
        return self.store.events(account_id)

    def resend_directed(self, account_id: str, event_id: str) -> int:
        """Resend one of the account's events (the header's ``webhook_resend``).

        Raises ``ApiError`` ``mock_not_found`` for any other event id.
        """
        event = self.store.event(event_id)
        if event is None or event.account_id != account_id:
            raise ApiError("mock_not_found", f"X-Rivya-Mock: no such event: {event_id}")
        return self.resend(event_id)

    def resend(self, event_id: str, endpoint_id: str | None = None) -> int:
        """Send an event again, same webhook-id, to its endpoints (or one); return how many.

        Raises KeyError for an unknown event or an endpoint of another account.
        """
        event = self.store.event(event_id)
        if event is None:
            raise KeyError(f"no such event: {event_id}")
        if endpoint_id is not None:
            endpoint = self.store.endpoint(endpoint_id)
            if endpoint is None or endpoint.account_id != event.account_id:
                raise KeyError(f"no such endpoint: {endpoint_id}")
            targets = [endpoint] if endpoint.status == "active" else []
        elif event.endpoint_id is not None:
            own = self.store.endpoint(event.endpoint_id)
            targets = [own] if own is not None and own.status == "active" else []
        else:
            targets = [e for e in self.store.endpoints(event.account_id) if e.wants(event.type)]
        return len(self.dispatcher.deliver(event, targets, self.clock.now()))

    # -- the steps' shared parts --------------------------------------------------

    def _validated(self, schema: str, body: Any) -> None:
        refuse(contract().validate(schema, body))

    def _check_url(self, url: str) -> None:
        reason = check_webhook_url(url, allow_local_http=self.config.webhook_allow_local_http)
        if reason is not None:
            raise ApiError("webhook_url_rejected", f"url: {reason}")
