"""Shared pieces of the OpenAPI tests: the documented surface and ways into the document.

The tests reach schemas inside the built document through a ``referencing`` registry
holding it under ``DOC_URI``, so a JSON pointer into the document becomes a validator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from rivya_contract.schemas import surface

DOC_URI = "urn:rivya:test:openapi"

# (method, path, scope) of every public operation, from the surface file; tests/test_surface.py
# holds the documented table it must match.
SURFACE = [(op.method.lower(), op.path, op.scope) for op in surface().group("api")]
SURFACE_IDS = [f"{method.upper()} {path}" for method, path, _ in SURFACE]


def document_registry(spec: dict[str, Any]) -> Registry[Any]:
    """Return a registry holding the OpenAPI document ``spec`` under ``DOC_URI``."""
    resource: Resource[Any] = Resource.from_contents(spec, default_specification=DRAFT202012)
    with_document: Registry[Any] = Registry().with_resource(DOC_URI, resource)
    return with_document


def document_validator(pointer: str, registry: Registry[Any]) -> Draft202012Validator:
    """Return a validator for the schema at ``pointer`` inside the OpenAPI document."""
    return Draft202012Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry)


def component_validator(name: str, registry: Registry[Any]) -> Draft202012Validator:
    """Return a validator for the component schema ``name`` of the OpenAPI document."""
    return document_validator(f"/components/schemas/{name}", registry)


def operation_of(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """Return the operation object of ``method`` on ``path``."""
    operation: dict[str, Any] = spec["paths"][path][method]
    return operation


def resolve_ref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Return ``node``, or the object its local ``$ref`` points to."""
    ref = node.get("$ref")
    if ref is None:
        return node
    assert isinstance(ref, str) and ref.startswith("#/")
    target: Any = spec
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    assert isinstance(target, dict)
    return target


def iter_refs(node: Any) -> Iterator[str]:
    """Yield every ``$ref`` string found anywhere inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_refs(item)
