"""Schema validation errors as field paths and readable messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import ValidationError

from rivya_contract.schemas.cards import PROMPT_CHARACTERS

_MAX_SHOWN = 60


@dataclass(frozen=True, order=True)
class FieldError:
    """One failing field: its JSON path (``$.params.aspect_ratio``) and what is wrong."""

    path: str
    message: str
    unknown_param: bool = False
    """True when the field is an unknown key inside ``params``."""
    kind: Literal["missing", "unknown", "invalid"] = "invalid"
    """missing: a required key is absent; unknown: a key the schema does not allow; invalid:
    the value breaks a rule."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def json_path(parts: Iterable[str | int]) -> str:
    """Render path parts as a JSON path: ``["params", "x", 0]`` -> ``$.params.x[0]``."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_TYPE_NAMES = {
    "object": "a JSON object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def _type_phrase(expected: object) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in names)


def _message(error: ValidationError) -> str:
    stated = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    if isinstance(stated, str):
        return stated
    kind = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance
    if kind == "type":
        return f"must be {_type_phrase(expected)}, got {_shown(value)}"
    if kind == "enum":
        return f"must be one of {list(expected)}, got {_shown(value)}"
    if kind == "const":
        return f"must be {expected!r}, got {_shown(value)}"
    if kind == "maxLength":
        return f"must be at most {expected} characters, got {len(value)}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if kind == "maxItems":
        return f"must have at most {expected} items, got {len(value)}"
    if kind == "minItems":
        return f"must have at least {expected} items"
    if kind == "x-step":
        start = error.schema.get("minimum", 0) if isinstance(error.schema, dict) else 0
        return f"{_shown(value)} is off the {expected} step (counted from {start})"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        return f"{_shown(value)} breaks {kind} {expected}"
    if kind == "pattern":
        if expected == r"\S":
            return "must not be blank"
        if expected == PROMPT_CHARACTERS:
            return "must not contain NUL characters or unpaired surrogates (\\ud800-\\udfff)"
        return f"{_shown(value)} does not match {expected!r}"
    text = str(error.message)
    return text if len(text) <= 200 else text[:197] + "..."


_RANK = {"type": 0, "required": 1, "additionalProperties": 1, "minLength": 2, "pattern": 9}


def _expand(error: ValidationError) -> list[FieldError]:
    """Turn one jsonschema error into field errors, one per offending key."""
    parts: Sequence[str | int] = list(error.absolute_path)
    in_params = list(parts) == ["params"]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema: Any = error.schema
        allowed = schema.get("properties", {})
        extra = [key for key in error.instance if key not in allowed]
        out = []
        for key in extra:
            if not parts and key == "files":
                message = (
                    "is not accepted: upload with POST /api/v1/files, then pass "
                    "params.referenceMediaItems"
                )
            else:
                message = "is not a known param" if in_params else "is not a known field"
            path = json_path([*parts, key])
            out.append(FieldError(path, message, unknown_param=in_params, kind="unknown"))
        return out
    if error.validator == "required" and isinstance(error.instance, dict):
        required: Any = error.validator_value
        missing = [key for key in required if key not in error.instance]
        return [
            FieldError(json_path([*parts, key]), "is required", kind="missing") for key in missing
        ]
    stated = isinstance(error.schema, dict) and "x-error" in error.schema
    if error.validator in ("oneOf", "anyOf") and error.context and not stated:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        return _expand(deepest)
    return [FieldError(json_path(parts), _message(error))]


def field_errors(errors: Iterable[ValidationError]) -> list[FieldError]:
    """Convert jsonschema errors into field errors: one per path, sorted by path.

    Where several rules fail on one field, the most basic one is kept (a wrong
    type before a wrong value).
    """
    best: dict[str, tuple[int, FieldError]] = {}
    for error in errors:
        rank = _RANK.get(str(error.validator), 5)
        for found in _expand(error):
            kept = best.get(found.path)
            if kept is None or rank < kept[0]:
                best[found.path] = (rank, found)
    return [found for _, found in sorted(best.values(), key=lambda item: item[1].path)]
