"""Hypothesis strategies compiled from the JSON Schema subset the contract's schemas use.

Faster than a general JSON Schema generator because the subset is small:
``type``, ``enum``, ``const``, string lengths and patterns, number bounds,
``multipleOf`` and exact decimal steps (``x-step``, counted from the minimum),
objects with ``properties``/``required``/``additionalProperties: false``,
arrays with ``items`` and size bounds, ``allOf`` and ``$ref`` into the
contract's registry, and ``not`` (as a filter). ``allOf`` is merged into one
schema first (enums intersect, bounds tighten), so every value drawn is valid
by construction. A keyword outside the subset raises ``UnsupportedSchema``: a
schema change then shows up as an error, never as invalid examples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from rivya_contract.schemas import contract

ANNOTATIONS = frozenset(
    {"$schema", "$id", "title", "description", "default", "examples", "$comment", "deprecated"}
)
"""Keywords that do not constrain values."""

SHORT_TEXT = 48
"""Strings longer than this come from the long-string branch, built in one step."""

ALPHABET = st.characters(codec="utf-8", exclude_characters="\x00")
"""The characters of generated strings: every Unicode scalar value but NUL (four-byte ones
included); surrogates cannot be encoded, so they never appear. One plain ``characters``
strategy, so Hypothesis draws a whole string in one step."""


class UnsupportedSchema(ValueError):
    """The schema uses a keyword or combination this compiler does not handle."""


def resolve(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``schema`` with its ``$ref`` and ``allOf`` merged into one flat schema."""
    flat = {key: value for key, value in schema.items() if key not in ("$ref", "allOf")}
    parts: list[Mapping[str, Any]] = []
    if "$ref" in schema:
        parts.append(contract().registry.contents(schema["$ref"]))
    parts.extend(schema.get("allOf", []))
    for part in parts:
        flat = merge(flat, resolve(part))
    return flat


def _tighter(key: str, a: Any, b: Any) -> Any:
    return min(a, b) if key.startswith("max") else max(a, b)


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Return one schema that accepts exactly what both ``a`` and ``b`` accept (in the subset)."""
    merged = dict(a)
    for key, value in b.items():
        if key not in merged or key in ANNOTATIONS:
            merged.setdefault(key, value)
            continue
        mine = merged[key]
        if key == "properties":
            merged[key] = _merge_properties(a, b)
        elif key == "required":
            merged[key] = list(dict.fromkeys([*mine, *value]))
        elif key == "enum":
            merged[key] = [item for item in mine if item in value]
            if not merged[key]:
                raise UnsupportedSchema("the merged enum is empty")
        elif key in ("maxLength", "maximum", "maxItems", "minLength", "minimum", "minItems"):
            merged[key] = _tighter(key, mine, value)
        elif key == "type":
            kinds = [t for t in _list(mine) if t in _list(value)]
            if not kinds:
                raise UnsupportedSchema(f"types {mine!r} and {value!r} do not overlap")
            merged[key] = kinds if len(kinds) > 1 else kinds[0]
        elif key == "pattern":
            merged["pattern"] = mine
            merged["x-patterns"] = [*merged.get("x-patterns", []), value]
        elif key == "items":
            merged[key] = merge(resolve(mine), resolve(value))
        elif key == "additionalProperties":
            merged[key] = mine and value
        elif mine != value:
            raise UnsupportedSchema(f"cannot merge {key}: {mine!r} and {value!r}")
    if merged.get("additionalProperties") is False:
        closed = [s for s in (a, b) if s.get("additionalProperties") is False]
        allowed = set.intersection(*(set(s.get("properties", {})) for s in closed))
        merged["properties"] = {
            k: v for k, v in merged.get("properties", {}).items() if k in allowed
        }
    return merged


def _merge_properties(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    left, right = a.get("properties", {}), b.get("properties", {})
    return {
        name: merge(resolve(left.get(name, {})), resolve(right.get(name, {})))
        for name in dict.fromkeys([*left, *right])
    }


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _fill(chunk: str, length: int) -> str:
    return (chunk * (length // len(chunk) + 1))[:length]


CLASS_STAR = re.compile(r"\^(\[(?:\\.|[^\]\\])*\])\*\$")
"""A pattern of the form ``^[...]*$``: every character from one class."""


def character_class(pattern: str) -> str | None:
    r"""Return the class of a ``^[...]*$`` pattern (``[^\x00]``), or None for other patterns."""
    found = CLASS_STAR.fullmatch(pattern)
    return found.group(1) if found else None


def complement(character_class: str) -> str:
    """Return the character class matching exactly the characters ``character_class`` does not."""
    inner = character_class[1:-1]
    return "[" + inner[1:] + "]" if inner.startswith("^") else "[^" + inner + "]"


def text(
    min_size: int, max_size: int | None, patterns: list[str] | None = None
) -> st.SearchStrategy[str]:
    r"""Draw strings of ``min_size``..``max_size`` characters matching every pattern.

    Lengths up to the maximum are reachable: strings longer than
    ``SHORT_TEXT`` repeat a drawn chunk to an exact drawn length, and the
    maximum itself is drawn often. An anchored pattern other than ``^[...]*$``
    (``^https?://``) is generated from the regex; every other pattern (``\S``,
    ``^[^\x00]*$``) filters, which rarely rejects since ``ALPHABET`` already
    leaves out NUL and surrogates.
    """
    generated: re.Pattern[str] | None = None
    filters: list[re.Pattern[str]] = []
    for pattern in patterns or []:
        if character_class(pattern) is None and pattern.startswith("^") and generated is None:
            generated = re.compile(pattern)
        else:
            filters.append(re.compile(pattern))
    if generated is not None:
        base: st.SearchStrategy[str] = st.from_regex(generated, alphabet=ALPHABET)
        base = base.filter(lambda s: min_size <= len(s) <= (max_size or math.inf))
    else:
        short_max = SHORT_TEXT if max_size is None else min(max_size, SHORT_TEXT)
        base = st.text(ALPHABET, min_size=min_size, max_size=short_max)
        if max_size is not None and max_size > SHORT_TEXT:
            lengths = st.one_of(st.just(max_size), st.integers(SHORT_TEXT + 1, max_size))
            chunks = st.text(ALPHABET, min_size=1, max_size=SHORT_TEXT)
            base = st.one_of(base, st.builds(_fill, chunks, lengths))
    for compiled in filters:
        base = base.filter(compiled.search)
    return base


def patterns_of(schema: Mapping[str, Any]) -> list[str]:
    """Return every pattern a (resolved) string schema sets."""
    found = [schema["pattern"]] if "pattern" in schema else []
    return found + list(schema.get("x-patterns", []))


def _numbers(schema: Mapping[str, Any], integer: bool) -> st.SearchStrategy[int | float]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
        raise UnsupportedSchema("exclusive bounds")
    if "x-step" in schema:
        return _stepped(schema)
    step = schema.get("multipleOf", 1 if integer else None)
    if step is None:
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    fraction = Fraction(str(step))
    first = None if low is None else math.ceil(Fraction(str(low)) / fraction)
    last = None if high is None else math.floor(Fraction(str(high)) / fraction)
    as_int = fraction.denominator == 1
    return st.integers(first, last).map(
        lambda k: int(k * fraction) if as_int else float(k * fraction)
    )


def _stepped(schema: Mapping[str, Any]) -> st.SearchStrategy[int | float]:
    """Draw ``minimum + k * x-step`` within the bounds, exactly (shrinks towards the minimum)."""
    step = Fraction(schema["x-step"])
    base = Fraction(str(schema.get("minimum", 0)))
    high = schema.get("maximum")
    last = None if high is None else math.floor((Fraction(str(high)) - base) / step)
    whole = step.denominator == 1 and base.denominator == 1
    return st.integers(0, last).map(
        lambda k: int(base + k * step) if whole else float(base + k * step)
    )


def _object(schema: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    extra = schema.get("additionalProperties", True)
    if extra is not False and schema.get("properties"):
        raise UnsupportedSchema("open objects with properties (set additionalProperties: false)")
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    missing = required - set(properties)
    if missing:
        raise UnsupportedSchema(f"required keys without a schema: {sorted(missing)}")
    if not properties:
        return st.fixed_dictionaries({})
    strategies = {name: from_schema(sub) for name, sub in properties.items()}
    return st.fixed_dictionaries(
        {k: v for k, v in strategies.items() if k in required},
        optional={k: v for k, v in strategies.items() if k not in required},
    )


def _array(schema: Mapping[str, Any]) -> st.SearchStrategy[list[Any]]:
    items = from_schema(schema.get("items", {"type": "null"}))
    return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems"))


_SIMPLE: dict[str, Callable[[Mapping[str, Any]], st.SearchStrategy[Any]]] = {
    "string": lambda s: text(s.get("minLength", 0), s.get("maxLength"), patterns_of(s)),
    "integer": lambda s: _numbers(s, integer=True),
    "number": lambda s: _numbers(s, integer=False),
    "boolean": lambda s: st.booleans(),
    "null": lambda s: st.none(),
    "object": _object,
    "array": _array,
}

_KNOWN = frozenset(
    {"type", "enum", "const", "minLength", "maxLength", "pattern", "x-patterns", "minimum"}
    | {"maximum", "multipleOf", "x-step", "properties", "required", "additionalProperties"}
    | {"items"}
    | {"minItems", "maxItems", "exclusiveMinimum", "exclusiveMaximum", "not"}
)


def _excluding(schema: Mapping[str, Any]) -> Callable[[Any], bool]:
    """Return a predicate true for the values ``schema`` rejects (for ``not``)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, registry=contract().registry)
    return lambda value: not validator.is_valid(value)


def from_schema(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Return a strategy for the values ``schema`` accepts (the subset described above)."""
    flat = resolve(schema)
    unknown = {k for k in flat if k not in _KNOWN and k not in ANNOTATIONS}
    unknown -= {k for k in flat if k.startswith("x-")}
    if unknown:
        raise UnsupportedSchema(f"unsupported keywords: {sorted(unknown)}")
    strategy: st.SearchStrategy[Any]
    if "const" in flat:
        strategy = st.just(flat["const"])
    elif "enum" in flat:
        strategy = st.sampled_from(flat["enum"])
    else:
        kinds = _list(flat.get("type"))
        if kinds == [None]:
            raise UnsupportedSchema("a schema without a type, enum or const")
        strategy = st.one_of(*(_SIMPLE[kind](flat) for kind in kinds))
    if "not" in flat:
        strategy = strategy.filter(_excluding(flat["not"]))
    return strategy
