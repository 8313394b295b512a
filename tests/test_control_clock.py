"""The virtual clock: scripted jobs run their whole life with no real waiting."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.clock import SystemClock, VirtualClock, iso
from rivya_contract.schemas import validate

BODY = {"model": "grok-imagine", "prompt": "a red fox in the snow"}


def headers(mock: Mock, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.config.api_key}", **extra}


def create(mock: Mock, **extra: str) -> dict[str, Any]:
    reply = mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers=headers(mock, **{"Content-Type": "application/json", **extra}),
        body=json.dumps(BODY).encode(),
    )
    assert reply.status == 202, reply.body
    task: dict[str, Any] = json.loads(reply.body)
    return task


def poll(mock: Mock, task_id: str) -> dict[str, Any]:
    reply = mock.api.handle("GET", f"/api/v1/generations/{task_id}", headers=headers(mock))
    assert reply.status == 200
    task: dict[str, Any] = json.loads(reply.body)
    assert validate("task", task) == []
    return task


def control(mock: Mock, method: str, path: str, body: Any = None) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    reply = mock.api.handle(method, "/__mock__" + path, body=raw)
    assert reply.status in (200, 201), reply.body
    return json.loads(reply.body)


def script_by_python(mock: Mock) -> dict[str, str]:
    mock.control.script(model="grok-imagine", queued=5, processing=55)
    return {}


def script_by_control_api(mock: Mock) -> dict[str, str]:
    control(mock, "POST", "/scripts", {"model": "grok-imagine", "queued": 5, "processing": 55})
    return {}


def script_by_header(mock: Mock) -> dict[str, str]:
    return {"X-Rivya-Mock": "queued=5s; processing=55s"}


def advance_by_python(mock: Mock, seconds: float) -> None:
    mock.clock.advance(seconds)


def advance_by_control_api(mock: Mock, seconds: float) -> None:
    control(mock, "POST", "/clock", {"advance": seconds})


SCRIPTERS = {"python": script_by_python, "control-api": script_by_control_api}
SCRIPTERS["header"] = script_by_header
ADVANCERS = {"python": advance_by_python, "control-api": advance_by_control_api}


@pytest.mark.parametrize("scripter", sorted(SCRIPTERS))
@pytest.mark.parametrize("advancer", sorted(ADVANCERS))
def test_a_sixty_second_job_runs_on_the_virtual_clock(scripter: str, advancer: str) -> None:
    started = time.monotonic()
    mock = Mock(MockConfig(virtual_clock=True))
    advance: Callable[[Mock, float], None] = ADVANCERS[advancer]
    task = create(mock, **SCRIPTERS[scripter](mock))
    assert task["status"] == "queued"
    seen = [poll(mock, task["id"])["status"]]
    for step in (4.9, 0.2, 54.8, 0.1):
        advance(mock, step)
        seen.append(poll(mock, task["id"])["status"])
    assert seen == ["queued", "queued", "processing", "processing", "succeeded"]
    done = poll(mock, task["id"])
    assert done["final_credits"] == done["reserved_credits"] > 0
    assert done["result"]["primary_url"] == done["result"]["urls"][0]
    assert mock.backend.balance().balance == mock.config.credits - done["final_credits"]
    assert time.monotonic() - started < 1.0


def test_time_stands_still_until_advanced() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    before = control(mock, "GET", "/clock")
    assert before["virtual"] is True
    assert control(mock, "GET", "/clock") == before
    after = control(mock, "POST", "/clock", {"advance": 90})
    assert after["epoch"] == pytest.approx(before["epoch"] + 90)


def test_the_clock_moves_to_a_given_time_but_never_back() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    target = mock.clock.now() + 3600
    moved = control(mock, "POST", "/clock", {"to": target})
    assert moved["epoch"] == pytest.approx(target)
    later = control(mock, "POST", "/clock", {"to": iso(target + 60)})
    assert later["epoch"] == pytest.approx(target + 60, abs=0.001)
    target = later["epoch"]
    for late in ({"to": target - 10}, {"to": "2001-01-01T00:00:00Z"}, {"to": 0}):
        reply = mock.api.handle("POST", "/__mock__/clock", body=json.dumps(late).encode())
        assert (reply.status, reply.code) == (409, "mock_conflict"), late  # the state refuses
    for bad in (
        {"to": target - 10.5, "advance": 1},
        {"to": -1},
        {"to": 1e300},
        {"advance": -1},
        {"to": "yesterday"},
        {},
        {"advance": 1, "to": 1},
    ):
        reply = mock.api.handle("POST", "/__mock__/clock", body=json.dumps(bad).encode())
        assert reply.status == 400, bad
        assert json.loads(reply.body)["error"]["code"] == "mock_request_invalid"
    assert mock.clock.now() == pytest.approx(target)


def test_the_system_clock_advances_by_an_offset() -> None:
    clock = SystemClock()
    before = time.time()
    moved = clock.advance(3600)
    assert moved >= before + 3600
    assert clock.now() >= moved
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.advance(float("nan"))


def test_a_mock_on_real_time_can_skip_ahead() -> None:
    mock = Mock()
    mock.control.script(queued=30, processing=30)
    task = create(mock)
    assert poll(mock, task["id"])["status"] == "queued"
    mock.clock.advance(31)
    assert poll(mock, task["id"])["status"] == "processing"
    mock.clock.advance(30)
    assert poll(mock, task["id"])["status"] == "succeeded"


def test_the_virtual_clock_refuses_to_go_back() -> None:
    clock = VirtualClock(start=1000.0)
    with pytest.raises(ValueError):
        clock.advance(-0.5)
    with pytest.raises(ValueError):
        clock.advance(float("inf"))
    assert clock.advance(2.5) == 1002.5


def test_expiring_keys_follow_the_clock() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    key = mock.control.accounts.issue_key("acct_demo", expires_in=60)
    auth = {"Authorization": f"Bearer {key}"}
    assert mock.api.handle("GET", "/api/v1/credits", headers=auth).status == 200
    mock.clock.advance(60)
    expired = mock.api.handle("GET", "/api/v1/credits", headers=auth)
    assert (expired.status, expired.code) == (401, "api_key_expired")


def test_advancing_over_the_control_api_lets_a_receiver_call_the_mock_back() -> None:
    """A delivery in flight on the worker calls the API while the control API moves the clock."""
    mock = Mock(MockConfig(virtual_clock=True))
    key = {"Authorization": f"Bearer {mock.config.api_key}"}
    in_receiver = threading.Event()
    answered: list[int] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        in_receiver.set()
        # Wait (bounded) until the advance holds the pipeline's lock, if it ever takes it
        # for more than an instant, then read the API as real receivers do.
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            if not mock.lock.acquire(blocking=False):
                break
            mock.lock.release()
            in_receiver.wait(0.001)
        answered.append(mock.api.handle("GET", "/api/v1/credits", headers=key).status)
        return httpx.Response(204)

    mock.control.webhooks.route("https://hooks.example.com/", receiver)
    json_key = {**key, "Content-Type": "application/json"}
    hook = b'{"url": "https://hooks.example.com/in"}'
    created = mock.api.handle("POST", "/api/v1/webhooks", headers=json_key, body=hook)
    endpoint = json.loads(created.body)["id"]
    sent = mock.api.handle("POST", f"/api/v1/webhooks/{endpoint}/test", headers=key)
    assert sent.status == 202
    assert in_receiver.wait(timeout=10)
    done = threading.Event()
    replies: list[int] = []

    def advance() -> None:
        replies.append(mock.api.handle("POST", "/__mock__/clock", body=b'{"advance": 60}').status)
        done.set()

    threading.Thread(target=advance, daemon=True).start()
    assert done.wait(timeout=20), "the advance and the delivery wait for each other"
    assert replies == [200]
    assert answered == [200]
    mock.close()
