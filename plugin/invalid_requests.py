"""Invalid create bodies, each with exactly one defect and the error it must produce.

Every defect is derived from the model card's request schema (its required
fields, options, bounds, patterns and limits), so the pairing holds as the
contract changes: ``validate_generation_request(body)`` names exactly ``path``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from hypothesis import strategies as st

from rivya_contract.plugin.request_strategies import cards_for, requests_for
from rivya_contract.plugin.schema_strategies import (
    ALPHABET,
    character_class,
    complement,
    from_schema,
    patterns_of,
    resolve,
)
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard, contract, json_path

VALIDATION_FAILED = "validation_failed"
"""The code of every malformed create (the contract's code for an invalid body)."""

JSON_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(ALPHABET, max_size=8),
)
"""Any JSON scalar."""

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value, kept small."""


@dataclass(frozen=True)
class InvalidRequest:
    """A create body with exactly one defect, and the error the API must answer with."""

    body: Any
    """The JSON body (may hold a lone surrogate: send ``content``, not ``json=``)."""
    code: str
    """The error code the API must answer with."""
    path: str
    """The JSON path of the one field at fault (``$.params.aspect_ratio``; ``$`` for the body)."""
    defect: str
    """What is wrong, in words."""

    @property
    def status(self) -> int:
        """The HTTP status of ``code``."""
        return contract().error_status[self.code]

    @property
    def content(self) -> bytes:
        """The body as JSON bytes (ASCII escapes, so any string can be sent)."""
        return json.dumps(self.body).encode("ascii")


Defect = Callable[[st.DrawFn, ModelCard, dict[str, Any]], tuple[Any, str, str]]


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _of_type(value: Any, kinds: Iterable[str]) -> bool:
    for kind in kinds:
        if isinstance(value, bool) and kind != "boolean":
            continue
        if isinstance(value, _PYTHON_TYPES[kind]):
            return True
    return False


def _non(*kinds: str) -> st.SearchStrategy[Any]:
    """JSON values of none of the JSON Schema ``kinds``."""
    return JSON_VALUES.filter(lambda v: not _of_type(v, kinds))


@cache
def _blank_characters(pattern: str) -> tuple[str, ...]:
    """Every Basic Multilingual Plane character in which ``pattern`` finds no match."""
    compiled = re.compile(pattern)
    return tuple(c for c in map(chr, range(1, 0xD800)) if compiled.search(c) is None) or (" ",)


def _missing_model(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    del body["model"]
    return body, "$.model", "model is missing"


def _bad_model(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    body["model"] = draw(
        st.one_of(
            st.text(ALPHABET, max_size=24).filter(lambda m: m not in contract().cards),
            _non("string"),
        )
    )
    return body, "$.model", f"model {body['model']!r} names no public model"


def _prompt_schema(card: ModelCard) -> dict[str, Any]:
    return resolve(resolve(card.request_schema)["properties"]["prompt"])


def _forbidden_characters(schema: dict[str, Any]) -> st.SearchStrategy[str] | None:
    """Return single characters a string schema forbids (by ``^[...]*$`` or ``not``), if any."""
    classes = [c for c in map(character_class, patterns_of(schema)) if c is not None]
    regexes = [complement(c) for c in classes]
    if "pattern" in schema.get("not", {}):
        regexes.append(schema["not"]["pattern"])
    if not regexes:
        return None
    return st.one_of(
        [st.from_regex(r, fullmatch=True).filter(lambda c: len(c) == 1) for r in regexes]
    )


def _bad_prompt(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    schema = _prompt_schema(card)
    limit = schema.get("maxLength")
    blank = st.sampled_from(_blank_characters(schema.get("pattern", "(?!)")))
    choices: list[st.SearchStrategy[tuple[Any, str]]] = [
        st.tuples(_non("string"), st.just("prompt is not a string")),
        st.tuples(st.text(blank, max_size=40), st.just("prompt is empty or blank")),
    ]
    if "prompt" in card.request_schema.get("required", []):
        choices.insert(0, st.tuples(st.just(None), st.just("prompt is missing")))
    if limit is not None:
        over = st.builds(
            lambda chunk, extra: (chunk * (limit // len(chunk) + extra + 1))[: limit + extra],
            st.text(ALPHABET, min_size=1, max_size=8).filter(str.strip),
            st.integers(1, 64),
        )
        choices.append(st.tuples(over, st.just(f"prompt is longer than {limit} characters")))
    forbidden = _forbidden_characters(schema)
    if forbidden is not None:
        inserted = st.builds(
            lambda head, bad, tail: head + bad + tail,
            st.text(ALPHABET, max_size=8),
            forbidden,
            st.text(ALPHABET, max_size=8),
        ).filter(lambda p: p.strip() and (limit is None or len(p) <= limit))
        choices.append(st.tuples(inserted, st.just("prompt holds a forbidden character")))
    value, defect = draw(st.one_of(choices))
    if value is None and defect == "prompt is missing":
        body.pop("prompt", None)
    else:
        body["prompt"] = value
    return body, "$.prompt", defect


def _params(card: ModelCard) -> dict[str, Any]:
    return resolve(resolve(card.request_schema)["properties"]["params"])


def _bad_param(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    properties = _params(card)["properties"]
    params = body.setdefault("params", {})
    params.pop(REFERENCE_ITEMS, None)
    keys = [k for k in properties if k != REFERENCE_ITEMS]
    key = draw(st.sampled_from([None, *keys]))
    if key is None:
        key = draw(st.text(ALPHABET, min_size=1, max_size=16).filter(lambda k: k not in properties))
        params[key] = draw(JSON_VALUES)
        return body, json_path(["params", key]), f"params.{key} is not a param of {card.id}"
    spec = resolve(properties[key])
    if "enum" in spec:
        wrong = st.one_of(st.text(ALPHABET, max_size=12), JSON_SCALARS)
        params[key] = draw(wrong.filter(lambda v: v not in spec["enum"] or isinstance(v, bool)))
        return body, json_path(["params", key]), f"params.{key} is not one of its options"
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    wrong_values: list[st.SearchStrategy[Any]] = [_non(*kinds)]
    low, high = spec.get("minimum"), spec.get("maximum")
    step = Fraction(spec["x-step"]) if "x-step" in spec else None
    if low is not None:
        below = math.ceil(low) - 1
        wrong_values.append(st.integers(below - 1000, below).filter(lambda v: v < low))
    if high is not None:
        above = math.floor(high) + 1
        wrong_values.append(st.integers(above, above + 1000).filter(lambda v: v > high))
    if step is not None and low is not None and (high is None or high - low >= step):
        wrong_values.append(st.just(float(Fraction(str(low)) + step / 2)))
    params[key] = draw(st.one_of(wrong_values))
    return body, json_path(["params", key]), f"params.{key} has the wrong type or is out of range"


def _bad_params_object(
    draw: st.DrawFn, card: ModelCard, body: dict[str, Any]
) -> tuple[Any, str, str]:
    body["params"] = draw(_non("object"))
    return body, "$.params", "params is not an object"


def _bad_references(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    spec = _params(card)["properties"][REFERENCE_ITEMS]
    item_schema = resolve(spec["items"])
    item = draw(from_schema(item_schema))
    params = body.setdefault("params", {})
    where = ["params", REFERENCE_ITEMS]
    limit = spec.get("maxItems")
    choice = draw(st.sampled_from(["too many", "url", "kind", "extra"]))
    if choice == "too many" and limit is not None:
        params[REFERENCE_ITEMS] = [item] * (limit + 1)
        return body, json_path(where), f"more than {limit} reference items"
    if choice == "url":
        pattern = item_schema["properties"]["url"].get("pattern", "^$")
        wrong_url = st.text(ALPHABET, max_size=24).filter(lambda u: not re.search(pattern, u))
        item["url"] = draw(st.one_of(st.none(), wrong_url, _non("string")))
        if item["url"] is None:
            del item["url"]
        params[REFERENCE_ITEMS] = [item]
        return body, json_path([*where, 0, "url"]), "a reference item's url is missing or bad"
    if choice == "kind":
        allowed = item_schema["properties"]["kind"]["enum"]
        item["kind"] = draw(st.text(ALPHABET, max_size=10).filter(lambda k: k not in allowed))
        params[REFERENCE_ITEMS] = [item]
        return body, json_path([*where, 0, "kind"]), f"a reference item's kind is not {allowed}"
    key = draw(
        st.text(ALPHABET, min_size=1, max_size=12).filter(
            lambda k: k not in item_schema["properties"]
        )
    )
    item[key] = draw(JSON_SCALARS)
    params[REFERENCE_ITEMS] = [item]
    return body, json_path([*where, 0, key]), f"a reference item has the unknown key {key!r}"


def _bad_field(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    properties = resolve(card.request_schema)["properties"]
    crid = properties.get("client_request_id", {})
    limit = crid.get("maxLength")
    if limit is not None and draw(st.booleans()):
        body["client_request_id"] = draw(st.text(ALPHABET, min_size=limit + 1, max_size=limit + 8))
        return body, "$.client_request_id", f"client_request_id is longer than {limit}"
    key = draw(st.sampled_from(["files"]) | st.text(ALPHABET, min_size=1, max_size=12))
    if key in properties:
        key = key + "_"
    body[key] = draw(JSON_VALUES)
    return body, json_path([key]), f"{key!r} is not a field of the request"


def _not_object(draw: st.DrawFn, card: ModelCard, body: dict[str, Any]) -> tuple[Any, str, str]:
    return draw(_non("object")), "$", "the body is not a JSON object"


DEFECTS: tuple[Defect, ...] = (
    _missing_model,
    _bad_model,
    _bad_prompt,
    _bad_params_object,
    _bad_param,
    _bad_references,
    _bad_field,
    _not_object,
)


def invalid_generation_requests(
    model: str | Iterable[str] | None = None,
) -> st.SearchStrategy[InvalidRequest]:
    """Create bodies with exactly one defect, each paired with its error code and field path.

    Starting from a valid body for ``model`` (see ``generation_requests``), one
    thing is broken: the model missing or unknown, the prompt missing, blank,
    too long, holding a forbidden character or not a string, ``params`` not an
    object, an unknown param, a param value outside its options or range, too
    many or malformed reference items, an unknown top-level field, an
    over-long ``client_request_id``, or a body that is not an object. Against
    the default mock config (unknown params rejected, no coercion) the answer
    is ``code`` (``validation_failed``) naming ``path``.
    """
    cards = cards_for(model)

    @st.composite
    def build(draw: st.DrawFn) -> InvalidRequest:
        card = draw(st.sampled_from(cards))
        valid = requests_for(card.id, False, True)
        if _params(card).get("required"):  # a defect made inside params must not lose them
            valid = valid.filter(lambda body: "params" in body)
        base = draw(valid)
        defects = [d for d in DEFECTS if d is not _bad_references or card.upload_policy]
        defect = draw(st.sampled_from(defects))
        body, path, words = defect(draw, card, json.loads(json.dumps(base)))
        return InvalidRequest(body, VALIDATION_FAILED, path, words)

    return build()
