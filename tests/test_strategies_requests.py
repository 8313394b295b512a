"""Create-request strategies: valid bodies validate, invalid ones fail exactly as paired."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.plugin.respx_routes import DEFAULT_BASE_URL, mock_transport
from rivya_contract.plugin.schema_strategies import UnsupportedSchema, from_schema, merge
from rivya_contract.plugin.strategies import (
    InvalidRequest,
    generation_requests,
    invalid_generation_requests,
)
from rivya_contract.schemas import REFERENCE_ITEMS, contract, validate_generation_request

CARDS = contract().cards
FAST = settings(max_examples=150, database=None, deadline=None)
SEARCH = settings(
    max_examples=3000, database=None, deadline=None, derandomize=True, phases=[Phase.generate]
)
MOCK = Mock(MockConfig(virtual_clock=True, credits=10**9))
HTTP = httpx.Client(
    base_url=DEFAULT_BASE_URL,
    transport=mock_transport(MOCK),
    headers={"Authorization": f"Bearer {MOCK.config.api_key}"},
)


@FAST
@given(generation_requests())
def test_every_valid_request_validates_against_its_model_card(body: dict[str, Any]) -> None:
    assert validate_generation_request(body) == []
    prompt = body.get("prompt", "")
    assert "\x00" not in prompt
    assert not re.search("[\ud800-\udfff]", prompt)
    prompt.encode("utf-8")


@settings(FAST, suppress_health_check=[HealthCheck.too_slow])
@given(generation_requests(include_references=False))
def test_the_mock_accepts_every_valid_request(body: dict[str, Any]) -> None:
    answer = HTTP.post("/api/v1/generations", json=body)
    assert answer.status_code == 202, answer.text
    card = CARDS[body["model"]]
    assert answer.json()["reserved_credits"] == card.price(body.get("params"), body=body)


class _AllSeen(Exception):
    pass


def assert_reachable(strategy: st.SearchStrategy[Any], wanted: dict[str, Any]) -> None:
    """Assert that ``strategy`` draws, for each named predicate in ``wanted``, a value it holds for.

    One Hypothesis run (derandomized, so the outcome is fixed) that stops once all are seen.
    """
    pending = dict(wanted)

    @SEARCH
    @given(strategy)
    def search(value: Any) -> None:
        for name, holds in list(pending.items()):
            if holds(value):
                del pending[name]
        if not pending:
            raise _AllSeen

    with pytest.raises(_AllSeen):
        search()
    assert not pending


def _params(model: str) -> st.SearchStrategy[dict[str, Any]]:
    """The params of the requests for ``model`` (small to show when a search fails)."""
    return generation_requests(model, client_request_id=False).map(lambda b: b.get("params", {}))


@pytest.mark.parametrize("model", sorted(CARDS))
def test_every_value_of_every_param_is_reachable(model: str) -> None:
    wanted: dict[str, Any] = {}
    schema = CARDS[model].params_schema
    for key, spec in schema["properties"].items():
        values = spec.get("enum") or [spec[b] for b in ("minimum", "maximum") if b in spec]
        for value in values:
            wanted[f"{key}={value}"] = lambda p, k=key, v=value: p.get(k) == v
        if key not in schema.get("required", []):
            wanted[f"no {key}"] = lambda p, k=key: k not in p
    assert_reachable(_params(model), wanted)


def test_every_combination_of_select_params_is_reachable() -> None:
    card = CARDS["grok-imagine"]
    options = {
        key: [None, *spec["enum"]]
        for key, spec in card.params_schema["properties"].items()
        if "enum" in spec
    }
    wanted: dict[str, Any] = {}
    for combination in itertools.product(*options.values()):
        chosen = dict(zip(options, combination, strict=True))
        wanted[repr(chosen)] = lambda p, w=chosen: all(p.get(k) == v for k, v in w.items())
    assert len(wanted) == 18
    assert_reachable(_params(card.id), wanted)


@pytest.mark.parametrize(
    "model", sorted(m for m, card in CARDS.items() if card.max_prompt_length is not None)
)
def test_prompts_reach_the_character_limit_with_four_byte_characters(model: str) -> None:
    limit = CARDS[model].max_prompt_length
    prompts = generation_requests(model).map(lambda b: b.get("prompt", ""))
    at_limit = find(prompts.filter(lambda p: len(p) == limit), lambda p: True, settings=SEARCH)
    minimal = CARDS[model].raw["examples"]["minimal"]
    assert validate_generation_request({**minimal, "prompt": at_limit}) == []
    astral = find(prompts, lambda p: any(ord(c) > 0xFFFF for c in p), settings=SEARCH)
    assert len(astral.encode("utf-8")) > len(astral)


def test_references_are_schema_valid_and_replaceable() -> None:
    item = {"url": "https://cdn.example/x.png", "kind": "image"}
    references = generation_requests("grok-imagine", references=st.just(item)).map(
        lambda b: b.get("params", {}).get(REFERENCE_ITEMS)
    )
    assert find(references, bool, settings=SEARCH) == [item]
    without_prompt = generation_requests(client_request_id=False).map(
        lambda b: {"model": b["model"], "params": b.get("params", {})}
    )
    found = find(without_prompt, lambda b: bool(b["params"].get(REFERENCE_ITEMS)), settings=SEARCH)
    assert validate_generation_request({**found, "prompt": "a fox"}) == []


@FAST
@given(generation_requests(include_references=False, client_request_id=False))
def test_options_leave_fields_out(body: dict[str, Any]) -> None:
    assert "client_request_id" not in body
    assert REFERENCE_ITEMS not in body.get("params", {})


def test_unknown_models_are_refused() -> None:
    with pytest.raises(ValueError, match="no model card"):
        generation_requests("no-such-model")


@settings(max_examples=400, database=None, deadline=None)
@given(invalid_generation_requests())
def test_every_invalid_request_fails_exactly_as_paired(invalid: InvalidRequest) -> None:
    errors = validate_generation_request(json.loads(invalid.content))
    assert [error.path for error in errors] == [invalid.path], invalid.defect
    assert invalid.code == "validation_failed"


@settings(max_examples=200, database=None, deadline=None)
@given(invalid_generation_requests())
def test_the_mock_answers_each_invalid_request_with_its_code_and_field(
    invalid: InvalidRequest,
) -> None:
    before = MOCK.control.accounts.get("acct_demo").balance
    answer = HTTP.post(
        "/api/v1/generations", content=invalid.content, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == invalid.status
    error = answer.json()["error"]
    assert error["code"] == invalid.code
    assert invalid.path in error["message"]
    assert MOCK.control.accounts.get("acct_demo").balance == before


def test_every_defect_is_reachable() -> None:
    words = [
        "model is missing", "names no public model", "prompt is missing", "blank",
        "longer than", "forbidden character", "not a string", "params is not an object",
        "is not a param", "not one of its options", "out of range", "reference items",
        "url is missing or bad", "kind is not", "unknown key", "client_request_id",
        "not a field", "not a JSON object",
    ]  # fmt: skip
    wanted = {w: (lambda d, w=w: w in d) for w in words}
    assert_reachable(invalid_generation_requests().map(lambda i: i.defect), wanted)


def test_the_compiler_merges_and_refuses_what_it_does_not_know() -> None:
    merged = merge({"type": "string", "enum": ["a", "b"]}, {"enum": ["b", "c"], "maxLength": 3})
    assert merged["enum"] == ["b"]
    assert find(from_schema({"type": "integer", "minimum": 3, "maximum": 3}), lambda v: True) == 3
    with pytest.raises(UnsupportedSchema, match="oneOf"):
        from_schema({"oneOf": [{"type": "string"}]})
    with pytest.raises(UnsupportedSchema, match="empty"):
        merge({"enum": ["a"]}, {"enum": ["b"]})
