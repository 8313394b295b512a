"""Every documented error code, reached without scenario control, with its status and envelope.

Each test runs over the in-process pipeline and the ASGI app, and checks the
error against the ``error`` schema with ``X-Request-Id == error.requestId``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import (
    API,
    add_account,
    bearer,
    client_for,
    create,
    error_of,
    path_of,
    poll,
    reference_png,
    text_request,
    upload,
    valid,
    without_request_id,
)

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.ratelimit import RateLimit
from rivya_contract.mock_server.records import ALL_SCOPES, ApiKey

LONG_PROMPT = "\U0001f98a" * 5001


def post_raw(client: httpx.Client, key: str, content: bytes, content_type: str) -> httpx.Response:
    """POST raw bytes to /generations."""
    headers = {**bearer(key), "Content-Type": content_type}
    return client.post(f"{API}/generations", headers=headers, content=content)


INVALID_BODIES: list[tuple[Any, str]] = [
    ({"prompt": "a fox"}, "$.model"),
    ({"model": "no-such-model", "prompt": "a fox"}, "$.model"),
    ({"model": "grok-imagine"}, "$.prompt"),
    ({"model": "grok-imagine", "prompt": "   "}, "$.prompt"),
    ({"model": "grok-imagine", "prompt": LONG_PROMPT}, "$.prompt"),
    (text_request(aspect_ratio="4:3"), "$.params.aspect_ratio"),
    ({"model": "grok-imagine", "prompt": "x", "params": {"enable_pro": False}}, "enable_pro"),
    ({"model": "grok-imagine", "prompt": "x", "params": {"seed": "1"}}, "$.params.seed"),
    ({"model": "grok-imagine", "prompt": "x", "params": "1:1"}, "$.params"),
    ({"model": "grok-imagine", "prompt": "x", "files": []}, "$.files"),
    ({"model": "grok-imagine", "prompt": "x", "extra": 1}, "$.extra"),
    ({"model": "grok-imagine", "prompt": "x", "client_request_id": "c" * 129}, "client_request_id"),
    (["grok-imagine"], "$"),
    (
        text_request(referenceMediaItems=[{"url": "https://a.example/x.png"}]),  # type: ignore[arg-type]
        "kind",
    ),
]


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES)
def test_an_invalid_body_is_validation_failed_naming_the_field(
    mock: Mock, client: httpx.Client, body: Any, field: str
) -> None:
    error = error_of(create(client, mock.config.api_key, body), "validation_failed", 400)
    assert field in error["message"]
    assert mock.backend.balance().reserved == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"model": "grok-imagine", "prompt": ', "application/json"),
        (b"", "application/json"),
        (b'{"model": "grok-imagine", "prompt": "x"}', "text/plain"),
        (b'{"model": "grok-imagine", "prompt": "x", "prompt": "y"}', "application/json"),
        (b'{"model": "grok-imagine", "prompt": NaN}', "application/json"),
        (b'{"model": "grok-imagine", "prompt": "\xff"}', "application/json"),
    ],
)
def test_a_malformed_body_is_validation_failed(
    mock: Mock, client: httpx.Client, content: bytes, content_type: str
) -> None:
    error_of(post_raw(client, mock.config.api_key, content, content_type), "validation_failed", 400)


def test_a_body_over_the_limit_is_validation_failed(transport: str) -> None:
    mock = Mock(MockConfig(virtual_clock=True, max_body_bytes=64))
    body = text_request("a fox " * 20)
    error = error_of(
        create(client_for(transport, mock), mock.config.api_key, body), "validation_failed", 400
    )
    assert "64" in error["message"]


@pytest.mark.parametrize("header", [None, "Basic eDp5", "Bearer", "Bearer   ", "Token rvya_sk_x"])
def test_no_usable_authorization_is_api_key_missing(
    client: httpx.Client, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    error_of(client.get(f"{API}/credits", headers=headers), "api_key_missing", 401)


def test_the_scheme_is_not_case_sensitive(mock: Mock, client: httpx.Client) -> None:
    headers = {"Authorization": f"bearer {mock.config.api_key}"}
    assert client.get(f"{API}/credits", headers=headers).status_code == 200


@pytest.mark.parametrize("token", ["rvya_sk_unknown", "rvya_sk_mock_0000000000000001", "x" * 600])
def test_an_unknown_key_is_api_key_invalid(client: httpx.Client, token: str) -> None:
    error_of(client.get(f"{API}/credits", headers=bearer(token)), "api_key_invalid", 401)


def test_a_revoked_key_is_api_key_revoked(mock: Mock, client: httpx.Client) -> None:
    key = add_account(mock, "acct_revoked", 100, revoked=True)
    error_of(client.get(f"{API}/credits", headers=bearer(key)), "api_key_revoked", 401)
    error_of(create(client, key, text_request()), "api_key_revoked", 401)


def test_an_expired_key_is_api_key_expired(mock: Mock, client: httpx.Client) -> None:
    key = add_account(mock, "acct_expired", 100, expires_at=mock.clock.now() - 1)
    error_of(client.get(f"{API}/credits", headers=bearer(key)), "api_key_expired", 401)


def test_a_key_expires_when_the_clock_reaches_its_expiry(mock: Mock, client: httpx.Client) -> None:
    key = add_account(mock, "acct_soon", 100, expires_at=mock.clock.now() + 60)
    assert client.get(f"{API}/credits", headers=bearer(key)).status_code == 200
    mock.clock.advance(59)
    assert client.get(f"{API}/credits", headers=bearer(key)).status_code == 200
    mock.clock.advance(1)
    error_of(client.get(f"{API}/credits", headers=bearer(key)), "api_key_expired", 401)


def _scoped_requests(
    mock: Mock, client: httpx.Client
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Return, per scope, a request that needs it (ids from the demo account)."""
    key = mock.config.api_key
    task = valid("task", create(client, key, text_request()))
    stored = valid("file", upload(client, key, reference_png(), kind="image"))
    return {
        "generations:create": ("POST", f"{API}/generations", {"json": text_request()}),
        "generations:read": ("GET", f"{API}/generations/{task['id']}", {}),
        "files:create": (
            "POST",
            f"{API}/files",
            {"data": {"kind": "image"}, "files": {"file": ("a.png", reference_png(), "image/png")}},
        ),
        "files:read": ("GET", f"{API}/files/{stored['id']}", {}),
        "credits:read": ("GET", f"{API}/credits", {}),
    }


def test_a_key_without_the_scope_is_api_scope_denied_on_each_endpoint(
    mock: Mock, client: httpx.Client
) -> None:
    requests = _scoped_requests(mock, client)
    for scope, (method, path, options) in requests.items():
        without = f"rvya_sk_without_{scope}"
        mock.backend.store.add_key(ApiKey(without, "acct_demo", ALL_SCOPES - {scope}))
        denied = client.request(method, path, headers=bearer(without), **options)
        assert scope in error_of(denied, "api_scope_denied", 403)["message"]
        only = f"rvya_sk_only_{scope}"
        mock.backend.store.add_key(ApiKey(only, "acct_demo", frozenset({scope})))
        allowed = client.request(method, path, headers=bearer(only), **options)
        assert allowed.status_code < 300, (scope, allowed.text)


def test_public_endpoints_need_no_key_and_ignore_a_bad_one(client: httpx.Client) -> None:
    for path in (f"{API}/models", f"{API}/openapi.json"):
        assert client.get(path).status_code == 200
        assert client.get(path, headers=bearer("rvya_sk_nope")).status_code == 200


def test_unknown_task_file_and_endpoint_are_not_found(mock: Mock, client: httpx.Client) -> None:
    key = mock.config.api_key
    error_of(poll(client, key, "task_000000000000000000000000"), "not_found", 404)
    error_of(
        client.get(f"{API}/files/file_000000000000000000000000", headers=bearer(key)),
        "not_found",
        404,
    )
    error_of(client.get(f"{API}/nothing-here", headers=bearer(key)), "not_found", 404)
    error_of(client.delete(f"{API}/credits", headers=bearer(key)), "not_found", 404)
    error_of(client.get("/media/files/file_000000000000000000000000"), "not_found", 404)


def test_another_accounts_task_and_file_look_exactly_like_missing_ones(
    mock: Mock, client: httpx.Client
) -> None:
    owner = mock.config.api_key
    other = add_account(mock, "acct_other", 100)
    task = valid("task", create(client, owner, text_request()))
    stored = valid("file", upload(client, owner, reference_png(), kind="image"))
    theirs = poll(client, other, task["id"])
    missing = poll(client, other, "task_" + "0" * 24)
    error_of(theirs, "not_found", 404)
    assert without_request_id(theirs) == without_request_id(missing)
    assert theirs.headers.keys() == missing.headers.keys()
    their_file = client.get(f"{API}/files/{stored['id']}", headers=bearer(other))
    no_file = client.get(f"{API}/files/file_{'0' * 24}", headers=bearer(other))
    error_of(their_file, "not_found", 404)
    assert without_request_id(their_file) == without_request_id(no_file)
    assert poll(client, owner, task["id"]).status_code == 200


def test_a_reused_idempotency_key_with_another_body_is_a_conflict(
    mock: Mock, client: httpx.Client
) -> None:
    key = mock.config.api_key
    assert create(client, key, text_request("one"), idempotency_key="k-1").status_code == 202
    error_of(
        create(client, key, text_request("two"), idempotency_key="k-1"), "idempotency_conflict", 409
    )


def test_a_balance_below_the_cost_is_insufficient_credits(mock: Mock, client: httpx.Client) -> None:
    key = add_account(mock, "acct_poor", 3)
    error = error_of(create(client, key, text_request()), "insufficient_credits", 402)
    assert "4" in error["message"]


def test_rate_limited_with_retry_after_until_the_window_passes(transport: str) -> None:
    mock = Mock(MockConfig(virtual_clock=True, rate_limit=RateLimit.parse("2/min")))
    client = client_for(transport, mock)
    key = mock.config.api_key
    other = add_account(mock, "acct_second", 10)
    for _ in range(2):
        assert client.get(f"{API}/credits", headers=bearer(key)).status_code == 200
    limited = client.get(f"{API}/credits", headers=bearer(key))
    error_of(limited, "rate_limited", 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get(f"{API}/credits", headers=bearer(other)).status_code == 200
    assert client.get(f"{API}/models").status_code == 200
    mock.clock.advance(30)
    retry = client.get(f"{API}/credits", headers=bearer(key))
    error_of(retry, "rate_limited", 429)
    assert int(retry.headers["Retry-After"]) == 30
    mock.clock.advance(30)
    assert client.get(f"{API}/credits", headers=bearer(key)).status_code == 200


def test_public_api_disabled_everywhere_but_the_openapi_document(transport: str) -> None:
    mock = Mock(MockConfig(virtual_clock=True, public_api_disabled=True))
    client = client_for(transport, mock)
    key = mock.config.api_key
    for response in (
        client.get(f"{API}/models"),
        client.get(f"{API}/credits", headers=bearer(key)),
        create(client, key, text_request()),
        client.get(f"{API}/credits"),
    ):
        error_of(response, "public_api_disabled", 503)
        assert int(response.headers["Retry-After"]) > 0
    document = client.get(f"{API}/openapi.json")
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")


def test_checks_run_auth_then_scope_then_validation_then_credits(transport: str) -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    client = client_for(transport, mock)
    poor = add_account(mock, "acct_empty", 0)
    reader = add_account(mock, "acct_reader", 100, scopes=frozenset({"generations:read"}))
    bad = {"model": "grok-imagine"}
    error_of(create(client, "rvya_sk_nope", bad), "api_key_invalid", 401)
    error_of(create(client, reader, bad), "api_scope_denied", 403)
    error_of(create(client, poor, bad), "validation_failed", 400)
    error_of(create(client, poor, text_request()), "insufficient_credits", 402)


def test_a_reference_that_is_not_an_upload_of_this_account_is_rejected(
    mock: Mock, client: httpx.Client
) -> None:
    owner = mock.config.api_key
    other = add_account(mock, "acct_other", 100)
    stored = valid("file", upload(client, owner, reference_png(), kind="image"))
    body = text_request()
    body["params"]["referenceMediaItems"] = [{"url": stored["url"], "kind": "image"}]
    error = error_of(create(client, other, body), "validation_failed", 400)
    assert "referenceMediaItems[0].url" in error["message"]
    assert mock.backend.balance("acct_other").reserved == 0
    assert client.get(path_of(stored["url"])).status_code == 200
