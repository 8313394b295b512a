"""The version policy as schemas: what a response from others may add and still be compatible.

The docs call an added optional response field compatible. The schema files close
every response object (``additionalProperties: false``), which keeps this mock
from growing a field by accident; what we accept from another server, and what
the published document promises clients, is the same schema opened: every
``additionalProperties: false`` removed. Request schemas stay closed (unknown
params are refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from rivya_contract.schemas.contract import contract
from rivya_contract.schemas.errors import FieldError, field_errors, json_path

RESPONSE_SCHEMAS = (
    "task",
    "file",
    "credits",
    "model",
    "model-list",
    "error",
    "webhook-endpoint",
    "webhook-endpoint-list",
    "webhook-event",
    "webhook-event-list",
    "webhook-delivery",
    "webhook-delivery-list",
)
"""The schema files that describe response bodies, opened for what others send."""


def open_schema(node: Any) -> Any:
    """Return ``node`` with every ``additionalProperties: false`` removed, recursively."""
    if isinstance(node, dict):
        return {
            key: open_schema(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [open_schema(item) for item in node]
    return node


@cache
def _open_validators() -> Mapping[str, Draft202012Validator]:
    schemas = contract().schemas
    opened = {
        name: open_schema(doc) if name in RESPONSE_SCHEMAS else doc for name, doc in schemas.items()
    }
    resources = [
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012))
        for doc in opened.values()
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return {
        name: Draft202012Validator(opened[name], registry=registry) for name in RESPONSE_SCHEMAS
    }


def accepted_errors(name: str, instance: object) -> list[FieldError]:
    """Return how ``instance`` breaks the opened response schema ``name``: the breaking part."""
    return field_errors(_open_validators()[name].iter_errors(instance))


def _unknown_keys(error: ValidationError) -> list[str]:
    found: list[str] = []
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema: Any = error.schema
        allowed = schema.get("properties", {})
        parts = list(error.absolute_path)
        found += [json_path([*parts, key]) for key in error.instance if key not in allowed]
    for inner in error.context or ():
        found += _unknown_keys(inner)
    return found


def extra_fields(name: str, instance: object) -> list[str]:
    """Return the JSON paths of the fields ``instance`` has beyond the strict schema ``name``.

    Alternatives (``oneOf``) are searched too, so a field added inside a task's
    ``result`` is found; the schemas' alternatives differ by type only, so no
    branch reports a key another branch allows.
    """
    paths: set[str] = set()
    for error in contract().validator(name).iter_errors(instance):
        paths.update(_unknown_keys(error))
    return sorted(paths)


def documented_codes() -> frozenset[str]:
    """Return the error codes the docs list (the error schema's ``x-codes``)."""
    return frozenset(contract().error_status)
