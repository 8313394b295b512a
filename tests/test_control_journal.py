"""The request journal: what clients sent, with secrets redacted, bounded, filterable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.journal import redact

BODY = {"model": "grok-imagine", "prompt": "a red fox", "client_request_id": "trace-7"}


def create(mock: Mock, **headers: str) -> None:
    mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={
            "Authorization": f"Bearer {mock.config.api_key}",
            "Content-Type": "application/json",
            **headers,
        },
        body=json.dumps(BODY).encode(),
    )


def test_an_entry_shows_what_the_client_sent_and_got() -> None:
    mock = Mock()
    create(mock, **{"Idempotency-Key": "idem-1"})
    (entry,) = mock.control.journal
    assert (entry.method, entry.path, entry.status, entry.code) == (
        "POST",
        "/api/v1/generations",
        202,
        None,
    )
    assert entry.json == BODY
    assert entry.idempotency_key == "idem-1"
    assert entry.headers["idempotency-key"] == "idem-1"
    assert entry.account_id == "acct_demo"
    assert entry.request_id.startswith("req_")


def test_the_key_is_never_shown() -> None:
    mock = Mock(MockConfig(admin_token="adm1n-token"))
    create(mock, **{"X-Forwarded-Note": "token adm1n-token"})
    mock.api.handle("GET", "/api/v1/credits", headers={"Authorization": "rvya_sk_bare"})
    shown = [entry.to_json() for entry in mock.control.journal]
    text = json.dumps(shown)
    assert mock.config.api_key not in text
    assert "adm1n-token" not in text
    assert "rvya_sk_bare" not in text
    assert shown[0]["headers"]["authorization"] == "Bearer [redacted]"
    assert shown[0]["headers"]["x-forwarded-note"] == "[redacted]"


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("authorization", "Bearer rvya_sk_x", "Bearer [redacted]"),
        ("authorization", "rvya_sk_x", "[redacted]"),
        ("cookie", "session=abc", "[redacted]"),
        ("x-api-key", "rvya_sk_x", "[redacted]"),
        ("user-agent", "curl/8", "curl/8"),
    ],
)
def test_redaction(name: str, value: str, shown: str) -> None:
    assert redact(name, value) == shown


def test_refused_requests_are_recorded_with_their_code() -> None:
    mock = Mock()
    mock.api.handle("GET", "/api/v1/credits")
    mock.api.handle("GET", "/nowhere")
    assert [(e.status, e.code) for e in mock.control.journal] == [
        (401, "api_key_missing"),
        (404, "not_found"),
    ]
    assert mock.control.journal[0].json is None and mock.control.journal[0].body == b""


def test_the_journal_keeps_only_the_most_recent() -> None:
    mock = Mock(MockConfig(journal_size=3))
    for n in range(5):
        mock.api.handle("GET", f"/api/v1/generations/task_{n}")
    assert len(mock.control.journal) == 3
    assert [entry.path[-1] for entry in mock.control.journal] == ["2", "3", "4"]


def test_control_requests_are_not_recorded() -> None:
    mock = Mock()
    mock.api.handle("GET", "/__mock__/clock")
    mock.api.handle("GET", "/__mock__/journal")
    assert len(mock.control.journal) == 0


def test_a_body_that_is_not_json_reads_as_none() -> None:
    mock = Mock()
    mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={"Authorization": f"Bearer {mock.config.api_key}"},
        body=b"{not json",
    )
    (entry,) = mock.control.journal
    assert (entry.body, entry.json, entry.code) == (b"{not json", None, "validation_failed")


def journal(mock: Mock, query: str = "") -> Any:
    reply = mock.api.handle("GET", "/__mock__/journal", query=query)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)["data"]


def test_the_control_api_reads_and_filters_the_journal() -> None:
    mock = Mock()
    create(mock)
    mock.api.handle("GET", "/api/v1/models")
    mock.api.handle("GET", "/api/v1/credits")
    everything = journal(mock)
    assert [entry["path"] for entry in everything] == [
        "/api/v1/generations",
        "/api/v1/models",
        "/api/v1/credits",
    ]
    assert everything[0]["json"] == BODY
    assert json.loads(everything[0]["body"]) == BODY
    assert everything[0]["headers"]["authorization"] == "Bearer [redacted]"
    assert [e["path"] for e in journal(mock, "method=post")] == ["/api/v1/generations"]
    assert [e["code"] for e in journal(mock, "status=401")] == ["api_key_missing"]
    assert [e["path"] for e in journal(mock, "path=/api/v1/m*")] == ["/api/v1/models"]
    assert [e["path"] for e in journal(mock, "limit=1")] == ["/api/v1/credits"]
    assert journal(mock, "code=api_key_missing&path=/api/v1/models") == []
    assert [e["path"] for e in journal(mock, "account_id=acct_demo")] == ["/api/v1/generations"]


@pytest.mark.parametrize("query", ["colour=red", "limit=many", "status=-1", "a&&b=="])
def test_bad_journal_filters_are_refused(query: str) -> None:
    mock = Mock()
    reply = mock.api.handle("GET", "/__mock__/journal", query=query)
    assert (reply.status, reply.code) == (400, "mock_request_invalid")


def test_the_journal_can_be_cleared() -> None:
    mock = Mock()
    mock.api.handle("GET", "/api/v1/models")
    reply = mock.api.handle("DELETE", "/__mock__/journal")
    assert json.loads(reply.body) == {"deleted": 1}
    assert len(mock.control.journal) == 0
