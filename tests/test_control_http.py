"""Scenario control over real HTTP: a dropped connection, added latency, the control API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.serving import ServerThread

ADMIN = "s3cret-admin"
BODY = {"model": "grok-imagine", "prompt": "a red fox"}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    mock = Mock(MockConfig(virtual_clock=True, admin_token=ADMIN))
    with ServerThread(mock) as running:
        yield running


@pytest.fixture
def client(server: ServerThread) -> Iterator[httpx.Client]:
    server.mock.reset()
    headers = {
        "Authorization": f"Bearer {server.mock.config.api_key}",
        "X-Rivya-Mock-Token": ADMIN,  # the directive header's guard on a mock with a token
    }
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        yield http


def test_a_dropped_connection_is_a_transport_error_after_the_work_is_done(
    server: ServerThread, client: httpx.Client
) -> None:
    headers = {"Idempotency-Key": "retry-me", "X-Rivya-Mock": "drop"}
    with pytest.raises(httpx.TransportError):
        client.post("/api/v1/generations", json=BODY, headers=headers)
    (entry,) = server.mock.control.journal
    assert (entry.status, entry.idempotency_key) == (202, "retry-me")
    retried = client.post("/api/v1/generations", json=BODY, headers={"Idempotency-Key": "retry-me"})
    assert retried.status_code == 202
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert server.mock.backend.balance().reserved == retried.json()["reserved_credits"]


def test_a_dropped_fault_through_the_control_api(client: httpx.Client) -> None:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    fault = {"method": "GET", "path": "/api/v1/credits", "drop": True}
    assert client.post("/__mock__/faults", json=fault, headers=admin).status_code == 201
    with pytest.raises(httpx.TransportError):
        client.get("/api/v1/credits")
    assert client.get("/api/v1/credits").status_code == 200


def test_added_latency_is_real_time(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.get("/api/v1/credits", headers={"X-Rivya-Mock": "delay=300ms"})
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert waited >= 0.3


def test_the_control_api_over_http_needs_the_admin_token(client: httpx.Client) -> None:
    refused = client.get("/__mock__/clock")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "mock_unauthorized")
    admin = {"Authorization": f"Bearer {ADMIN}"}
    before = client.get("/__mock__/clock", headers=admin).json()
    after = client.post("/__mock__/clock", json={"advance": 30}, headers=admin).json()
    assert after["epoch"] == pytest.approx(before["epoch"] + 30)
