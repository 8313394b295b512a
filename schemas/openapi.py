"""The OpenAPI 3.1 document of the Rivya API v1, built from the schema files."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rivya_contract.schemas.cards import REFERENCE_ITEMS, ModelCard
from rivya_contract.schemas.contract import URN_PREFIX, Contract, contract
from rivya_contract.schemas.surface import Operation
from rivya_contract.schemas.versioning import RESPONSE_SCHEMAS, open_schema

API_SCHEMAS = (
    "generation-request",
    "reference-media-item",
    "task",
    "timestamp",
    "file",
    "credits",
    "model",
    "model-list",
    "error",
    "webhook-endpoint",
    "webhook-endpoint-list",
    "webhook-endpoint-request",
    "webhook-endpoint-update",
    "webhook-event",
    "webhook-event-list",
    "webhook-delivery",
    "webhook-delivery-list",
)
"""The schema files published as OpenAPI components (the rest are internal)."""

EXAMPLE_PROMPT = "A clean editorial product image on a soft studio background"
EXAMPLE_REFERENCE_URL = "https://cdn.example.com/reference-image.png"


def component_name(schema_name: str, contract_: Contract | None = None) -> str:
    """Return the OpenAPI component name of a schema file: its ``title``."""
    title: str = (contract_ or contract()).schemas[schema_name]["title"]
    return title


def model_component_name(model_id: str, part: str = "Request") -> str:
    """Return a model's component name: ``grok-imagine`` -> ``GrokImagineRequest``.

    ``part`` names the piece: ``Request``, ``Params`` or ``ReferenceMediaItem``.
    """
    words = re.split(r"[^A-Za-z0-9]+", model_id)
    return "".join(word[:1].upper() + word[1:] for word in words if word) + part


def model_components(card: ModelCard, names: Mapping[str, str]) -> dict[str, Any]:
    """Return one model's request components: its request, its params, its reference item.

    Each is a plain object of its own; the request refers to its params and the
    params to the reference item, so no component redefines another's fields.
    """
    request = embed(card.request_schema, names)
    params = request["properties"]["params"]
    found: dict[str, Any] = {}
    items = params["properties"].get(REFERENCE_ITEMS)
    if items is not None:
        item_name = model_component_name(card.id, "ReferenceMediaItem")
        found[item_name] = {**items["items"], "title": item_name}
        items["items"] = {"$ref": f"#/components/schemas/{item_name}"}
    params_name = model_component_name(card.id, "Params")
    found[params_name] = {"title": params_name, **params}
    request["properties"]["params"] = {"$ref": f"#/components/schemas/{params_name}"}
    request_name = model_component_name(card.id)
    found[request_name] = {**request, "title": request_name}
    return found


def published(schema_name: str, contract_: Contract | None = None) -> dict[str, Any]:
    """Return a schema file as the document publishes it: responses open, requests closed.

    The version policy lets a response gain optional fields, so clients built from
    the document must accept them; the files stay closed for checking this mock.
    """
    document = (contract_ or contract()).schemas[schema_name]
    if schema_name in RESPONSE_SCHEMAS:
        opened: dict[str, Any] = open_schema(document)
        return opened
    return document


def embed(document: Any, names: Mapping[str, str]) -> Any:
    """Return ``document`` as an OpenAPI component, its refs pointing into the document.

    ``names`` maps schema names (file stems) to component names. ``$id`` and
    ``$schema`` are dropped so that fragment refs resolve against the document.
    """
    if isinstance(document, dict):
        out = {}
        for key, value in document.items():
            if key in ("$id", "$schema"):
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith(URN_PREFIX):
                value = "#/components/schemas/" + names[value.removeprefix(URN_PREFIX)]
            out[key] = embed(value, names)
        return out
    if isinstance(document, list):
        return [embed(item, names) for item in document]
    return document


def example_requests() -> dict[str, dict[str, Any]]:
    """Return the two documented example requests: minimal, and with a reference file."""
    minimal: dict[str, Any] = {
        "model": "grok-imagine",
        "prompt": EXAMPLE_PROMPT,
        "params": {"aspect_ratio": "1:1", "enable_pro": "false"},
    }
    reference = copy.deepcopy(minimal)
    reference_params: dict[str, Any] = reference["params"]
    reference_params[REFERENCE_ITEMS] = [
        {
            "url": EXAMPLE_REFERENCE_URL,
            "kind": "image",
            "name": "reference-image.png",
            "mimeType": "image/png",
        }
    ]
    return {"minimal": minimal, "reference-file": reference}


def _error_responses(codes: Iterable[str], c: Contract, error_ref: str) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(c.error_status[code], []).append(code)
    responses: dict[str, Any] = {}
    for status, status_codes in sorted(by_status.items()):
        headers: dict[str, Any] = {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
        responses[str(status)] = {
            "description": "Error: " + ", ".join(f"`{code}`" for code in status_codes),
            "headers": headers,
            "content": {
                "application/json": {
                    "schema": {"$ref": error_ref},
                    "examples": {
                        code: {
                            "value": {
                                "error": {
                                    "code": code,
                                    "message": f"Example {code} message.",
                                    "requestId": "req_example",
                                }
                            }
                        }
                        for code in status_codes
                    },
                }
            },
        }
    return responses


def _ok(description: str, ref: str, status: int = 200) -> dict[str, Any]:
    return {
        str(status): {
            "description": description,
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/json": {"schema": {"$ref": ref}}},
        }
    }


def _operation(op: Operation, ok: dict[str, Any], c: Contract, error_ref: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": {**ok, **_error_responses(op.codes, c, error_ref)},
    }
    if op.scope is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerAuth": [op.scope]}]
        operation["x-required-scope"] = op.scope
    parameters = [_path_param(name) for name in op.path_params]
    parameters += [
        {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": spec.max_length},
            "description": spec.description,
        }
        for name, spec in op.headers.items()
    ]
    if parameters:
        operation["parameters"] = parameters
    return operation


PATH_PARAM_MAX_LENGTH = 256
"""The longest path parameter (a task or file id) the document declares."""


def _path_param(name: str) -> dict[str, Any]:
    prefix = name.removesuffix("Id")
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": PATH_PARAM_MAX_LENGTH},
        "example": f"{prefix}_example",
    }


def _upload_body(op: Operation, c: Contract) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": "The file's bytes."},
        "kind": {"type": "string", "enum": ["image", "video", "audio"]},
        "model": {"type": "string", "enum": sorted(c.cards)},
    }
    for name, limit in op.limits.items():
        properties[name] = {"type": "string", "maxLength": limit}
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file", "kind"], "properties": properties}
            }
        },
    }


def servers(server_url: str, mock_url: str | None = None) -> list[dict[str, str]]:
    """Return the ``servers`` list: the serving mock's own URL first, when there is one."""
    if mock_url is None:
        return [{"url": server_url}]
    return [
        {"url": mock_url, "description": "This mock, which served the document."},
        {"url": server_url, "description": "The Rivya API."},
    ]


WEBHOOKS_TAG = (
    "Endpoints that receive a signed POST when a task reaches a terminal state. Signature "
    "(Standard Webhooks): webhook-id (the event id, the same on every retry), "
    "webhook-timestamp (unix seconds), webhook-signature: v1,<base64 HMAC-SHA256 of "
    '"id.timestamp.body"> keyed by the base64 after whsec_; two signatures after a rotation.'
)


def webhook_items(event_ref: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 ``webhooks`` map: the event POST each endpoint receives."""
    signed = {
        name: {"in": "header", "name": name, "required": True, "schema": {"type": "string"}}
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    items: dict[str, Any] = {}
    for event_type in ("generation.succeeded", "generation.failed"):
        items[event_type] = {
            "post": {
                "operationId": "on" + "".join(p.title() for p in event_type.split(".")),
                "summary": f"Sent to each active endpoint subscribed to {event_type}.",
                "tags": ["Webhooks"],
                "parameters": list(signed.values()),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": event_ref}}},
                },
                "responses": {
                    "2XX": {"description": "Received; any other answer is retried."},
                    "410": {"description": "Gone: the endpoint is disabled, never retried."},
                },
            }
        }
    return items


def build_openapi(
    *,
    create_status: int = 202,
    upload_status: int = 201,
    server_url: str = "https://rivya.ai",
    mock_url: str | None = None,
    extra_paths: Mapping[str, Any] | None = None,
    extra_tags: Iterable[Mapping[str, Any]] = (),
    contract_: Contract | None = None,
) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document of the Rivya API v1 from the schema files.

    ``create_status`` and ``upload_status`` are the success statuses of
    ``POST /generations`` and ``POST /files``; ``mock_url``, when a mock serves
    the document, is listed first in ``servers``; ``extra_paths`` and
    ``extra_tags`` let the mock add its own control endpoints.
    """
    c = contract_ or contract()
    names = {name: component_name(name, c) for name in API_SCHEMAS}
    components = {names[name]: embed(published(name, c), names) for name in API_SCHEMAS}
    mapping: dict[str, str] = {}
    for card in c.cards.values():
        components.update(model_components(card, names))
        mapping[card.id] = f"#/components/schemas/{model_component_name(card.id)}"
    request_body = {
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "model", "mapping": mapping},
    }
    ref = {name: f"#/components/schemas/{names[name]}" for name in API_SCHEMAS}
    err = ref["error"]
    examples = {key: {"value": value} for key, value in example_requests().items()}
    statuses = {"create_status": create_status, "upload_status": upload_status}
    paths: dict[str, Any] = {}
    for op in c.surface.group("api"):
        status = statuses.get(op.status_setting or "", op.status)
        if op.response is None:
            ok = {
                str(status): {
                    "description": op.summary,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            }
        else:
            ok = _ok(op.summary, ref[op.response], status)
        operation = _operation(op, ok, c, err)
        if op.body == "json" and op.request not in (None, "generation-request"):
            operation["requestBody"] = {
                "required": op.request_required,
                "content": {"application/json": {"schema": {"$ref": ref[op.request or ""]}}},
            }
        elif op.body == "json":
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": request_body, "examples": examples}},
            }
        elif op.body == "upload":
            operation["requestBody"] = _upload_body(op, c)
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    paths.update(extra_paths or {})
    tags = [
        {"name": "Generations", "description": "Create and poll asynchronous tasks."},
        {"name": "Files", "description": "Reference files for params.referenceMediaItems."},
        {"name": "Credits", "description": "The account's wallet."},
        {"name": "Models", "description": "The public model catalog."},
        {"name": "Contract", "description": "The published contract."},
        {"name": "Webhooks", "description": WEBHOOKS_TAG},
        *extra_tags,
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rivya Public API",
            "version": "v1",
            "description": "Asynchronous AI generation: create a task, poll it until it is "
            'succeeded or failed. Every error is {"error": {"code", "message", "requestId"}}.',
        },
        "servers": servers(server_url, mock_url),
        "tags": tags,
        "paths": paths,
        "webhooks": webhook_items(ref["webhook-event"]),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer rvya_sk_...",
                }
            },
            "headers": {
                "RequestId": {
                    "description": "The request's id; an error's requestId is the same value.",
                    "schema": {"type": "string"},
                },
                "RetryAfter": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer", "minimum": 0},
                },
            },
        },
    }
