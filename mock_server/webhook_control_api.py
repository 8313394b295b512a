"""The control API of webhooks: delivery faults, resending an event, every attempt (``/__mock__/``).

Bodies are checked by the same rules as the Python calls (``control.schema.json``); a
malformed one is ``400 mock_request_invalid``, an unknown event or endpoint
``404 mock_not_found``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from rivya_contract.mock_server.control import INVALID
from rivya_contract.mock_server.control_api import _body, query_int
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.specs import SpecError
from rivya_contract.mock_server.webhook_records import Attempt
from rivya_contract.mock_server.webhooks import attempt_json

if TYPE_CHECKING:
    from rivya_contract.mock_server.control import Controller


def list_faults(call: Call, control: Controller) -> Reply:
    """List the delivery faults still waiting."""
    faults = [fault.to_json() for fault in control.webhooks.faults]
    return Reply.json(call.ok, {"object": "list", "data": faults})


def add_fault(call: Call, control: Controller) -> Reply:
    """Add a delivery fault: see ``WebhookControl.fault``."""
    try:
        fault = control.webhooks.add_fault(_body(call))
    except SpecError as error:
        raise ApiError(INVALID, str(error)) from None
    return Reply.json(call.ok, fault.to_json())


def clear_faults(call: Call, control: Controller) -> Reply:
    """Remove every delivery fault."""
    return Reply.json(call.ok, {"deleted": control.webhooks.clear()})


def resend(call: Call, control: Controller) -> Reply:
    """Send an event again with the same webhook-id: ``{"endpoint_id"?}``."""
    body = _body(call, "resend-request")
    event_id = call.path_params["eventId"]
    try:
        count = control.webhooks.resend(event_id, body.get("endpoint_id"))
    except KeyError as error:
        raise ApiError("mock_not_found", str(error.args[0])) from None
    return Reply.json(call.ok, {"event_id": event_id, "deliveries": count})


DELIVERIES_LIMIT = 200
"""How many attempts ``GET /__mock__/webhook-deliveries`` returns when no ``limit`` is given."""


def _limit(query: str) -> int:
    """Return the ``limit`` of a query string (the only parameter), or the default."""
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ApiError(INVALID, "the query string is malformed") from None
    unknown = sorted(set(values) - {"limit"})
    if unknown:
        raise ApiError(INVALID, f"unknown parameter {unknown[0]!r}; known: limit")
    if "limit" not in values:
        return DELIVERIES_LIMIT
    return query_int("limit", values["limit"][-1])


def delivery_json(attempt: Attempt) -> dict[str, Any]:
    """Return one attempt as the control API lists it: the public object, account and URL."""
    return {**attempt_json(attempt), "account_id": attempt.account_id, "url": attempt.url}


def list_deliveries(call: Call, control: Controller) -> Reply:
    """List the newest delivery attempts across every account, newest first: ``?limit=``."""
    attempts = control.webhooks.attempts(_limit(call.query))
    data = [delivery_json(attempt) for attempt in attempts]
    return Reply.json(call.ok, {"object": "list", "data": data})
