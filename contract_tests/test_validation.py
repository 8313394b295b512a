"""Invalid create requests: each is validation_failed and reserves nothing."""

from __future__ import annotations

from typing import Any

import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.endpoints import CREATE, CREDITS

OK: dict[str, Any] = {"model": "grok-imagine", "prompt": "A lighthouse at dusk"}
REFERENCE = {"url": "https://cdn.example.com/reference-image.png", "kind": "image"}

INVALID: dict[str, Any] = {
    "missing model": {"prompt": "x"},
    "unknown model": {**OK, "model": "no-such-model-contract"},
    "empty prompt": {**OK, "prompt": ""},
    "missing prompt": {"model": "grok-imagine"},
    "prompt over 5000 characters": {**OK, "prompt": "é" * 5001},
    "boolean select": {**OK, "params": {"enable_pro": False}},
    "unknown aspect ratio": {**OK, "params": {"aspect_ratio": "4:3"}},
    "unknown param": {**OK, "params": {"contract_unknown_param": "1"}},
    "params not an object": {**OK, "params": ["1:1"]},
    "top-level files field": {**OK, "files": [REFERENCE]},
    "two references": {**OK, "params": {"referenceMediaItems": [REFERENCE, REFERENCE]}},
    "video reference": {**OK, "params": {"referenceMediaItems": [{**REFERENCE, "kind": "video"}]}},
    "body is a list": [OK],
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_body_is_validation_failed(api: ContractClient, case: str) -> None:
    response = api.request("POST", "/api/v1/generations", json_body=INVALID[case])
    expect(response, CREATE, status=400, code="validation_failed", check=case)


@pytest.mark.parametrize(
    ("case", "content", "content_type"),
    [
        ("malformed JSON", b'{"model": "grok-imagine", ', "application/json"),
        ("empty body", b"", "application/json"),
        ("form content type", b"model=grok-imagine&prompt=x", "application/x-www-form-urlencoded"),
    ],
)
def test_unreadable_body_is_validation_failed(
    api: ContractClient, case: str, content: bytes, content_type: str
) -> None:
    response = api.request(
        "POST", "/api/v1/generations", content=content, headers={"Content-Type": content_type}
    )
    expect(response, CREATE, status=400, code="validation_failed", check=case)


def test_rejected_requests_reserve_nothing(api: ContractClient) -> None:
    before = expect(api.request("GET", "/api/v1/credits"), CREDITS, status=200, schema="credits")
    for body in INVALID.values():
        api.request("POST", "/api/v1/generations", json_body=body)
    after = expect(api.request("GET", "/api/v1/credits"), CREDITS, status=200, schema="credits")
    assert after["current_credits"] >= before["current_credits"]
