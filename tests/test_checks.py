"""The compiled request checks give jsonschema's verdict, and validation the same field errors.

jsonschema (each card's ``request_validator``) is the oracle: on every documented
request of every card, on boundary cases, on generated valid and invalid
requests and on requests with arbitrary JSON put in each field, the compiled
check accepts exactly what it accepts, and ``validate_generation_request``
(which asks the check first) answers the field errors jsonschema's errors give.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rivya_contract.plugin.strategies import generation_requests, invalid_generation_requests
from rivya_contract.schemas import contract
from rivya_contract.schemas.cards import REFERENCE_ITEMS, ModelCard
from rivya_contract.schemas.checks import compile_check
from rivya_contract.schemas.errors import field_errors
from rivya_contract.schemas.openapi import example_requests
from rivya_contract.schemas.steps import StepValidator

CARDS = contract().cards
IDS = sorted(CARDS)


def oracle(card: ModelCard, body: Any, *, ignore: bool = False) -> list[Any]:
    errors = field_errors(card.request_validator.iter_errors(body))
    return [e for e in errors if not e.unknown_param] if ignore else errors


def agrees(body: Any) -> None:
    """Assert that check and validation answer as jsonschema does for ``body``."""
    model = body.get("model") if isinstance(body, dict) else None
    card = CARDS.get(model) if isinstance(model, str) else None
    targets = [card] if card is not None else list(CARDS.values())
    for target in targets:
        assert target.request_check is not None
        assert target.request_check(body) is target.request_validator.is_valid(body), target.id
    if card is not None:
        for ignore in (False, True):
            found = contract().validate_generation_request(body, ignore_unknown_params=ignore)
            assert found == oracle(card, body, ignore=ignore)


def corpus() -> list[Any]:
    bodies: list[Any] = [json.loads(json.dumps(b)) for b in example_requests().values()]
    for card in CARDS.values():
        bodies.extend(json.loads(json.dumps(b)) for b in card.raw.get("examples", {}).values())
    return bodies


def test_the_corpus_holds_every_cards_examples() -> None:
    bodies = corpus()
    assert {b["model"] for b in bodies} == set(CARDS)
    assert all(CARDS[b["model"]].request_validator.is_valid(b) for b in bodies)


@pytest.mark.parametrize("index", range(len(corpus())))
def test_every_documented_request_agrees(index: int) -> None:
    agrees(corpus()[index])


def _variants(card: ModelCard, base: dict[str, Any]) -> list[Any]:
    """Bodies broken at every field of ``base`` by values of every JSON type and edge."""
    values: list[Any] = [
        None, True, False, 0, 1, -1, 1.0, 1.5, 2**70, "", " ", "x", "\x00", "\ud800", [], {},
        [1], {"a": 1}, "1:1", 10**6, -0.5, 0.05, 0.7, 0.71,
    ]  # fmt: skip
    out: list[Any] = [None, [], "x", 1, {}]
    for key in [*base, "client_request_id", "files", "extra"]:
        for value in values:
            out.append({**base, key: value})
    params = dict(base.get("params") or {})
    spec = card.params_schema["properties"]
    for key in [*spec, "unknown_param"]:
        for value in [*values, *spec.get(key, {}).get("enum", [])]:
            out.append({**base, "params": {**params, key: value}})
    if REFERENCE_ITEMS in spec:
        item: dict[str, Any] = {"url": "https://a.example/v.mp4", "kind": "video"}
        lists: list[list[dict[str, Any]]] = [
            [item], [item] * 40, [{}], [{**item, "kind": 3}], [{**item, "x": 1}],
        ]  # fmt: skip
        for items in lists:
            out.append({**base, "params": {**params, REFERENCE_ITEMS: items}})
    out.append({**base, "prompt": "é" * 5001})
    return out


@pytest.mark.parametrize("model_id", IDS)
def test_every_field_broken_every_way_agrees(model_id: str) -> None:
    card = CARDS[model_id]
    bases = [b for b in corpus() if b["model"] == model_id]
    for base in bases:
        for body in _variants(card, base):
            agrees(body)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(generation_requests())
def test_generated_valid_requests_agree(body: Any) -> None:
    agrees(body)


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(invalid_generation_requests())
def test_generated_invalid_requests_agree(case: Any) -> None:
    agrees(case.body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(IDS), st.data())
def test_arbitrary_json_in_any_field_agrees(model_id: str, data: st.DataObject) -> None:
    card = CARDS[model_id]
    base = next(b for b in corpus() if b["model"] == model_id)
    spec = sorted(card.params_schema["properties"])
    where = data.draw(st.sampled_from(["body", "top", "param"]))
    value = data.draw(JSON)
    if where == "body":
        body: Any = value
    elif where == "top":
        body = {**base, data.draw(st.sampled_from([*base, "x"])): value}
    else:
        key = data.draw(st.sampled_from([*spec, "x"]))
        body = {**base, "params": {**(base.get("params") or {}), key: value}}
    agrees(body)


KEYWORD_SCHEMAS: list[Any] = [
    {"type": "string", "minLength": 2, "pattern": "^a"},
    {"type": "string", "enum": ["a", "b"]},
    {"type": "integer", "minimum": 1},
    {"type": "number", "maximum": 3},
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "null"}}},
    {"type": "object", "additionalProperties": {"type": "boolean"}},
    {"type": "array", "minItems": 1},
    {"type": ["string", "array"], "maxLength": 1, "maxItems": 1},
    {"enum": [1, True, None, "a", 2.5]},
    {"const": 0},
    {"const": [1]},
    {"type": ["integer", "null"], "multipleOf": 2},
    {"anyOf": [{"type": "string"}, {"minimum": 3}]},
    {"type": "object", "patternProperties": {"^a": {"type": "integer"}}},
    {"type": "number", "x-step": "0.05", "minimum": 0.7},
    {"not": {"type": "string"}},
    {"items": False},
    {"type": "array", "items": {"enum": ["a"]}, "maxItems": 2},
    True,
    False,
]


@pytest.mark.parametrize("schema", KEYWORD_SCHEMAS, ids=[str(s) for s in KEYWORD_SCHEMAS])
@settings(max_examples=100, deadline=None)
@given(value=JSON)
def test_keywords_the_compiler_leaves_to_the_validator_agree(schema: Any, value: Any) -> None:
    validator = StepValidator(schema)
    assert compile_check(schema, validator)(value) is validator.is_valid(value)
