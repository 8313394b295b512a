"""Memory stays bounded: finished tasks, idempotency keys and uploaded files are forgotten."""

from __future__ import annotations

import json

import httpx

from rivya_contract.mock_server import Mock, MockConfig, media
from rivya_contract.mock_server.backend import SWEEP_EVERY as TASK_SWEEP_EVERY


def _headers(mock: Mock, key: str | None = None, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key or mock.config.api_key}", **extra}


def _create(mock: Mock, key: str | None = None, **headers: str) -> dict[str, object]:
    body = json.dumps({"model": "grok-imagine", "prompt": "a fox"}).encode()
    sent = _headers(mock, key, **{"Content-Type": "application/json"}, **headers)
    reply = mock.api.handle("POST", "/api/v1/generations", headers=sent, body=body)
    assert reply.status == 202, reply.body
    task: dict[str, object] = json.loads(reply.body)
    return task


def _upload(mock: Mock, size: int) -> str:
    png = media.sample("image/png")
    files = {"file": ("a.png", png + b"\0" * (size - len(png)), "image/png")}
    request = httpx.Request(
        "POST",
        "https://rivya.ai/api/v1/files",
        files=files,
        data={"kind": "image"},
        headers=_headers(mock),
    )
    reply = mock.api.handle(
        "POST", "/api/v1/files", headers=dict(request.headers), body=request.read()
    )
    assert reply.status == 201, reply.body
    file_id: str = json.loads(reply.body)["id"]
    URLS[file_id] = json.loads(reply.body)["url"]
    return file_id


URLS: dict[str, str] = {}
"""Each uploaded file's url, by id."""


def _served(file_id: str) -> str:
    """Return the path a file is served at (its url's path)."""
    return httpx.URL(URLS[file_id]).path


def _status(mock: Mock, path: str, key: str | None = None) -> int:
    return mock.api.handle("GET", path, headers=_headers(mock, key)).status


def test_unread_finished_tasks_are_settled_and_forgotten_by_the_sweep() -> None:
    config = MockConfig(
        virtual_clock=True, credits=10_000, queued_seconds=0, processing_seconds=1, task_ttl=10
    )
    mock = Mock(config)
    quiet = mock.control.accounts.create(credits=10)
    quiet_key = mock.control.accounts.issue_key(quiet.id)
    forgotten = _create(mock, quiet_key)
    mock.clock.advance(60)
    for _ in range(TASK_SWEEP_EVERY - 1):  # another account's creates trigger the sweep
        _create(mock)
    quiet = mock.backend.store.account(quiet.id) or quiet  # as kept: read without settling
    assert quiet.spent == 4, "the quiet account's finished task was charged by the sweep"
    assert quiet.balance == 6 and quiet.reserved == 0 and quiet.ledger_ok()
    assert _status(mock, f"/api/v1/generations/{forgotten['id']}", quiet_key) == 404


def test_idempotency_keys_are_bounded_by_max_tasks() -> None:
    mock = Mock(MockConfig(virtual_clock=True, credits=10_000, max_tasks=3))
    tasks = [_create(mock, **{"Idempotency-Key": f"k{n}"}) for n in range(5)]
    replay = _create(mock, **{"Idempotency-Key": "k4"})
    assert replay["id"] == tasks[4]["id"]
    fresh = _create(mock, **{"Idempotency-Key": "k0"})
    assert fresh["id"] != tasks[0]["id"], "the oldest key was forgotten, so it creates anew"


def test_files_are_forgotten_after_their_ttl() -> None:
    mock = Mock(MockConfig(virtual_clock=True, file_ttl=60))
    old = _upload(mock, 1000)
    mock.clock.advance(61)
    new = _upload(mock, 1000)
    assert _status(mock, f"/api/v1/files/{old}") == 404
    assert _status(mock, f"/api/v1/files/{new}") == 200


def test_files_past_the_byte_budget_drop_the_oldest() -> None:
    mock = Mock(MockConfig(virtual_clock=True, max_file_bytes=25_000))
    ids = [_upload(mock, 10_000) for _ in range(3)]
    assert [_status(mock, f"/api/v1/files/{i}") for i in ids] == [404, 200, 200]
    assert _status(mock, _served(ids[0])) == 404
    assert _status(mock, _served(ids[1])) == 200


def test_expired_tasks_and_files_are_not_found_at_once_without_a_sweep() -> None:
    mock = Mock(
        MockConfig(
            virtual_clock=True, queued_seconds=0, processing_seconds=1, task_ttl=60, file_ttl=60
        )
    )
    task = _create(mock)
    stored = mock.backend.task(str(task["id"]))
    assert stored is not None
    file_id = _upload(mock, 1000)
    mock.clock.advance(59)
    assert _status(mock, _served(file_id)) == 200
    assert _status(mock, stored.result_paths[0]) == 200
    assert _status(mock, f"/api/v1/generations/{task['id']}") == 200
    assert _status(mock, f"/api/v1/files/{file_id}") == 200
    mock.clock.advance(2)
    assert _status(mock, f"/api/v1/generations/{task['id']}") == 404
    assert _status(mock, f"/api/v1/files/{file_id}") == 404
    assert _status(mock, _served(file_id)) == 404
    assert _status(mock, stored.result_paths[0]) == 404


def test_running_tasks_outlive_the_ttl() -> None:
    mock = Mock(
        MockConfig(virtual_clock=True, queued_seconds=0, processing_seconds=600, task_ttl=60)
    )
    task = _create(mock)
    mock.clock.advance(300)
    assert _status(mock, f"/api/v1/generations/{task['id']}") == 200


def test_a_reference_to_an_expired_file_is_rejected() -> None:
    mock = Mock(MockConfig(virtual_clock=True, file_ttl=60))
    file_id = _upload(mock, 1000)
    mock.clock.advance(61)
    url = URLS[file_id]
    body = {
        "model": "grok-imagine",
        "prompt": "edit",
        "params": {"referenceMediaItems": [{"url": url, "kind": "image"}]},
    }
    reply = mock.api.handle(
        "POST",
        "/api/v1/generations",
        body=json.dumps(body).encode(),
        headers=_headers(mock, **{"Content-Type": "application/json"}),
    )
    assert reply.status == 400
    assert "referenceMediaItems[0].url" in json.loads(reply.body)["error"]["message"]


def test_checking_keys_on_public_routes_leaves_media_alone() -> None:
    mock = Mock(MockConfig(check_key_on_public=True))
    stale = {"Authorization": "Bearer rvya_sk_stale"}
    assert mock.api.handle("GET", "/api/v1/models", headers=stale).status == 401
    assert mock.api.handle("GET", "/media/files/file_x/x", headers=stale).status == 404
