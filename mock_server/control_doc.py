"""The control API's part of the OpenAPI document.

It is read from ``surface.json`` (group control) and ``control.schema.json``.
"""

from __future__ import annotations

import copy
from typing import Any

from rivya_contract.schemas import contract, surface

TAG = "Mock control"

TAG_DOC = {
    "name": TAG,
    "description": (
        "The mock's own endpoints, outside /api/v1: reset, accounts and keys, balances, the "
        "clock, scripted task outcomes, injected faults and the request journal. Off with "
        "--no-control; with --admin-token they need Authorization: Bearer <admin token>. "
        "Control requests are not recorded in the journal. Any API request may also carry "
        "the header X-Rivya-Mock, directives separated by ';': status=<code|5xx>, "
        "retry_after=<s>, message=<text>, delay=<200ms|1.5s>, drop; and on POST "
        "/api/v1/generations fail[=<code>], succeed, queued=<d>, processing=<d|forever>, "
        "after=<d>, queued_polls=<n>, processing_polls=<n>; on a create or POST "
        "/api/v1/webhooks/{endpointId}/test webhook_duplicate[=<n>], webhook_delay=<d>, "
        "webhook_drop, webhook_reorder, webhook_sign=bad|stale|future; on any webhooks:manage "
        "request webhook_resend=<event id>. A malformed header or control request is 400 "
        "mock_request_invalid."
    ),
}


def _shape(name: str) -> dict[str, Any]:
    """Return a ``$defs`` entry of control.schema.json with its local refs inlined."""
    defs = contract().schemas["control"]["$defs"]

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    found: dict[str, Any] = inline(copy.deepcopy(defs[name]))
    return found


def _error(codes: tuple[str, ...], error_ref: str) -> dict[str, Any]:
    return {
        "description": "Error: " + ", ".join(f"`{code}`" for code in codes),
        "content": {"application/json": {"schema": {"$ref": error_ref}}},
    }


def control_paths(*, admin: bool, error_ref: str) -> dict[str, Any]:
    """Return the OpenAPI path items of the control API.

    ``admin`` says whether an admin token guards it; ``error_ref`` points at
    the error envelope component.
    """
    statuses = surface().mock_codes
    paths: dict[str, Any] = {}
    for op in surface().group("control"):
        codes = (*op.codes, "mock_unauthorized") if admin else op.codes
        by_status: dict[int, tuple[str, ...]] = {}
        for code in codes:
            by_status[statuses[code]] = (*by_status.get(statuses[code], ()), code)
        responses: dict[str, Any] = {
            str(op.status): {
                "description": "Done.",
                "content": {"application/json": {"schema": _shape(op.response or "deleted")}},
            },
            **{str(status): _error(found, error_ref) for status, found in by_status.items()},
        }
        operation: dict[str, Any] = {
            "operationId": op.id,
            "summary": op.summary,
            "tags": [TAG],
            "security": [{"mockAdmin": []}] if admin else [],
            "responses": responses,
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in op.path_params
        ]
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in op.query
        ]
        if parameters:
            operation["parameters"] = parameters
        if op.request is not None:
            operation["requestBody"] = {
                "required": op.request_required,
                "content": {"application/json": {"schema": _shape(op.request)}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return paths
