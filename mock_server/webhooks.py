"""The nine ``webhooks:manage`` endpoints: parse the call, run one ``Webhooks`` step, render.

The endpoint object is rendered as documented: ``whend_`` id, ``secret_preview`` always,
``signing_secret`` only in the answers of create and rotate-secret.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.exchange import Call, Reply
from rivya_contract.mock_server.generations import parse_json
from rivya_contract.mock_server.signing import secret_preview
from rivya_contract.mock_server.webhook_records import Attempt, Endpoint, Event

if TYPE_CHECKING:
    from rivya_contract.mock_server.backend import Backend


def _when(moment: float | None) -> str | None:
    return None if moment is None else iso(moment)


def endpoint_json(endpoint: Endpoint, secret: str | None = None) -> dict[str, Any]:
    """Return the public endpoint object; ``secret`` is shown only when given."""
    shown: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "name": endpoint.name,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "status": endpoint.status,
        "secret_preview": secret_preview(endpoint.secrets[0].secret),
    }
    if secret is not None:
        shown["signing_secret"] = secret
    shown.update(
        {
            "last_success_at": _when(endpoint.last_success_at),
            "last_failure_at": _when(endpoint.last_failure_at),
            "failure_count": endpoint.failure_count,
            "created_at": iso(endpoint.created_at),
            "updated_at": iso(endpoint.updated_at),
            "disabled_at": _when(endpoint.disabled_at),
            "revoked_at": _when(endpoint.revoked_at),
        }
    )
    return shown


def event_json(event: Event) -> Any:
    """Return an event exactly as its deliveries carry it."""
    return json.loads(event.body)


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """Return one delivery attempt as ``/deliveries`` lists it."""
    return {
        "id": attempt.id,
        "object": "webhook_delivery",
        "endpoint_id": attempt.endpoint_id,
        "event_id": attempt.event_id,
        "event_type": attempt.event_type,
        "webhook_id": attempt.webhook_id,
        "attempt": attempt.number,
        "attempted_at": iso(attempt.at),
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "succeeded": attempt.succeeded,
        "next_attempt_at": _when(attempt.next_attempt_at),
    }


def _listing(call: Call, items: list[Any]) -> Reply:
    return Reply.json(call.ok, {"object": "list", "data": items})


def _account(call: Call, backend: Backend) -> str:
    """Return the caller's account, first resending the header's ``webhook_resend`` event."""
    assert call.account_id is not None
    resend = (call.webhook or {}).get("resend")
    if resend is not None:
        backend.webhooks.resend_directed(call.account_id, resend)
    return call.account_id


def _fault(call: Call) -> dict[str, Any] | None:
    """Return the header's delivery-fault fields, if any."""
    fields = {key: value for key, value in (call.webhook or {}).items() if key != "resend"}
    return fields or None


def create(call: Call, backend: Backend) -> Reply:
    """Register an endpoint; the answer carries its signing secret, this once."""
    endpoint, secret = backend.webhooks.create_endpoint(
        _account(call, backend), parse_json(call), call.base_url
    )
    return Reply.json(call.ok, endpoint_json(endpoint, secret))


def list_endpoints(call: Call, backend: Backend) -> Reply:
    """List the account's endpoints, oldest first."""
    endpoints = backend.webhooks.endpoints(_account(call, backend))
    return _listing(call, [endpoint_json(endpoint) for endpoint in endpoints])


def get(call: Call, backend: Backend) -> Reply:
    """Return one endpoint."""
    endpoint = backend.webhooks.endpoint(_account(call, backend), call.path_params["endpointId"])
    return Reply.json(call.ok, endpoint_json(endpoint))


def update(call: Call, backend: Backend) -> Reply:
    """Change an endpoint: name, url, event_types, status."""
    endpoint_id = call.path_params["endpointId"]
    endpoint = backend.webhooks.update_endpoint(
        _account(call, backend), endpoint_id, parse_json(call)
    )
    return Reply.json(call.ok, endpoint_json(endpoint))


def delete(call: Call, backend: Backend) -> Reply:
    """Revoke an endpoint; answer it as revoked."""
    endpoint = backend.webhooks.delete_endpoint(
        _account(call, backend), call.path_params["endpointId"]
    )
    return Reply.json(call.ok, endpoint_json(endpoint))


def rotate(call: Call, backend: Backend) -> Reply:
    """Give an endpoint a new signing secret; the answer carries it, this once."""
    endpoint, secret = backend.webhooks.rotate_secret(
        _account(call, backend), call.path_params["endpointId"]
    )
    return Reply.json(call.ok, endpoint_json(endpoint, secret))


def test(call: Call, backend: Backend) -> Reply:
    """Send the endpoint a ``webhook.test`` event; answer the event."""
    endpoint_id = call.path_params["endpointId"]
    event = backend.webhooks.send_test(_account(call, backend), endpoint_id, _fault(call))
    return Reply.json(call.ok, event_json(event))


def deliveries(call: Call, backend: Backend) -> Reply:
    """List every attempt to an endpoint, newest first."""
    attempts = backend.webhooks.deliveries(_account(call, backend), call.path_params["endpointId"])
    return _listing(call, [attempt_json(attempt) for attempt in attempts])


def events(call: Call, backend: Backend) -> Reply:
    """List the account's events, newest first."""
    return _listing(
        call, [event_json(event) for event in backend.webhooks.events(_account(call, backend))]
    )
