"""The control API's part of the OpenAPI document: one tag, an operation per control route."""

from __future__ import annotations

import inspect
from typing import Any

from rivya_contract.mock_server.control_api import JOURNAL_FILTERS, REQUEST_SCHEMAS
from rivya_contract.mock_server.routes import CONTROL_ROUTES

TAG = "Mock control"

TAG_DOC = {
    "name": TAG,
    "description": (
        "The mock's own endpoints, outside /api/v1: reset, accounts and keys, balances, the "
        "clock, scripted task outcomes, injected faults and the request journal. Off with "
        "--no-control; with --admin-token they need Authorization: Bearer <admin token>. "
        "Control requests are not recorded in the journal. Any API request may also carry "
        "the header X-Rivya-Mock, directives separated by ';': status=<code|5xx>, "
        "retry-after=<s>, message=<text>, delay=<200ms|1.5s>, drop; and on POST "
        "/api/v1/generations fail[=<code>], succeed, queued=<d>, processing=<d|forever>, "
        "after=<d>. A malformed header is 400 validation_failed."
    ),
}

_BODY = {
    "mockCreateAccount": ("account", "201"),
    "mockSetBalance": ("balance", "200"),
    "mockIssueKey": ("key", "201"),
    "mockAdvanceClock": ("clock", "200"),
    "mockAddScript": ("script", "201"),
    "mockAddFault": ("fault", "201"),
}

_INT = {"type": "integer"}
_STR = {"type": "string"}
_ACCOUNT = {
    "type": "object",
    "required": ["id", "balance", "reserved", "spent", "granted"],
    "properties": {"id": _STR, "balance": _INT, "reserved": _INT, "spent": _INT, "granted": _INT},
}
_KEY = {
    "type": "object",
    "required": ["key", "account_id", "scopes", "revoked", "expires_at"],
    "properties": {
        "key": _STR,
        "account_id": _STR,
        "scopes": {"type": "array", "items": _STR},
        "revoked": {"type": "boolean"},
        "expires_at": {"type": ["string", "null"]},
    },
}
_CLOCK = {
    "type": "object",
    "required": ["now", "epoch", "virtual"],
    "properties": {"now": _STR, "epoch": {"type": "number"}, "virtual": {"type": "boolean"}},
}
_ITEM = {
    "type": "object",
    "description": "The fields it was created with, plus id, used and remaining.",
    "required": ["id", "times", "used", "remaining"],
    "properties": {"id": _STR, "used": _INT},
}
_ENTRY = {
    "type": "object",
    "description": "One request: what was sent (credentials redacted) and the answer.",
    "required": ["at", "request_id", "method", "path", "headers", "body", "status", "code"],
    "properties": {
        "at": _STR,
        "request_id": _STR,
        "method": _STR,
        "path": _STR,
        "query": _STR,
        "headers": {"type": "object", "additionalProperties": _STR},
        "body": _STR,
        "json": {},
        "status": _INT,
        "code": {"type": ["string", "null"]},
        "account_id": {"type": ["string", "null"]},
    },
}
_DELETED = {"type": "object", "required": ["deleted"], "properties": {"deleted": _INT}}


def _listing(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["object", "data"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": item}},
    }


_RESULTS: dict[str, dict[str, Any]] = {
    "mockReset": {"type": "object", "properties": {"reset": {"const": True}}},
    "mockListAccounts": _listing(_ACCOUNT),
    "mockCreateAccount": _ACCOUNT,
    "mockGetAccount": _ACCOUNT,
    "mockSetBalance": _ACCOUNT,
    "mockIssueKey": _KEY,
    "mockGetClock": _CLOCK,
    "mockAdvanceClock": _CLOCK,
    "mockListScripts": _listing(_ITEM),
    "mockAddScript": _ITEM,
    "mockListFaults": _listing(_ITEM),
    "mockAddFault": _ITEM,
    "mockReadJournal": _listing(_ENTRY),
}


def _error(description: str, error_ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": error_ref}}},
    }


def _parameters(path: str, name: str) -> list[dict[str, Any]]:
    found = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": _STR}
        for part in path.split("/")
        if part.startswith("{")
    ]
    if name == "mockReadJournal":
        found += [
            {"name": key, "in": "query", "required": False, "schema": _STR}
            for key in JOURNAL_FILTERS
        ]
    return found


def control_paths(*, admin: bool, error_ref: str) -> dict[str, Any]:
    """Return the OpenAPI path items of the control API.

    ``admin`` says whether an admin token guards it; ``error_ref`` points at
    the error envelope component.
    """
    paths: dict[str, Any] = {}
    for route in CONTROL_ROUTES:
        summary = (inspect.getdoc(route.handler) or route.name).splitlines()[0]
        schema_name, ok = _BODY.get(route.name, (None, "200"))
        responses: dict[str, Any] = {
            ok: {
                "description": "Done.",
                "content": {"application/json": {"schema": _RESULTS.get(route.name, _DELETED)}},
            },
            "400": _error("validation_failed: the body or query is invalid.", error_ref),
        }
        if admin:
            responses["401"] = _error("api_key_missing or api_key_invalid: admin token.", error_ref)
        if "{" in route.path or route.name == "mockIssueKey":  # a key names its account
            responses["404"] = _error("not_found: no such account, script or fault.", error_ref)
        operation: dict[str, Any] = {
            "operationId": route.name,
            "summary": summary,
            "tags": [TAG],
            "security": [{"mockAdmin": []}] if admin else [],
            "responses": responses,
        }
        parameters = _parameters(route.path, route.name)
        if parameters:
            operation["parameters"] = parameters
        if schema_name is not None:
            operation["requestBody"] = {
                "required": schema_name in ("balance", "key", "clock"),
                "content": {"application/json": {"schema": REQUEST_SCHEMAS[schema_name]}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return paths
