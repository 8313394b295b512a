"""The OpenAPI 3.1 document as a whole: valid, deterministic, self-contained, and its surface."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_spec
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from openapi_support import SURFACE, SURFACE_IDS, iter_refs, operation_of, resolve_ref

from rivya_contract.schemas.openapi import build_openapi


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return build_openapi()


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
    refs = set(iter_refs(spec))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        assert resolve_ref(spec, {"$ref": ref})


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
    operation = operation_of(spec, method, path)
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
