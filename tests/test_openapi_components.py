"""The document's components are the schema files and cards: same content, same verdicts."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openapi_support import component_validator, document_registry, iter_refs
from referencing import Registry

from rivya_contract.schemas import REFERENCE_ITEMS, SCHEMA_DIR, contract
from rivya_contract.schemas.openapi import (
    API_SCHEMAS,
    build_openapi,
    component_name,
    embed,
    example_requests,
    model_component_name,
    model_components,
    published,
)
from rivya_contract.schemas.versioning import RESPONSE_SCHEMAS, accepted_errors, open_schema


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return build_openapi()


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry[Any]:
    return document_registry(spec)


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
        assert components[names[name]] == embed(published(name), names), name
        if name in RESPONSE_SCHEMAS:
            assert published(name) == open_schema(from_file)
            assert '"additionalProperties": false' not in json.dumps(components[names[name]])
        else:
            assert published(name) == from_file
    for card in c.cards.values():
        for component, schema_ in model_components(card, names).items():
            assert components[component] == schema_
    assert model_component_name("grok-imagine") == "GrokImagineRequest"
    assert model_component_name("grok-imagine-video") == "GrokImagineVideoRequest"


def test_embed_drops_ids_and_rewrites_refs() -> None:
    names = {name: component_name(name) for name in API_SCHEMAS}
    embedded = embed(contract().schemas["task"], names)
    assert "$id" not in embedded
    assert "$schema" not in embedded
    assert embedded["properties"]["created_at"] == {"$ref": "#/components/schemas/Timestamp"}
    assert not [ref for ref in iter_refs(embedded) if ref.startswith("urn:")]


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


STAMP = "2026-05-11T00:00:00.000Z"
ENDPOINT: dict[str, Any] = {
    "id": "whend_1",
    "object": "webhook_endpoint",
    "name": "Production webhook",
    "url": "https://example.com/rivya/webhook",
    "event_types": ["generation.succeeded", "generation.failed"],
    "status": "active",
    "secret_preview": "whsec_12...abc123",
    "last_success_at": None,
    "last_failure_at": None,
    "failure_count": 0,
    "created_at": STAMP,
    "updated_at": STAMP,
    "disabled_at": None,
    "revoked_at": None,
}
EVENT: dict[str, Any] = {
    "id": "evt_1",
    "type": "generation.succeeded",
    "api_version": "2026-05-11",
    "created_at": STAMP,
    "data": TASK,
}
DELIVERY: dict[str, Any] = {
    "id": "whdel_1",
    "object": "webhook_delivery",
    "endpoint_id": "whend_1",
    "event_id": "evt_1",
    "event_type": "generation.succeeded",
    "webhook_id": "evt_1",
    "attempt": 1,
    "attempted_at": STAMP,
    "status_code": 500,
    "duration_ms": 1.5,
    "error": None,
    "succeeded": False,
    "next_attempt_at": STAMP,
}

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
        True,  # an error code the envelope does not list is compatible (the version policy)
    ),
    ("error", {"error": {"code": "Rate Limited", "message": "m", "requestId": "req_1"}}, False),
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
    ("webhook-endpoint", ENDPOINT, True),
    (
        "webhook-endpoint",
        {**ENDPOINT, "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
        True,
    ),
    ("webhook-endpoint", _replace(ENDPOINT, id="we_1"), False),
    ("webhook-endpoint", _replace(ENDPOINT, status="paused"), False),
    ("webhook-endpoint", _without(ENDPOINT, "secret_preview"), False),
    ("webhook-endpoint-list", {"object": "list", "data": [ENDPOINT]}, True),
    ("webhook-endpoint-list", {"object": "list", "data": [{}]}, False),
    ("webhook-endpoint-request", {"url": "https://example.com/h"}, True),
    ("webhook-endpoint-request", {"url": "https://example.com/h", "event_types": []}, False),
    ("webhook-endpoint-update", {"status": "disabled"}, True),
    ("webhook-endpoint-update", {}, False),
    ("webhook-event", EVENT, True),
    ("webhook-event", _replace(EVENT, data=_replace(TASK, session_id="s")), False),
    ("webhook-event", _replace(EVENT, api_version="2025-01-01"), False),
    ("webhook-event-list", {"object": "list", "data": [EVENT]}, True),
    ("webhook-event-list", {"object": "list", "data": [_without(EVENT, "type")]}, False),
    ("webhook-delivery", DELIVERY, True),
    ("webhook-delivery", _replace(DELIVERY, attempt=0), False),
    ("webhook-delivery-list", {"object": "list", "data": [DELIVERY]}, True),
    ("webhook-delivery-list", {"object": "list", "data": [_without(DELIVERY, "error")]}, False),
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
    from_document = component_validator(component_name(name), registry)
    assert from_file.is_valid(instance) is valid
    if name in RESPONSE_SCHEMAS:
        # The document publishes responses open: it accepts what the opened file accepts.
        accepted = not accepted_errors(name, instance)
        assert from_document.is_valid(instance) is accepted
        assert accepted or not valid
        return
    assert from_document.is_valid(instance) is valid
    file_errors = sorted(list(e.absolute_path) for e in from_file.iter_errors(instance))
    document_errors = sorted(list(e.absolute_path) for e in from_document.iter_errors(instance))
    assert [str(p) for p in file_errors] == [str(p) for p in document_errors]


ADDED_FIELDS: list[tuple[str, Any]] = [
    ("task", _replace(TASK, session_id="s")),
    ("task", _replace(TASK, result={**TASK["result"], "thumbnails": []})),
    ("file", _replace(FILE, durationToken="x")),
    ("credits", {"current_credits": 1, "wallet": 2}),
    ("error", {**ERROR, "detail": "x"}),
    ("model-list", {"object": "list", "data": [{**_listing(), "beta": True}], "next": None}),
]


@pytest.mark.parametrize(("name", "instance"), ADDED_FIELDS)
def test_published_responses_accept_added_fields_the_files_refuse(
    registry: Registry[Any], name: str, instance: Any
) -> None:
    assert not contract().validator(name).is_valid(instance)
    assert accepted_errors(name, instance) == []
    assert component_validator(component_name(name), registry).is_valid(instance)


def test_request_components_are_plain_objects_chosen_by_model(spec: dict[str, Any]) -> None:
    components = spec["components"]["schemas"]
    body = spec["paths"]["/api/v1/generations"]["post"]["requestBody"]["content"]
    schema_ = body["application/json"]["schema"]
    mapping = schema_["discriminator"]["mapping"]
    assert schema_["discriminator"]["propertyName"] == "model"
    assert set(mapping) == set(contract().cards)
    assert schema_["oneOf"] == [{"$ref": ref} for ref in mapping.values()]
    for model_id, ref in mapping.items():
        request = components[ref.rsplit("/", 1)[-1]]
        assert "allOf" not in request
        assert request["additionalProperties"] is False
        assert request["properties"]["model"]["const"] == model_id
        params_ref = request["properties"]["params"]["$ref"]
        assert params_ref == "#/components/schemas/" + model_component_name(model_id, "Params")
        params = components[params_ref.rsplit("/", 1)[-1]]
        items = params["properties"].get(REFERENCE_ITEMS, {}).get("items")
        if items is not None:
            assert items == {
                "$ref": "#/components/schemas/"
                + model_component_name(model_id, "ReferenceMediaItem")
            }


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
    from_document = component_validator(model_component_name(model_id), registry)
    assert from_document.is_valid(body) is card.request_validator.is_valid(body)
