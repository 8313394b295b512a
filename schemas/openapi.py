"""The OpenAPI 3.1 document of the Rivya API v1, built from the schema files."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rivya_contract.schemas.cards import REFERENCE_ITEMS
from rivya_contract.schemas.contract import URN_PREFIX, Contract, contract

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
)
"""The schema files published as OpenAPI components (the rest are internal)."""

BASE_CODES = ("rate_limited", "public_api_disabled")
AUTH_CODES = ("api_key_missing", "api_key_invalid", "api_key_revoked", "api_key_expired")
SCOPE_CODES = (*AUTH_CODES, "api_scope_denied")

EXAMPLE_PROMPT = "A clean editorial product image on a soft studio background"
EXAMPLE_REFERENCE_URL = "https://cdn.example.com/reference-image.png"


def component_name(schema_name: str, contract_: Contract | None = None) -> str:
    """Return the OpenAPI component name of a schema file: its ``title``."""
    title: str = (contract_ or contract()).schemas[schema_name]["title"]
    return title


def model_component_name(model_id: str) -> str:
    """Return a model's request component name: ``grok-imagine`` -> ``GrokImagineRequest``."""
    words = re.split(r"[^A-Za-z0-9]+", model_id)
    return "".join(word[:1].upper() + word[1:] for word in words if word) + "Request"


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


def _operation(
    operation_id: str,
    summary: str,
    tag: str,
    ok: dict[str, Any],
    codes: Iterable[str],
    c: Contract,
    error_ref: str,
    scope: str | None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**ok, **_error_responses(codes, c, error_ref)},
    }
    if scope is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerAuth": [scope]}]
        operation["x-required-scope"] = scope
    return operation


def _path_param(name: str, prefix: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 256},
        "example": f"{prefix}_example",
    }


def build_openapi(
    *,
    create_status: int = 202,
    upload_status: int = 201,
    server_url: str = "https://rivya.ai",
    extra_paths: Mapping[str, Any] | None = None,
    extra_tags: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document of the Rivya API v1 from the schema files.

    ``create_status`` and ``upload_status`` are the success statuses of
    ``POST /generations`` and ``POST /files``; ``extra_paths`` and
    ``extra_tags`` let the mock add its own control endpoints.
    """
    c = contract()
    names = {name: component_name(name, c) for name in API_SCHEMAS}
    components = {names[name]: embed(c.schemas[name], names) for name in API_SCHEMAS}
    request_refs = []
    for card in c.cards.values():
        name = model_component_name(card.id)
        components[name] = embed(card.request_schema, names)
        request_refs.append({"$ref": f"#/components/schemas/{name}"})
    ref = {name: f"#/components/schemas/{names[name]}" for name in API_SCHEMAS}
    err = ref["error"]
    examples = {key: {"value": value} for key, value in example_requests().items()}

    create = _operation(
        "createGeneration",
        "Submit an asynchronous generation task; reserves its credits.",
        "Generations",
        _ok("The task, queued.", ref["task"], create_status),
        (
            "validation_failed",
            *SCOPE_CODES,
            "idempotency_conflict",
            "insufficient_credits",
            *BASE_CODES,
        ),
        c,
        err,
        "generations:create",
    )
    create["parameters"] = [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "Replays the original task for the same request; 409 otherwise.",
        }
    ]
    create["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": request_refs}, "examples": examples}},
    }
    poll = _operation(
        "getGeneration",
        "Poll one task until it is succeeded or failed.",
        "Generations",
        _ok("The task.", ref["task"]),
        (*SCOPE_CODES, "not_found", *BASE_CODES),
        c,
        err,
        "generations:read",
    )
    poll["parameters"] = [_path_param("taskId", "task")]
    upload = _operation(
        "uploadFile",
        "Upload a reference file for params.referenceMediaItems.",
        "Files",
        _ok("The stored file.", ref["file"], upload_status),
        ("validation_failed", *SCOPE_CODES, *BASE_CODES),
        c,
        err,
        "files:create",
    )
    upload["requestBody"] = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                        "kind": {"type": "string", "enum": ["image", "video", "audio"]},
                        "model": {"type": "string", "enum": sorted(c.cards)},
                        "client_request_id": {"type": "string", "maxLength": 128},
                    },
                }
            }
        },
    }
    get_file = _operation(
        "getFile",
        "Read the metadata of an uploaded file.",
        "Files",
        _ok("The file.", ref["file"]),
        (*SCOPE_CODES, "not_found", *BASE_CODES),
        c,
        err,
        "files:read",
    )
    get_file["parameters"] = [_path_param("fileId", "file")]
    credits = _operation(
        "getCredits",
        "Read the account's credit balance.",
        "Credits",
        _ok("The balance.", ref["credits"]),
        (*SCOPE_CODES, *BASE_CODES),
        c,
        err,
        "credits:read",
    )
    models = _operation(
        "listModels",
        "List the public models; no key needed.",
        "Models",
        _ok("The model list.", ref["model-list"]),
        BASE_CODES,
        c,
        err,
        None,
    )
    openapi_op = _operation(
        "getOpenApi",
        "This document; no key needed.",
        "Contract",
        {
            "200": {
                "description": "The OpenAPI document.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
        (),
        c,
        err,
        None,
    )
    paths: dict[str, Any] = {
        "/api/v1/models": {"get": models},
        "/api/v1/generations": {"post": create},
        "/api/v1/generations/{taskId}": {"get": poll},
        "/api/v1/files": {"post": upload},
        "/api/v1/files/{fileId}": {"get": get_file},
        "/api/v1/credits": {"get": credits},
        "/api/v1/openapi.json": {"get": openapi_op},
    }
    paths.update(extra_paths or {})
    tags = [
        {"name": "Generations", "description": "Create and poll asynchronous tasks."},
        {"name": "Files", "description": "Reference files for params.referenceMediaItems."},
        {"name": "Credits", "description": "The account's wallet."},
        {"name": "Models", "description": "The public model catalog."},
        {"name": "Contract", "description": "The published contract."},
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
        "servers": [{"url": server_url}],
        "tags": tags,
        "paths": paths,
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
