"""The control API's OpenAPI document, served at ``/__mock__/openapi.json``.

It is read from ``surface.json`` (group control) and ``control.schema.json``,
whose ``$defs`` become its components (``MockAccount``, ``MockFault``, ...).
"""

from __future__ import annotations

import re
from typing import Any

from rivya_contract.schemas import contract, surface
from rivya_contract.schemas.openapi import component_name, embed, published, servers

TAG = "Mock control"

LOCAL_URL = "http://127.0.0.1:8000"
"""The server a control document names when it was not asked for over HTTP."""

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


def shape_component(name: str) -> str:
    """Return the component name of a control shape: ``account-list`` -> ``MockAccountList``."""
    return "Mock" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name))


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": "#/components/schemas/" + shape_component(name)}


def _components(models: list[str] | None = None) -> dict[str, Any]:
    """Return every ``$defs`` entry of control.schema.json as a component, refs rewritten.

    The files allow any code-shaped string and any model id, and the checks name the
    documented codes and the mock's models (``specs``); the document lists them (the
    packaged models unless ``models`` are given), so a generated fault or script is valid.
    """
    defs = contract().schemas["control"]["$defs"]

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return {**node, "$ref": _ref(ref.removeprefix("#/$defs/"))["$ref"]}
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    components = {shape_component(name): rewrite(shape) for name, shape in defs.items()}
    fault = components[shape_component("fault")]
    code = {**fault["properties"]["code"], "enum": sorted(contract().error_status)}
    fault["properties"] = {**fault["properties"], "code": code}
    script = components[shape_component("script")]
    model = {**script["properties"]["model"], "enum": models or sorted(contract().cards)}
    script["properties"] = {**script["properties"], "model": model}
    return components


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
        guarded = admin and not op.open
        codes = (*op.codes, "mock_unauthorized") if guarded else op.codes
        by_status: dict[int, tuple[str, ...]] = {}
        for code in codes:
            by_status[statuses[code]] = (*by_status.get(statuses[code], ()), code)
        done: dict[str, Any] = {"description": "Done."}
        if op.response is not None:  # otherwise not JSON: a page, an asset, metrics
            done["content"] = {"application/json": {"schema": _ref(op.response)}}
        responses: dict[str, Any] = {
            str(op.status): done,
            **{str(status): _error(found, error_ref) for status, found in by_status.items()},
        }
        operation: dict[str, Any] = {
            "operationId": op.id,
            "summary": op.summary,
            "tags": [TAG],
            "security": [{"mockAdmin": []}] if guarded else [],
            "responses": responses,
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in op.path_params
        ]
        query = contract().schemas["control"]["$defs"]["query"]["properties"]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": query.get(name, {"type": "string"}),
            }
            for name in op.query
        ]
        if parameters:
            operation["parameters"] = parameters
        if op.request is not None:
            operation["requestBody"] = {
                "required": op.request_required,
                "content": {"application/json": {"schema": _ref(op.request)}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return paths


def control_openapi(
    *, admin: bool, mock_url: str | None = None, models: list[str] | None = None
) -> dict[str, Any]:
    """Return the control API's OpenAPI 3.1 document.

    ``admin`` says whether an admin token guards it; ``mock_url``, the mock's own
    URL, is its server (a local default when not given); ``models``, the mock's
    model ids, are what a script may name (the packaged catalog when not given).
    """
    c = contract()
    error = component_name("error", c)
    components: dict[str, Any] = {
        error: embed(published("error", c), {"error": error}),
        **_components(models),
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Rivya mock control API",
            "version": "v1",
            "description": TAG_DOC["description"],
        },
        "servers": servers(mock_url or LOCAL_URL),
        "tags": [TAG_DOC],
        "paths": control_paths(admin=admin, error_ref="#/components/schemas/" + error),
        "components": {"schemas": components},
    }
    if admin:
        document["components"]["securitySchemes"] = {
            "mockAdmin": {
                "type": "http",
                "scheme": "bearer",
                "description": "Authorization: Bearer <the mock's --admin-token>",
            }
        }
    return document
