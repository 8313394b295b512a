"""The respx and transport adapters: the mock's pipeline behind httpx (sync, async), no sockets."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from respx.models import AllMockedAssertionError

from rivya_contract.mock_server import Mock, MockConfig, media
from rivya_contract.plugin.respx_routes import (
    DEFAULT_BASE_URL,
    DROPPED,
    MockHandler,
    mock_router,
    mock_transport,
)
from rivya_contract.schemas import validate


def _mock(**config: object) -> Mock:
    return Mock(MockConfig(virtual_clock=True).replace(**config))


def _auth(mock: Mock) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.config.api_key}"}


def test_a_sync_client_creates_and_polls_through_the_router() -> None:
    mock = _mock(queued_seconds=1, processing_seconds=1)
    with mock_router(mock) as router, httpx.Client(base_url=DEFAULT_BASE_URL) as http:
        created = http.post(
            "/api/v1/generations",
            json={"model": "grok-imagine", "prompt": "a fox"},
            headers=_auth(mock),
        )
        assert created.status_code == 202
        assert validate("task", created.json()) == []
        mock.clock.advance(5)
        polled = http.get(f"/api/v1/generations/{created.json()['id']}", headers=_auth(mock))
        assert router["rivya"].call_count == 2
    assert polled.json()["status"] == "succeeded"
    assert polled.json()["result"]["primary_url"].startswith(DEFAULT_BASE_URL + "/media/")
    assert polled.headers["X-Request-Id"] == mock.control.journal[-1].request_id


def test_an_async_client_reaches_the_same_pipeline() -> None:
    mock = _mock()

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=DEFAULT_BASE_URL, headers=_auth(mock)) as http:
            return list(
                await asyncio.gather(
                    http.get("/api/v1/credits"),
                    http.post("/api/v1/generations", json={"model": "grok-imagine", "prompt": "x"}),
                )
            )

    with mock_router(mock):
        credits, created = asyncio.run(run())
    assert credits.json() == {"current_credits": mock.config.credits}
    assert created.status_code == 202
    assert mock.control.accounts.get("acct_demo").reserved == created.json()["reserved_credits"]


def test_multipart_uploads_stream_through_the_transport() -> None:
    mock = _mock()
    image = media.sample("image/webp")
    with httpx.Client(
        base_url=DEFAULT_BASE_URL, transport=mock_transport(mock), headers=_auth(mock)
    ) as http:
        stored = http.post(
            "/api/v1/files",
            data={"kind": "image"},
            files={"file": ("ref.webp", image, "image/webp")},
        )
        served = http.get(stored.json()["url"])
    assert stored.status_code == 201
    assert validate("file", stored.json()) == []
    assert served.content == image


def test_other_hosts_are_not_answered_by_the_mock() -> None:
    mock = _mock()
    with mock_router(mock), pytest.raises(AllMockedAssertionError):
        httpx.get("https://example.com/api/v1/credits")
    assert len(mock.control.journal) == 0


def test_a_custom_base_url_is_routed() -> None:
    mock = _mock()
    with mock_router(mock, "https://staging.rivya.test"):
        answer = httpx.get("https://staging.rivya.test/api/v1/models")
    assert answer.status_code == 200
    assert validate("model-list", answer.json()) == []


def test_a_dropped_connection_raises_a_protocol_error_sync_and_async() -> None:
    mock = _mock()
    mock.control.fault(path="/api/v1/credits", drop=True, times=2)
    with mock_router(mock):
        with pytest.raises(httpx.RemoteProtocolError, match=DROPPED):
            httpx.get(DEFAULT_BASE_URL + "/api/v1/credits", headers=_auth(mock))

        async def run() -> None:
            async with httpx.AsyncClient() as http:
                await http.get(DEFAULT_BASE_URL + "/api/v1/credits", headers=_auth(mock))

        with pytest.raises(httpx.RemoteProtocolError):
            asyncio.run(run())
        after = httpx.get(DEFAULT_BASE_URL + "/api/v1/credits", headers=_auth(mock))
    assert after.status_code == 200
    assert [entry.path for entry in mock.control.journal] == ["/api/v1/credits"] * 3


def test_latency_moves_the_virtual_clock_instead_of_waiting() -> None:
    mock = _mock()
    mock.control.fault(path="/api/v1/models", delay=120)
    before = mock.clock.now()
    wall = time.monotonic()
    with mock_router(mock):
        answer = httpx.get(DEFAULT_BASE_URL + "/api/v1/models", timeout=None)
    assert answer.status_code == 200
    assert mock.clock.now() - before == pytest.approx(120)
    assert time.monotonic() - wall < 5


def test_latency_past_the_read_timeout_is_a_read_timeout() -> None:
    mock = _mock()
    mock.control.fault(path="/api/v1/models", delay=30)
    before = mock.clock.now()
    with mock_router(mock), pytest.raises(httpx.ReadTimeout):
        httpx.get(DEFAULT_BASE_URL + "/api/v1/models", timeout=httpx.Timeout(10.0))
    assert mock.clock.now() - before == pytest.approx(10)


def test_real_latency_is_slept_for_sync_and_async_clients() -> None:
    mock = Mock(MockConfig())
    mock.control.fault(path="/api/v1/models", delay=0.2, times=2)
    handler = MockHandler(mock)
    assert handler.latency == "real"
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        started = time.monotonic()
        answer = http.get(DEFAULT_BASE_URL + "/api/v1/models")
        assert time.monotonic() - started >= 0.2
    assert answer.json()["object"] == "list"

    async def run() -> float:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            begun = time.monotonic()
            (await http.get(DEFAULT_BASE_URL + "/api/v1/models")).raise_for_status()
            return time.monotonic() - begun

    assert asyncio.run(run()) >= 0.2


def test_real_latency_past_the_timeout_raises_after_the_timeout() -> None:
    mock = Mock(MockConfig())
    mock.control.fault(path="/api/v1/models", delay=5)
    with httpx.Client(transport=mock_transport(mock, latency="real")) as http:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            http.get(DEFAULT_BASE_URL + "/api/v1/models", timeout=0.1)
        assert 0.1 <= time.monotonic() - started < 4


def test_header_names_reach_the_pipeline_in_lower_case() -> None:
    mock = _mock()
    with httpx.Client(transport=mock_transport(mock)) as http:
        http.get(
            DEFAULT_BASE_URL + "/api/v1/credits?x=1",
            headers={"AUTHORIZATION": f"Bearer {mock.config.api_key}", "X-Trace": "t"},
        )
    entry = mock.control.journal[-1]
    assert entry.status == 200
    assert entry.query == "x=1"
    assert entry.headers["x-trace"] == "t"
    assert entry.headers["authorization"] == "Bearer [redacted]"
