"""A defect of the mock still answers in the envelope, with a request id to find it in the log."""

from __future__ import annotations

import json
import logging

import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.journal import MAX_BODY_BYTES


def test_a_failing_handler_answers_internal_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mock = Mock()

    def broken(*args: object, **options: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(mock.backend.store, "settle", broken)
    with caplog.at_level(logging.ERROR, logger="rivya_contract.mock_server"):
        reply = mock.api.handle(
            "GET", "/api/v1/credits", headers={"Authorization": f"Bearer {mock.config.api_key}"}
        )
    assert reply.status == 500
    error = json.loads(reply.body)["error"]
    assert error["code"] == "internal_error"
    assert error["requestId"] == reply.headers["X-Request-Id"]
    assert reply.headers["X-Request-Id"] in caplog.text and "boom" in caplog.text


def test_a_failing_check_before_the_body_answers_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = Mock()

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(mock.backend.store, "head", broken)
    reply = mock.api.handle(
        "GET", "/api/v1/credits", headers={"Authorization": f"Bearer {mock.config.api_key}"}
    )
    assert reply.status == 500
    assert json.loads(reply.body)["error"]["code"] == "internal_error"
    healthy = Mock().api.handle(
        "GET", "/api/v1/credits", headers={"Authorization": f"Bearer {mock.config.api_key}"}
    )
    assert healthy.status == 200


def test_journal_keeps_a_bounded_part_of_large_bodies() -> None:
    mock = Mock()
    body = b'{"prompt": "' + b"x" * (MAX_BODY_BYTES * 4) + b'"}'
    headers = {"Authorization": f"Bearer {mock.config.api_key}", "Content-Type": "application/json"}
    mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body)
    entry = mock.control.journal[-1]
    assert entry.body_truncated is True
    assert len(entry.body) == MAX_BODY_BYTES
    assert entry.json is None
    small = b'{"model": "grok-imagine", "prompt": "a fox"}'
    mock.api.handle("POST", "/api/v1/generations", headers=headers, body=small)
    assert mock.control.journal[-1].body_truncated is False
    assert mock.control.journal[-1].json == {"model": "grok-imagine", "prompt": "a fox"}


@pytest.mark.parametrize("name", ["idempotency_ttl", "task_ttl"])
def test_negative_retention_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must not be negative"):
        MockConfig().replace(**{name: -1})
