"""The webhooks:manage endpoints through the API: the endpoint object, its secret shown once,
patch, rotate, delete, test events, accounts kept apart, and a table of URLs with their codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from webhook_support import call, create_endpoint, ok

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.schemas import contract


@pytest.fixture
def mock() -> Iterator[Mock]:
    made = Mock(MockConfig(virtual_clock=True))
    yield made
    made.close()


def schema_errors(name: str, instance: Any) -> list[str]:
    return [str(error) for error in contract().validate(name, instance)]


URL = "https://example.com/rivya/webhook"


def test_create_answers_the_documented_object_with_the_secret_once(mock: Mock) -> None:
    created = create_endpoint(
        mock, URL, name="Production webhook", event_types=["generation.succeeded"]
    )
    assert schema_errors("webhook-endpoint", created) == []
    assert created["id"].startswith("whend_") and created["object"] == "webhook_endpoint"
    assert created["signing_secret"].startswith("whsec_")
    secret = created["signing_secret"]
    assert created["secret_preview"] == f"{secret[:8]}...{secret[-6:]}"
    assert (created["status"], created["failure_count"], created["disabled_at"]) == (
        "active",
        0,
        None,
    )
    assert created["event_types"] == ["generation.succeeded"]
    shown = ok(call(mock, "GET", f"/api/v1/webhooks/{created['id']}"))
    assert "signing_secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "signing_secret"}
    listed = ok(call(mock, "GET", "/api/v1/webhooks"))
    assert schema_errors("webhook-endpoint-list", listed) == []
    assert [e["id"] for e in listed["data"]] == [created["id"]]


def test_event_types_default_to_every_documented_type(mock: Mock) -> None:
    created = create_endpoint(mock, URL)
    assert created["event_types"] == ["generation.succeeded", "generation.failed"]
    assert created["name"] is None


def test_patch_changes_what_it_names_and_checks_it(mock: Mock) -> None:
    created = create_endpoint(mock, URL)
    path = f"/api/v1/webhooks/{created['id']}"
    mock.clock.advance(2)
    patched = ok(call(mock, "PATCH", path, {"name": "b", "event_types": ["generation.failed"]}))
    assert (patched["name"], patched["event_types"], patched["url"]) == (
        "b",
        ["generation.failed"],
        URL,
    )
    assert patched["updated_at"] > patched["created_at"]
    disabled = ok(call(mock, "PATCH", path, {"status": "disabled"}))
    assert disabled["status"] == "disabled" and disabled["disabled_at"] is not None
    rejected = call(mock, "PATCH", path, {"url": "https://192.168.1.1/h"})
    assert (rejected.status, ok(rejected, 400)["error"]["code"]) == (400, "webhook_url_rejected")
    bodies: list[dict[str, Any]] = [{}, {"status": "revoked"}, {"event_types": []}, {"secret": "x"}]
    for body in bodies:
        assert ok(call(mock, "PATCH", path, body), 400)["error"]["code"] == "validation_failed"


def test_rotate_shows_a_new_secret_once(mock: Mock) -> None:
    created = create_endpoint(mock, URL)
    rotated = ok(call(mock, "POST", f"/api/v1/webhooks/{created['id']}/rotate-secret"))
    assert rotated["signing_secret"] != created["signing_secret"]
    assert rotated["secret_preview"] != created["secret_preview"]
    assert schema_errors("webhook-endpoint", rotated) == []
    again = ok(call(mock, "GET", f"/api/v1/webhooks/{created['id']}"))
    assert "signing_secret" not in again and again["secret_preview"] == rotated["secret_preview"]


def test_delete_answers_the_endpoint_revoked_then_it_is_gone(mock: Mock) -> None:
    created = create_endpoint(mock, URL)
    path = f"/api/v1/webhooks/{created['id']}"
    deleted = ok(call(mock, "DELETE", path))
    assert deleted["status"] == "revoked" and deleted["revoked_at"] is not None
    assert schema_errors("webhook-endpoint", deleted) == []
    for method, suffix in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/test"),
        ("GET", "/deliveries"),
    ):
        body = {"name": "x"} if method == "PATCH" else None
        reply = call(mock, method, path + suffix, body)
        assert ok(reply, 404)["error"]["code"] == "not_found", (method, suffix)
    assert ok(call(mock, "GET", "/api/v1/webhooks"))["data"] == []


def test_the_test_event_is_safe_and_listed(mock: Mock) -> None:
    created = create_endpoint(mock, URL)
    event = ok(call(mock, "POST", f"/api/v1/webhooks/{created['id']}/test"), 202)
    assert schema_errors("webhook-event", event) == []
    assert event["type"] == "webhook.test" and event["data"]["endpoint_id"] == created["id"]
    events = ok(call(mock, "GET", "/api/v1/webhook-events"))
    assert schema_errors("webhook-event-list", events) == []
    assert events["data"] == [event]


def test_another_accounts_endpoints_are_not_found(mock: Mock) -> None:
    created = create_endpoint(mock, URL)
    mock.control.accounts.create("acct_other", 10)
    other = mock.control.accounts.issue_key("acct_other")
    reply = call(mock, "GET", f"/api/v1/webhooks/{created['id']}", key=other)
    assert ok(reply, 404)["error"]["code"] == "not_found"
    assert ok(call(mock, "GET", "/api/v1/webhooks", key=other))["data"] == []
    assert ok(call(mock, "GET", "/api/v1/webhook-events", key=other))["data"] == []


def test_a_key_without_the_scope_is_denied(mock: Mock) -> None:
    key = mock.control.accounts.issue_key("acct_demo", scopes=["generations:read"])
    for method, path in (("GET", "/api/v1/webhooks"), ("GET", "/api/v1/webhook-events")):
        assert ok(call(mock, method, path, key=key), 403)["error"]["code"] == "api_scope_denied"
    assert ok(call(mock, "POST", "/api/v1/webhooks", {"url": URL}, key="nope"), 401)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": 5},
        {"url": URL, "event_types": ["generation.started"]},
        {"url": URL, "event_types": ["generation.failed", "generation.failed"]},
        {"url": URL, "headers": {"x": "y"}},
        {"url": URL, "name": "n" * 256},
        {"url": "https://example.com/" + "a" * 2048},
        [URL],
    ],
)
def test_malformed_creates_are_validation_failed(mock: Mock, body: Any) -> None:
    assert ok(call(mock, "POST", "/api/v1/webhooks", body), 400)["error"]["code"] == (
        "validation_failed"
    )


OK = None
REJECTED = "webhook_url_rejected"

# (url, code with local http allowed (the default), code with the real API's rules)
URLS: list[tuple[str, str | None, str | None]] = [
    ("https://example.com/rivya/webhook", OK, OK),
    ("https://EXAMPLE.com:8443/Path?q=1", OK, OK),
    ("https://hooks.example.test/x", OK, OK),
    ("https://bücher.de/webhook", OK, OK),
    ("https://8.8.8.8/hook", OK, OK),
    ("https://[2606:4700:4700::1111]/hook", OK, OK),
    ("https://[::ffff:8.8.8.8]/hook", OK, OK),
    ("http://127.0.0.1:8001/hook", OK, REJECTED),
    ("http://localhost:8001/hook", OK, REJECTED),
    ("http://[::1]:8000/", OK, REJECTED),
    ("https://127.0.0.1/", OK, REJECTED),
    ("https://2130706433/", OK, REJECTED),
    ("https://0177.0.0.1/", OK, REJECTED),
    ("https://0x7f.1/", OK, REJECTED),
    ("https://127.1/", OK, REJECTED),
    ("https://127.0.0.1./", OK, REJECTED),
    ("https://[::ffff:127.0.0.1]/", OK, REJECTED),
    ("https://localhost./", OK, REJECTED),
    ("https://api.localhost/", OK, REJECTED),
    ("http://example.com/hook", REJECTED, REJECTED),
    ("ftp://example.com/hook", REJECTED, REJECTED),
    ("https://user:secret@example.com/", REJECTED, REJECTED),
    ("https://example.com@127.0.0.1/", REJECTED, REJECTED),
    ("https://example.com/hook#frag", REJECTED, REJECTED),
    ("https://10.0.0.1/", REJECTED, REJECTED),
    ("https://172.16.5.4/", REJECTED, REJECTED),
    ("https://192.168.1.1/", REJECTED, REJECTED),
    ("https://169.254.169.254/latest/meta-data", REJECTED, REJECTED),
    ("https://100.64.0.1/", REJECTED, REJECTED),
    ("https://0.0.0.0/", REJECTED, REJECTED),
    ("https://[fc00::1]/", REJECTED, REJECTED),
    ("https://[fe80::1]/", REJECTED, REJECTED),
    ("https://[::ffff:10.0.0.1]/", REJECTED, REJECTED),
    ("https://240.0.0.1/", REJECTED, REJECTED),
    ("https://printer.local/", REJECTED, REJECTED),
    ("https://intranet/", REJECTED, REJECTED),
    ("https://%31%32%37.0.0.1/", REJECTED, REJECTED),
    ("example.com/hook", REJECTED, REJECTED),
]


def test_the_table_has_at_least_thirty_urls_of_both_verdicts() -> None:
    assert len(URLS) >= 30
    assert {local for _, local, _ in URLS} == {OK, REJECTED}
    assert {strict for _, _, strict in URLS} == {OK, REJECTED}


@pytest.mark.parametrize("allow_local_http", [True, False])
@pytest.mark.parametrize(("url", "local", "strict"), URLS, ids=[row[0] for row in URLS])
def test_each_url_through_the_api_gets_the_right_code(
    url: str, local: str | None, strict: str | None, allow_local_http: bool
) -> None:
    mock = Mock(MockConfig(virtual_clock=True, webhook_allow_local_http=allow_local_http))
    expected = local if allow_local_http else strict
    created = call(mock, "POST", "/api/v1/webhooks", {"url": url})
    endpoint_id = create_endpoint(mock, URL)["id"]
    patched = call(mock, "PATCH", f"/api/v1/webhooks/{endpoint_id}", {"url": url})
    for reply, status in ((created, 201), (patched, 200)):
        if expected is None:
            assert ok(reply, status)["url"] == url
        else:
            error = ok(reply, 400)["error"]
            assert error["code"] == expected
            assert error["message"].startswith("url: ")
