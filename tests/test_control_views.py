"""The control endpoints the dashboard reads: tasks with timelines, keys, grants, the journal."""

from __future__ import annotations

import json
from typing import Any

from support import bearer, json_bytes, text_request

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.journal import MAX_BODY_BYTES
from rivya_contract.mock_server.mock import Mock
from rivya_contract.schemas import contract


def control(mock: Mock, method: str, path: str, body: Any = None) -> Any:
    raw = b"" if body is None else json_bytes(body)
    reply = mock.api.handle(method, "/__mock__/" + path, body=raw)
    return reply.status, json.loads(reply.body)


def create(mock: Mock) -> dict[str, Any]:
    reply = mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={**bearer(mock.config.api_key), "Content-Type": "application/json"},
        body=json_bytes(text_request()),
    )
    assert reply.status == 202
    created: dict[str, Any] = json.loads(reply.body)
    return created


def test_tasks_show_their_timeline_and_credits_as_time_moves() -> None:
    mock = Mock(MockConfig(virtual_clock=True, queued_seconds=5, processing_seconds=10))
    task = create(mock)
    status, listed = control(mock, "GET", "tasks")
    assert status == 200
    contract().control_validator("task-list").validate(listed)
    shown = listed["data"][0]
    assert (shown["id"], shown["status"], shown["settled"]) == (task["id"], "queued", False)
    assert [(s["status"], s["reached"]) for s in shown["timeline"]] == [
        ("queued", True),
        ("processing", False),
        ("succeeded", False),
    ]
    mock.clock.advance(6)
    assert control(mock, "GET", "tasks")[1]["data"][0]["status"] == "processing"
    mock.clock.advance(10)
    done = control(mock, "GET", "tasks")[1]["data"][0]
    assert done["status"] == "succeeded" and done["settled"] is True
    assert done["final_credits"] == task["reserved_credits"]
    assert all(step["reached"] for step in done["timeline"])


def test_keys_are_listed_revoked_and_expired() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    key = mock.config.api_key
    status, keys = control(mock, "GET", "keys")
    assert status == 200 and [k["key"] for k in keys["data"]] == [key]
    status, revoked = control(mock, "POST", f"keys/{key}/revoke")
    assert status == 200 and revoked["revoked"] is True
    reply = mock.api.handle("GET", "/api/v1/credits", headers=bearer(key))
    assert reply.code == "api_key_revoked"
    other = mock.control.accounts.issue_key("acct_demo")
    status, expired = control(mock, "POST", f"keys/{other}/expire")
    assert status == 200 and expired["expires_at"] is not None
    assert mock.api.handle("GET", "/api/v1/credits", headers=bearer(other)).code == (
        "api_key_expired"
    )
    status, missing = control(mock, "POST", "keys/rvya_sk_nobody/revoke")
    assert (status, missing["error"]["code"]) == (404, "mock_not_found")


def test_credits_are_granted_and_a_bad_grant_is_a_mock_error() -> None:
    mock = Mock()
    status, account = control(mock, "POST", "accounts/acct_demo/grant", {"credits": 250})
    assert status == 200 and account["balance"] == 1250 and account["granted"] == 1250
    status, bad = control(mock, "POST", "accounts/acct_demo/grant", {"credits": 0})
    assert (status, bad["error"]["code"]) == (400, "mock_request_invalid")
    status, missing = control(mock, "POST", "accounts/acct_nobody/grant", {"credits": 5})
    assert (status, missing["error"]["code"]) == (404, "mock_not_found")


def test_the_journal_keeps_answers_with_keys_redacted() -> None:
    mock = Mock(MockConfig(virtual_clock=True, admin_token="adm1n-secret"))
    key = mock.config.api_key
    prompt = f"my key is {key} and the admin's adm1n-secret"
    mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={**bearer(key), "Content-Type": "application/json"},
        body=json_bytes(text_request(prompt)),
    )
    entry = mock.control.journal[-1].to_json()
    assert key not in json.dumps(entry) and "adm1n-secret" not in json.dumps(entry)
    assert "rvya_sk_[redacted]" in entry["body"]
    assert entry["json"]["prompt"] == "my key is rvya_sk_[redacted] and the admin's [redacted]"
    assert entry["response_json"]["status"] == "queued"
    assert entry["response_body"].startswith("{") and entry["ms"] >= 0


def test_media_answers_are_not_kept_and_long_answers_are_cut() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    mock.api.handle("GET", "/__mock__/")  # control requests are not journaled
    mock.api.handle("GET", "/api/v1/models")
    entry = mock.control.journal[-1]
    assert len(entry.response) <= MAX_BODY_BYTES
    assert entry.to_json()["response_json"] is None or not entry.response_truncated
    assert len(mock.control.journal) == 1
