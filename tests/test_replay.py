"""Replay over real HTTP: a run recorded through the proxy, answered with the upstream gone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cassette_support import SECRET_KEY, Run, client_run, comparable, create_body, record
from support import reference_png, served, upload

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.cassette import load
from rivya_contract.mock_server.serving import ServerThread

Recorded = tuple[Path, Run, str]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """One run recorded through the proxy against a real-clock upstream, both stopped."""
    folder = tmp_path_factory.mktemp("cassettes")
    run, proxy_url = record(folder)
    return folder, run, proxy_url


@pytest.fixture
def replay(recorded: Recorded) -> Iterator[tuple[Mock, str]]:
    """A fresh replaying mock over HTTP."""
    mock = Mock.replay(recorded[0])
    with ServerThread(mock) as server:
        yield mock, server.base_url
    mock.close()


def test_the_same_client_run_gets_the_same_statuses_and_bodies_without_waiting(
    recorded: Recorded, replay: tuple[Mock, str]
) -> None:
    folder, original, proxy_url = recorded
    mock, base_url = replay
    again = client_run(base_url, mock.config.api_key)
    assert comparable(again, base_url) == comparable(original, proxy_url)
    assert original.statuses() == again.statuses()
    assert {"queued", "processing", "succeeded"} <= set(again.statuses())
    assert original.slept >= 1 and original.retry_after
    assert again.slept == 0 and set(again.retry_after) == {"0"}
    assert again.seen[-1][:2] == ("media", 200)
    # the mock's clock went through the recorded timeline: it stands at the last answer's time
    cassette = load(folder / "video-job.json")
    assert mock.replayer is not None
    last = max(mock.replayer.answered)
    moved = mock.clock.now() - mock.replayer.origin
    assert moved == pytest.approx(cassette.exchanges[last]["at"])
    assert moved >= original.slept


def test_a_poll_after_the_clock_passed_the_end_gets_the_final_answer(
    recorded: Recorded, replay: tuple[Mock, str]
) -> None:
    mock, base_url = replay
    with _client(replay) as http:
        created, _ = _replay_prefix(http, recorded[1])
        mock.clock.advance(3600)
        task = http.get(f"/api/v1/generations/{created['id']}").json()
    assert task["status"] == "succeeded"
    assert task["result"]["primary_url"].startswith(base_url + "/")
    assert task["created_at"] == created["created_at"]


def _replay_prefix(http: httpx.Client, run: Run) -> tuple[dict[str, object], dict[str, object]]:
    """Replay the credits, upload and create of ``run``; return the task and the create body."""
    key = http.headers["authorization"].removeprefix("Bearer ")
    http.get("/api/v1/credits")
    sent = create_body(upload(http, key, reference_png(), kind="image").json()["url"])
    created: dict[str, object] = http.post("/api/v1/generations", json=sent).json()
    assert created["id"] == next(item for name, _, item in run.seen if name == "create")["id"]
    return created, sent


def _client(replay: tuple[Mock, str]) -> httpx.Client:
    mock, base_url = replay
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {mock.config.api_key}"}
    )


def test_a_request_the_cassette_lacks_names_the_closest_recorded_one(
    replay: tuple[Mock, str],
) -> None:
    mock, base_url = replay
    body = {"model": "grok-imagine", "prompt": "A grey wolf", "params": {"aspect_ratio": "1:1"}}
    headers = {"Authorization": f"Bearer {mock.config.api_key}"}
    answer = httpx.post(f"{base_url}/api/v1/generations", json=body, headers=headers)
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "mock_not_found"
    assert "holds no answer for POST /api/v1/generations" in error["message"]
    assert "closest recorded request is exchanges[" in error["message"]
    assert "differs at $." in error["message"]
    assert error["requestId"] == answer.headers["x-request-id"]
    unknown = httpx.get(f"{base_url}/api/v1/generations/task_nope", headers=headers)
    assert unknown.status_code == 404
    assert "GET /api/v1/generations/task_" in unknown.json()["error"]["message"]


def test_a_create_is_answered_as_often_as_it_was_recorded(
    recorded: Recorded, replay: tuple[Mock, str]
) -> None:
    with _client(replay) as http:
        _, sent = _replay_prefix(http, recorded[1])
        twice = http.post("/api/v1/generations", json=sent)
        again = http.get("/api/v1/credits")
    assert twice.status_code == 404
    assert "all used by this replay" in twice.json()["error"]["message"]
    assert again.status_code == 200  # reads repeat their latest answer


def test_the_replay_still_checks_the_key(replay: tuple[Mock, str]) -> None:
    _, base_url = replay
    answer = httpx.get(f"{base_url}/api/v1/credits", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "api_key_invalid"


def test_rivya_mock_serve_replays_a_cassette_folder(recorded: Recorded) -> None:
    folder, original, proxy_url = recorded
    with served("--replay", str(folder)) as server:
        assert str(folder) in server.wait_for("replaying")
        again = client_run(server.base_url, MockConfig().api_key)
    assert comparable(again, server.base_url) == comparable(original, proxy_url)
    assert SECRET_KEY not in json.dumps(again.seen)
