"""The create operation's request body: its two documented examples and its schema."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_support import document_registry, document_validator, operation_of
from referencing import Registry

from rivya_contract.schemas.openapi import build_openapi, example_requests


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return build_openapi()


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry[Any]:
    return document_registry(spec)


# --- the create operation's examples ------------------------------------------------------

CREATE_BODY = "/paths/~1api~1v1~1generations/post/requestBody/content/application~1json/schema"


def test_create_examples_are_the_two_documented_requests(spec: dict[str, Any]) -> None:
    body = operation_of(spec, "post", "/api/v1/generations")["requestBody"]
    assert body["required"] is True
    examples = body["content"]["application/json"]["examples"]
    assert {key: value["value"] for key, value in examples.items()} == example_requests()


@pytest.mark.parametrize("key", ["minimal", "reference-file"])
def test_create_examples_validate_against_the_request_body(
    spec: dict[str, Any], registry: Registry[Any], key: str
) -> None:
    examples = operation_of(spec, "post", "/api/v1/generations")["requestBody"]["content"][
        "application/json"
    ]["examples"]
    validator = document_validator(CREATE_BODY, registry)
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
    assert not document_validator(CREATE_BODY, registry).is_valid(body)
