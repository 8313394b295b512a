"""The error responses each operation lists: codes, statuses, envelopes and Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_support import (
    SURFACE,
    SURFACE_IDS,
    component_validator,
    document_registry,
    operation_of,
    resolve_ref,
)
from referencing import Registry

from rivya_contract.schemas import contract
from rivya_contract.schemas.openapi import build_openapi, component_name

AUTH_CODES = {"api_key_missing", "api_key_invalid", "api_key_revoked", "api_key_expired"}
SCOPE_CODES = AUTH_CODES | {"api_scope_denied"}

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
    ("post", "/api/v1/webhooks"): {"validation_failed", "webhook_url_rejected", "rate_limited"},
    ("get", "/api/v1/webhooks"): {"rate_limited"},
    ("get", "/api/v1/webhooks/{endpointId}"): {"not_found", "rate_limited"},
    ("patch", "/api/v1/webhooks/{endpointId}"): {
        "validation_failed",
        "webhook_url_rejected",
        "not_found",
    },
    ("delete", "/api/v1/webhooks/{endpointId}"): {"not_found"},
    ("post", "/api/v1/webhooks/{endpointId}/rotate-secret"): {"not_found"},
    ("post", "/api/v1/webhooks/{endpointId}/test"): {"not_found"},
    ("get", "/api/v1/webhooks/{endpointId}/deliveries"): {"not_found"},
    ("get", "/api/v1/webhook-events"): {"rate_limited"},
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return build_openapi()


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry[Any]:
    return document_registry(spec)


# --- error responses ----------------------------------------------------------------------


def _listed_codes(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, int]:
    """Return the error codes an operation lists, each with the status it is listed under."""
    found: dict[str, int] = {}
    for status, response in operation["responses"].items():
        if int(status) < 400:
            continue
        body = resolve_ref(spec, response)["content"]["application/json"]
        for code in body["examples"]:
            assert code not in found, f"{code} listed twice"
            found[code] = int(status)
    return found


@pytest.mark.parametrize(("method", "path", "scope"), SURFACE, ids=SURFACE_IDS)
def test_each_listed_code_is_under_its_documented_status(
    spec: dict[str, Any], method: str, path: str, scope: str | None
) -> None:
    status_of = contract().error_status
    operation = operation_of(spec, method, path)
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
    operation = operation_of(spec, method, path)
    envelope = contract().validator("error")
    for status, response in operation["responses"].items():
        if int(status) < 400:
            continue
        body = resolve_ref(spec, response)["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/" + component_name("error")}
        for code, example in body["examples"].items():
            assert example["value"]["error"]["code"] == code
            assert envelope.is_valid(example["value"])
            assert component_validator(component_name("error"), registry).is_valid(example["value"])


@pytest.mark.parametrize(("method", "path", "scope"), SURFACE, ids=SURFACE_IDS)
def test_429_and_503_declare_retry_after(
    spec: dict[str, Any], method: str, path: str, scope: str | None
) -> None:
    responses = operation_of(spec, method, path)["responses"]
    for status in ("429", "503"):
        if status not in responses:
            continue
        headers = resolve_ref(spec, responses[status])["headers"]
        assert "Retry-After" in headers, (path, status)
        header = resolve_ref(spec, headers["Retry-After"])
        assert header["schema"]["type"] == "integer"
    for status, response in responses.items():
        if status not in ("429", "503"):
            assert "Retry-After" not in resolve_ref(spec, response).get("headers", {})


def test_retry_after_is_not_vacuous(spec: dict[str, Any]) -> None:
    responses = operation_of(spec, "post", "/api/v1/generations")["responses"]
    assert {"429", "503"} <= set(responses)
