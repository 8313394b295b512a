"""JSON Schemas compiled to plain Python checks that only answer valid or not.

A create is validated on every request, and almost every request is valid, so
the pipeline asks a compiled check first and runs the full validator only to
explain a refusal (``contract.validate_generation_request``). The checks are
derived from the same schema the validator compiles, never written by hand:
the keywords the request schemas use most are compiled to closures with
jsonschema's semantics (booleans are not numbers, ``integer`` takes ``1.0``,
``pattern`` searches, string length counts code points), and every other
keyword the validator knows is answered by the validator's own function for
it, so a check can never accept what the validator refuses, or the reverse.
``tests/test_checks.py`` holds them to that on every card and on generated
requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator as Validator

Check = Callable[[Any], bool]
"""Whether an instance satisfies the schema it was compiled from."""

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples"}
)
_SCALARS = (str, int, float, bool, type(None))


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def _same(value: Any, expected: Any) -> bool:
    """Equality as JSON Schema means it for scalars: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    if expected is None or value is None:
        return value is expected
    if isinstance(expected, str) or isinstance(value, str):
        return isinstance(value, str) and isinstance(expected, str) and value == expected
    return _is_number(value) and value == expected


def _type_check(expected: Any) -> Check:
    names = expected if isinstance(expected, list) else [expected]
    checks = [_TYPES[name] for name in names]
    if len(checks) == 1:
        return checks[0]
    return lambda value: any(check(value) for check in checks)


def _enum_check(values: list[Any]) -> Check | None:
    if not all(isinstance(v, _SCALARS) for v in values):
        return None
    if all(isinstance(v, str) for v in values):
        allowed = frozenset(values)
        return lambda value: isinstance(value, str) and value in allowed
    return lambda value: any(_same(value, v) for v in values)


def _object_check(
    schema: Mapping[str, Any], compile_: Callable[[Any], Check], typed: bool
) -> Check:
    properties = {key: compile_(sub) for key, sub in schema.get("properties", {}).items()}
    extra_raw = schema.get("additionalProperties", True)
    extra: Check | None = None if extra_raw is True else compile_(extra_raw)
    required = tuple(schema.get("required", ()))

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not typed
        for key in required:
            if key not in value:
                return False
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None:
                if extra is not None and not extra(item):
                    return False
            elif not sub(item):
                return False
        return True

    return check


def _string_check(schema: Mapping[str, Any], typed: bool) -> Check:
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    search = re.compile(pattern).search if pattern is not None else None

    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return not typed
        if len(value) < low or (high is not None and len(value) > high):
            return False
        return search is None or search(value) is not None

    return check


def _bound_check(schema: Mapping[str, Any], typed: Check | None) -> Check:
    low = schema.get("minimum")
    high = schema.get("maximum")

    def check(value: Any) -> bool:
        if typed is not None and not typed(value):
            return False
        if not _is_number(value):
            return True
        return (low is None or value >= low) and (high is None or value <= high)

    return check


def _array_check(schema: Mapping[str, Any], compile_: Callable[[Any], Check], typed: bool) -> Check:
    items = compile_(schema["items"]) if "items" in schema else None
    low = schema.get("minItems", 0)
    high = schema.get("maxItems")

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return not typed
        if len(value) < low or (high is not None and len(value) > high):
            return False
        return items is None or all(items(item) for item in value)

    return check


_OBJECT = frozenset({"properties", "additionalProperties", "required"})
_STRING = frozenset({"minLength", "maxLength", "pattern"})
_BOUNDS = frozenset({"minimum", "maximum"})
_ARRAY = frozenset({"items", "minItems", "maxItems"})
_DEFERRING = frozenset({"patternProperties", "prefixItems", "unevaluatedProperties"})
"""Keywords that change what ``properties`` or ``items`` mean: their schema is left whole to
the validator."""


def compile_check(schema: Any, validator: Validator) -> Check:
    """Compile ``schema`` (part of ``validator``'s root schema) into a check.

    ``validator`` answers every keyword the compiler does not compile itself,
    through its own keyword functions; keywords it does not know are ignored,
    as it ignores them.
    """
    known: Mapping[str, Any] = validator.VALIDATORS

    def compile_(sub: Any) -> Check:
        if sub is True:
            return lambda value: True
        if sub is False:
            return lambda value: False
        if not isinstance(sub, dict) or sub.keys() & _DEFERRING or "$ref" in sub:
            return _deferred(sub, validator)
        checks: list[Check] = []
        keys = sub.keys()
        kind = sub.get("type") if isinstance(sub.get("type"), str) else None
        folded = False  # whether a check below also checks the type, as the type is its own
        if "enum" in sub:
            found = _enum_check(sub["enum"])
            checks.append(found or _keyword(validator, "enum", sub))
            folded = kind == "string" and all(isinstance(v, str) for v in sub["enum"])
        if "const" in sub:
            checks.append(_enum_check([sub["const"]]) or _keyword(validator, "const", sub))
        if keys & _OBJECT:
            checks.append(_object_check(sub, compile_, kind == "object"))
            folded = folded or kind == "object"
        if keys & _STRING:
            checks.append(_string_check(sub, kind == "string"))
            folded = folded or kind == "string"
        if keys & _BOUNDS:
            numeric = kind in ("number", "integer")
            checks.append(_bound_check(sub, _TYPES[str(kind)] if numeric else None))
            folded = folded or numeric
        if keys & _ARRAY:
            checks.append(_array_check(sub, compile_, kind == "array"))
            folded = folded or kind == "array"
        if "type" in sub and not folded:
            checks.insert(0, _type_check(sub["type"]))
        if "allOf" in sub:
            checks.extend(compile_(part) for part in sub["allOf"])
        compiled = {"type", "enum", "const", "allOf"} | _OBJECT | _STRING | _BOUNDS | _ARRAY
        for keyword in sub:
            if keyword not in compiled and keyword not in _ANNOTATIONS and keyword in known:
                checks.append(_keyword(validator, keyword, sub))
        return _all(checks)

    return compile_(schema)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)

    def check(value: Any) -> bool:
        for each in checks:  # noqa: SIM110 (a loop is faster than all() over a generator)
            if not each(value):
                return False
        return True

    return check


def _keyword(validator: Validator, keyword: str, schema: Mapping[str, Any]) -> Check:
    """Answer one keyword through the validator's own function for it."""
    function = validator.VALIDATORS[keyword]
    expected = schema[keyword]

    def check(value: Any) -> bool:
        return next(iter(function(validator, expected, value, schema) or ()), None) is None

    return check


def _deferred(schema: Any, validator: Validator) -> Check:
    """Leave a whole subschema to the validator (``$ref``, ``patternProperties`` and the like)."""

    def check(value: Any) -> bool:
        return next(validator.descend(value, schema), None) is None

    return check
