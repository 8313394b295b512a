"""The OpenAPI 3.1 document built from the schema files."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from rivya_contract.schemas import REFERENCE_ITEMS, SCHEMA_DIR, contract
from rivya_contract.schemas.openapi import (
    API_SCHEMAS,
    build_openapi,
    component_name,
    embed,
    example_requests,
    model_component_name,
)

DOC_URI = "urn:rivya:test:openapi"
AUTH_CODES = {"api_key_missing", "api_key_invalid", "api_key_revoked", "api_key_expired"}
SCOPE_CODES = AUTH_CODES | {"api_scope_denied"}

# (method, path, scope): the surface table of rivya-api.md; None means public.
SURFACE = [
    ("get", "/api/v1/models", None),
    ("post", "/api/v1/generations", "generations:create"),
    ("get", "/api/v1/generations/{taskId}", "generations:read"),
    ("post", "/api/v1/files", "files:create"),
    ("get", "/api/v1/files/{fileId}", "files:read"),
    ("get", "/api/v1/credits", "credits:read"),
    ("get", "/api/v1/openapi.json", None),
]
SURFACE_IDS = [f"{method.upper()} {path}" for method, path, _ in SURFACE]

# Codes each operation must list, beyond the auth codes implied by its scope.
REQUIRED_CODES = {
    ("post", "/api/v1/generations"): {
        "validation_failed",
        "idempotency_conflict",
        "insufficient_credits",
        "rate_limited",
        "public_api_disabled",
    },
    ("get", "/api/v1/generations/{taskId}"): {"not_found", "rate_limited"},
    ("post", "/api/v1/files"): {"validation_failed", "rate_limited"},
    ("get", "/api/v1/files/{fileId}"): {"not_found", "rate_limited"},
    ("get", "/api/v1/credits"): {"rate_limited"},
    ("get", "/api/v1/models"): {"rate_limited"},
    ("get", "/api/v1/openapi.json"): set(),
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return build_openapi()


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(spec, default_specification=DRAFT202012)
    with_document: Registry[Any] = Registry().with_resource(DOC_URI, resource)
    return with_document


def _in_document(pointer: str, registry: Registry[Any]) -> Draft202012Validator:
    """Return a validator for the schema at ``pointer`` inside the OpenAPI document."""
    return Draft202012Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry)


def _component(name: str, registry: Registry[Any]) -> Draft202012Validator:
    return _in_document(f"/components/schemas/{name}", registry)


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][path][method]
    return operation


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    assert isinstance(ref, str) and ref.startswith("#/")
    target: Any = spec
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    assert isinstance(target, dict)
    return target


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


# --- the document -------------------------------------------------------------------------


def test_the_document_is_a_valid_openapi_3_1_document(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate_spec(spec)


def test_the_builder_is_deterministic_and_options_apply() -> None:
    assert build_openapi() == build_openapi()
    other = build_openapi(create_status=201, upload_status=200, server_url="http://127.0.0.1:1")
    validate_spec(other)
    assert "201" in other["paths"]["/api/v1/generations"]["post"]["responses"]
    assert "202" not in other["paths"]["/api/v1/generations"]["post"]["responses"]
    assert "200" in other["paths"]["/api/v1/files"]["post"]["responses"]
    assert other["servers"] == [{"url": "http://127.0.0.1:1"}]


def test_every_ref_is_local_and_resolves(spec: dict[str, Any]) -> None:
    refs = set(_refs(spec))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        assert _resolve(spec, {"$ref": ref})


def test_a_broken_document_is_rejected(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    broken["paths"]["/api/v1/generations/{taskId}"]["get"]["parameters"][0]["in"] = "body"
    with pytest.raises(OpenAPIValidationError, match="body"):
        validate_spec(broken)


# --- the surface and its security ---------------------------------------------------------


def test_the_surface_is_exactly_the_documented_table(spec: dict[str, Any]) -> None:
    listed = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert listed == {(method, path) for method, path, _ in SURFACE}


def test_the_bearer_scheme_is_declared(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert "security" not in spec  # every operation states its own


@pytest.mark.parametrize(("method", "path", "scope"), SURFACE, ids=SURFACE_IDS)
def test_each_operation_states_its_security(
    spec: dict[str, Any], method: str, path: str, scope: str | None
) -> None:
    operation = _operation(spec, method, path)
    assert operation["operationId"]
    if scope is None:
        assert operation["security"] == []
    else:
        assert operation["security"] == [{"bearerAuth": [scope]}]
        assert operation["x-required-scope"] == scope
    for name in ("taskId", "fileId"):
        if "{" + name + "}" in path:
            (parameter,) = operation["parameters"]
            assert parameter["name"] == name
            assert parameter["in"] == "path"
            assert parameter["required"] is True


# --- error responses ----------------------------------------------------------------------


def _listed_codes(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, int]:
    """Return the error codes an operation lists, each with the status it is listed under."""
    found: dict[str, int] = {}
    for status, response in operation["responses"].items():
        if int(status) < 400:
            continue
        body = _resolve(spec, response)["content"]["application/json"]
        for code in body["examples"]:
            assert code not in found, f"{code} listed twice"
            found[code] = int(status)
    return found


@pytest.mark.parametrize(("method", "path", "scope"), SURFACE, ids=SURFACE_IDS)
def test_each_listed_code_is_under_its_documented_status(
    spec: dict[str, Any], method: str, path: str, scope: str | None
) -> None:
    status_of = contract().error_status
    operation = _operation(spec, method, path)
    listed = _listed_codes(spec, operation)
    for code, status in listed.items():
        assert code in status_of, code
        assert status == status_of[code], code
    required = REQUIRED_CODES[(method, path)] | (SCOPE_CODES if scope else set())
    assert required <= set(listed)
    if scope is None:
        assert not set(listed) & SCOPE_CODES
    # no status is declared without a code behind it
    error_statuses = {status for status in operation["responses"] if int(status) >= 400}
    assert error_statuses == {str(status) for status in listed.values()}


@pytest.mark.parametrize(("method", "path", "scope"), SURFACE, ids=SURFACE_IDS)
def test_error_examples_are_valid_envelopes(
    spec: dict[str, Any], registry: Registry[Any], method: str, path: str, scope: str | None
) -> None:
    operation = _operation(spec, method, path)
    envelope = contract().validator("error")
    for status, response in operation["responses"].items():
        if int(status) < 400:
            continue
        body = _resolve(spec, response)["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/" + component_name("error")}
        for code, example in body["examples"].items():
            assert example["value"]["error"]["code"] == code
            assert envelope.is_valid(example["value"])
            assert _component(component_name("error"), registry).is_valid(example["value"])


@pytest.mark.parametrize(("method", "path", "scope"), SURFACE, ids=SURFACE_IDS)
def test_429_and_503_declare_retry_after(
    spec: dict[str, Any], method: str, path: str, scope: str | None
) -> None:
    responses = _operation(spec, method, path)["responses"]
    for status in ("429", "503"):
        if status not in responses:
            continue
        headers = _resolve(spec, responses[status])["headers"]
        assert "Retry-After" in headers, (path, status)
        header = _resolve(spec, headers["Retry-After"])
        assert header["schema"]["type"] == "integer"
    for status, response in responses.items():
        if status not in ("429", "503"):
            assert "Retry-After" not in _resolve(spec, response).get("headers", {})


def test_retry_after_is_not_vacuous(spec: dict[str, Any]) -> None:
    responses = _operation(spec, "post", "/api/v1/generations")["responses"]
    assert {"429", "503"} <= set(responses)


# --- components are the schema files ------------------------------------------------------


def test_every_file_component_is_the_embedded_file(spec: dict[str, Any]) -> None:
    c = contract()
    names = {name: component_name(name) for name in API_SCHEMAS}
    components = spec["components"]["schemas"]
    for name in API_SCHEMAS:
        path = SCHEMA_DIR / f"{name}.schema.json"
        from_file = json.loads(path.read_text(encoding="utf-8"))
        assert from_file == c.schemas[name]
        assert names[name] == from_file["title"]
        assert components[names[name]] == embed(from_file, names), name
    for card in c.cards.values():
        assert components[model_component_name(card.id)] == embed(card.request_schema, names)
    assert model_component_name("grok-imagine") == "GrokImagineRequest"
    assert model_component_name("grok-imagine-video") == "GrokImagineVideoRequest"


def test_embed_drops_ids_and_rewrites_refs() -> None:
    names = {name: component_name(name) for name in API_SCHEMAS}
    embedded = embed(contract().schemas["task"], names)
    assert "$id" not in embedded
    assert "$schema" not in embedded
    assert embedded["properties"]["created_at"] == {"$ref": "#/components/schemas/Timestamp"}
    assert not [ref for ref in _refs(embedded) if ref.startswith("urn:")]


TIMESTAMP = "2026-05-11T00:00:00.000Z"
TASK: dict[str, Any] = {
    "id": "task_abc",
    "status": "succeeded",
    "model": "grok-imagine",
    "reserved_credits": 4,
    "final_credits": 4,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "result": {
        "primary_url": "https://cdn.example.com/a.png",
        "urls": ["https://cdn.example.com/a.png"],
    },
    "error": None,
}
FAILED: dict[str, Any] = {
    **TASK,
    "status": "failed",
    "final_credits": 0,
    "result": None,
    "error": {"code": "generation_failed", "message": "failed"},
}
FILE: dict[str, Any] = {
    "id": "file_abc",
    "url": "https://cdn.example.com/files/file_abc.png",
    "kind": "image",
    "name": "reference-image.png",
    "mime_type": "image/png",
    "size_bytes": 2048,
    "created_at": TIMESTAMP,
    "duration_token": None,
}
ERROR: dict[str, Any] = {
    "error": {"code": "rate_limited", "message": "Slow down.", "requestId": "req_abc"}
}


def _listing() -> dict[str, Any]:
    return contract().cards["grok-imagine"].listing()


def _replace(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed.update(changes)
    return changed


def _without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


CORPUS: list[tuple[str, Any, bool]] = [
    ("task", TASK, True),
    ("task", FAILED, True),
    ("task", _replace(FAILED, status="queued", error=None), True),
    ("task", _replace(TASK, result=None), False),
    ("task", _replace(FAILED, final_credits=4), False),
    ("task", _replace(FAILED, status="queued", error=None, result=TASK["result"]), False),
    ("task", _replace(TASK, created_at="2026-05-11T00:00:00Z"), False),
    ("task", _replace(TASK, updated_at="2026-05-11T00:00:00.000"), False),
    ("task", _replace(TASK, session_id="s"), False),
    ("task", _without(TASK, "model"), False),
    ("task", [], False),
    ("file", FILE, True),
    ("file", _replace(FILE, kind="video", mime_type="video/mp4", duration_token="dt_1"), True),
    ("file", _without(FILE, "duration_token"), False),
    ("file", _replace(FILE, kind="pdf"), False),
    ("file", _replace(FILE, size_bytes=0), False),
    ("file", _replace(FILE, id="upload_1"), False),
    ("file", _replace(FILE, created_at="yesterday"), False),
    ("file", _replace(FILE, durationToken="x"), False),
    ("credits", {"current_credits": 0}, True),
    ("credits", {"current_credits": 123}, True),
    ("credits", {"current_credits": -1}, False),
    ("credits", {"current_credits": "5"}, False),
    ("credits", {}, False),
    ("credits", {"current_credits": 1, "wallet": 2}, False),
    ("error", ERROR, True),
    *[
        ("error", {"error": {"code": code, "message": "m", "requestId": "req_1"}}, True)
        for code in sorted(contract().error_status)
    ],
    (
        "error",
        {"error": {"code": "generation_failed", "message": "m", "requestId": "req_1"}},
        False,
    ),
    ("error", {"error": _without(ERROR["error"], "requestId")}, False),
    ("error", {"error": {**ERROR["error"], "requestId": "abc"}}, False),
    ("error", {"error": {**ERROR["error"], "status": 429}}, False),
    ("error", {**ERROR, "detail": "x"}, False),
    ("model-list", {"object": "list", "data": []}, True),
    (
        "model-list",
        {"object": "list", "data": [c.listing() for c in contract().cards.values()]},
        True,
    ),
    ("model-list", {"object": "lists", "data": []}, False),
    ("model-list", {"object": "list", "data": [_without(_listing(), "id")]}, False),
    ("model-list", {"object": "list", "data": [_replace(_listing(), category="text")]}, False),
    (
        "model-list",
        {
            "object": "list",
            "data": [
                _replace(
                    _listing(),
                    reference_media={
                        "max_files": 1,
                        "kinds": [{"kind": "pdf", "max_bytes": 1, "mime_types": []}],
                    },
                )
            ],
        },
        False,
    ),
    ("model-list", {"object": "list"}, False),
    ("model", _listing(), True),
    (
        "model",
        _replace(_listing(), params=[{"key": "x", "type": "slider", "required": False}]),
        False,
    ),
    ("timestamp", TIMESTAMP, True),
    ("timestamp", "2026-05-11T00:00:00.000+00:00", False),
    ("reference-media-item", {"url": "https://a.example/x.png", "kind": "image"}, True),
    ("reference-media-item", {"url": "https://a.example/x.png"}, False),
    ("reference-media-item", {"url": "https://a.example/x.png", "kind": "image", "x": 1}, False),
    ("generation-request", example_requests()["minimal"], True),
    ("generation-request", {**example_requests()["minimal"], "files": []}, False),
    ("generation-request", {"prompt": "x"}, False),
]


@pytest.mark.parametrize(
    ("name", "instance", "valid"),
    CORPUS,
    ids=[
        f"{name}-{i}-{'valid' if valid else 'invalid'}" for i, (name, _, valid) in enumerate(CORPUS)
    ],
)
def test_components_and_files_give_identical_verdicts(
    registry: Registry[Any], name: str, instance: Any, valid: bool
) -> None:
    from_file = contract().validator(name)
    from_document = _component(component_name(name), registry)
    assert from_file.is_valid(instance) is valid
    assert from_document.is_valid(instance) is valid
    file_errors = sorted(list(e.absolute_path) for e in from_file.iter_errors(instance))
    document_errors = sorted(list(e.absolute_path) for e in from_document.iter_errors(instance))
    assert [str(p) for p in file_errors] == [str(p) for p in document_errors]


def test_the_corpus_covers_every_published_file_schema() -> None:
    assert {name for name, _, _ in CORPUS} == set(API_SCHEMAS)
    for name in API_SCHEMAS:
        verdicts = {valid for n, _, valid in CORPUS if n == name}
        assert verdicts == {True, False}, name


REQUESTS: list[Any] = [
    example_requests()["minimal"],
    example_requests()["reference-file"],
    {"model": "grok-imagine", "prompt": "x", "params": {"enable_pro": False}},
    {"model": "grok-imagine", "prompt": "x", "params": {"seed": 1}},
    {"model": "grok-imagine", "prompt": ""},
    {"model": "grok-imagine", "prompt": "é" * 5001},
    {"model": "grok-imagine"},
    {"model": "grok-imagine-video", "prompt": "x", "params": {"duration": 6}},
    {"model": "grok-imagine-video", "prompt": "x", "params": {"duration": 6.5}},
    {"model": "grok-imagine-video", "prompt": "x", "params": {"enable_pro": "false"}},
    {
        "model": "grok-imagine",
        "prompt": "x",
        "params": {REFERENCE_ITEMS: [{"url": "https://a.example/v.mp4", "kind": "video"}]},
    },
    {"model": "grok-imagine", "prompt": "x", "files": []},
]


@pytest.mark.parametrize("model_id", sorted(contract().cards))
@pytest.mark.parametrize("body", REQUESTS, ids=[f"request-{i}" for i in range(len(REQUESTS))])
def test_model_request_components_match_their_cards(
    registry: Registry[Any], model_id: str, body: Any
) -> None:
    card = contract().cards[model_id]
    from_document = _component(model_component_name(model_id), registry)
    assert from_document.is_valid(body) is card.request_validator.is_valid(body)


# --- the create operation's examples ------------------------------------------------------

CREATE_BODY = "/paths/~1api~1v1~1generations/post/requestBody/content/application~1json/schema"


def test_create_examples_are_the_two_documented_requests(spec: dict[str, Any]) -> None:
    body = _operation(spec, "post", "/api/v1/generations")["requestBody"]
    assert body["required"] is True
    examples = body["content"]["application/json"]["examples"]
    assert {key: value["value"] for key, value in examples.items()} == example_requests()


@pytest.mark.parametrize("key", ["minimal", "reference-file"])
def test_create_examples_validate_against_the_request_body(
    spec: dict[str, Any], registry: Registry[Any], key: str
) -> None:
    examples = _operation(spec, "post", "/api/v1/generations")["requestBody"]["content"][
        "application/json"
    ]["examples"]
    validator = _in_document(CREATE_BODY, registry)
    assert list(validator.iter_errors(examples[key]["value"])) == []


@pytest.mark.parametrize(
    "body",
    [
        {"model": "grok-imagine", "prompt": "x", "params": {"enable_pro": False}},
        {"model": "grok-imagine", "prompt": "x", "params": {"aspect_ratio": "4:3"}},
        {"model": "no-such-model", "prompt": "x"},
        {"model": "grok-imagine", "prompt": "x", "files": []},
        {"prompt": "x"},
    ],
)
def test_the_request_body_schema_rejects_invalid_requests(
    registry: Registry[Any], body: dict[str, Any]
) -> None:
    assert not _in_document(CREATE_BODY, registry).is_valid(body)
