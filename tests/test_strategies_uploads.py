"""Upload strategies: every case gets exactly its paired outcome from the mock and the schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import Phase, given, settings

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.sniff import detect_mime, same_type
from rivya_contract.plugin.respx_routes import DEFAULT_BASE_URL, mock_transport
from rivya_contract.plugin.strategies import UploadCase, reference_item, uploads
from rivya_contract.plugin.upload_strategies import Variant
from rivya_contract.schemas import contract, validate, validate_generation_request

MOCK = Mock(MockConfig(virtual_clock=True, credits=10**9))
HTTP = httpx.Client(
    base_url=DEFAULT_BASE_URL,
    transport=mock_transport(MOCK),
    headers={"Authorization": f"Bearer {MOCK.config.api_key}"},
)
SMALL: list[Variant] = ["accepted", "spoofed", "empty", "wrong_kind"]


def _policy(case: UploadCase) -> Any:
    if case.model is None:
        return contract().default_upload_policy
    return contract().cards[case.model].upload_policy


@settings(max_examples=120, database=None, deadline=None)
@given(uploads(variants=SMALL))
def test_the_mock_gives_every_upload_its_paired_outcome(case: UploadCase) -> None:
    answer = HTTP.post("/api/v1/files", data=case.form(), files=case.files())
    body = answer.json()
    if case.accepted:
        assert answer.status_code == MOCK.config.upload_status, (case, body)
        assert validate("file", body) == []
        assert body["mime_type"] == case.mime_type
        assert body["size_bytes"] == len(case.data)
        assert HTTP.get(body["url"]).content == case.data
    else:
        assert answer.status_code == contract().error_status[case.code or ""], (case, body)
        assert validate("error", body) == []
        assert body["error"]["code"] == case.code


@settings(max_examples=200, database=None, deadline=None, phases=[Phase.generate])
@given(uploads(variants=SMALL))
def test_every_case_agrees_with_the_upload_policy(case: UploadCase) -> None:
    policy = _policy(case)
    kind = policy.kinds.get(case.kind)
    detected = detect_mime(case.data)
    fits = (
        kind is not None
        and detected is not None
        and 0 < len(case.data) <= kind.max_bytes
        and any(same_type(detected, m) for m in kind.mime_types)
        and (
            case.content_type == "application/octet-stream"
            or same_type(case.content_type, detected)
        )
    )
    assert fits == case.accepted, case
    assert case.accepted == (case.variant == "accepted")


@settings(max_examples=6, database=None, deadline=None)
@given(uploads(variants=["oversize"]))
def test_oversize_uploads_are_one_byte_or_more_past_the_limit_and_refused(case: UploadCase) -> None:
    limit = _policy(case).kinds[case.kind].max_bytes
    assert limit < len(case.data) <= limit + 1024
    answer = HTTP.post("/api/v1/files", data=case.form(), files=case.files())
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation_failed"


@settings(max_examples=40, database=None, deadline=None)
@given(uploads(["grok-imagine"], variants=["accepted"]))
def test_an_accepted_upload_becomes_a_usable_reference(case: UploadCase) -> None:
    stored = HTTP.post("/api/v1/files", data=case.form(), files=case.files()).json()
    params = {"referenceMediaItems": [reference_item(stored)]}
    body = {"model": "grok-imagine", "prompt": "edit", "params": params}
    assert validate_generation_request(body) == []
    created = HTTP.post("/api/v1/generations", json=body)
    assert created.status_code == 202, created.text


def test_every_variant_and_model_is_drawn() -> None:
    seen: set[tuple[str, str | None]] = set()

    @settings(max_examples=400, database=None, derandomize=True, phases=[Phase.generate])
    @given(uploads(variants=SMALL))
    def collect(case: UploadCase) -> None:
        seen.add((case.variant, case.model))

    collect()
    models = {None, *(c.id for c in contract().cards.values() if c.upload_policy)}
    assert {variant for variant, _ in seen} == set(SMALL)
    assert {model for _, model in seen} == models
    assert {variant for variant, model in seen if model == "grok-imagine"} == set(SMALL)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown upload variants"):
        uploads(variants=["nonsense"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no model card"):
        uploads(["no-such-model"])
