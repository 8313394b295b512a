"""The mock router's short way: httpx's transports reach the mock without respx's round trip,
and everything respx would answer otherwise is still answered by respx."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import respx
from respx.models import AllMockedAssertionError

from rivya_contract.mock_server import Mock, MockConfig, media
from rivya_contract.plugin.respx_routes import (
    DEFAULT_BASE_URL,
    DROPPED,
    mock_router,
    mock_transport,
)
from rivya_contract.plugin.webhook_receiver import WebhookReceiver

CREDITS = DEFAULT_BASE_URL + "/api/v1/credits"


def _mock() -> Mock:
    return Mock(MockConfig(virtual_clock=True))


def _auth(mock: Mock) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.config.api_key}"}


def test_a_sync_request_is_answered_and_recorded_without_httpcore() -> None:
    mock = _mock()
    with mock_router(mock) as router, httpx.Client(headers=_auth(mock)) as http:
        answer = http.get(CREDITS)
        call = router["rivya"].calls.last
        # respx's httpcore mocker records a request it rebuilt; the short way, the client's.
        assert call.request is answer.request
        assert call.response is answer
        assert router.calls.last is call
    assert answer.json() == {"current_credits": mock.config.credits}


def test_an_async_upload_is_read_and_answered_the_short_way() -> None:
    mock = _mock()
    image = media.sample("image/webp")

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(base_url=DEFAULT_BASE_URL, headers=_auth(mock)) as http:
            return await http.post(
                "/api/v1/files",
                data={"kind": "image"},
                files={"file": ("ref.webp", image, "image/webp")},
            )

    with mock_router(mock) as router:
        stored = asyncio.run(run())
        assert router["rivya"].calls.last.request is stored.request
    assert stored.status_code == 201, stored.text
    assert mock.control.journal[-1].path == "/api/v1/files"


def test_a_dropped_connection_is_raised_and_recorded_without_a_response() -> None:
    mock = _mock()
    mock.control.fault(path="/api/v1/credits", drop=True, times=1)
    with mock_router(mock) as router:
        with pytest.raises(httpx.RemoteProtocolError, match=DROPPED):
            httpx.get(CREDITS, headers=_auth(mock))
        call = router["rivya"].calls.last
    assert not call.has_response
    assert call.request.url == CREDITS


def test_a_route_of_a_router_started_earlier_answers_first() -> None:
    mock = _mock()
    with respx.mock(assert_all_called=False) as own:
        own.get(CREDITS).respond(503)
        with mock_router(mock) as router:
            overridden = httpx.get(CREDITS, headers=_auth(mock))
            models = httpx.get(DEFAULT_BASE_URL + "/api/v1/models")
            assert router["rivya"].call_count == 1
            assert router["rivya"].calls.last.request is not models.request  # respx's way
    assert overridden.status_code == 503
    assert models.status_code == 200
    assert [entry.path for entry in mock.control.journal] == ["/api/v1/models"]


def test_a_router_started_later_answers_its_own_hosts() -> None:
    mock = _mock()
    with mock_router(mock) as router, respx.mock(assert_all_called=False) as own:
        own.get("https://example.com/ping").respond(204)
        assert httpx.get("https://example.com/ping").status_code == 204
        assert httpx.get(CREDITS, headers=_auth(mock)).status_code == 200
        with pytest.raises(AllMockedAssertionError):
            httpx.get("https://example.org/")
        assert router["rivya"].call_count == 1
        assert own.calls.call_count == 1


def test_routes_added_to_the_mock_router_still_answer_first() -> None:
    mock, staging = _mock(), _mock()
    with mock_router(mock) as router, mock_router(staging, "https://staging.rivya.test"):
        router.get("https://example.com/ping").respond(201)
        router.get("https://staging.rivya.test/api/v1/models").respond(202)
        assert httpx.get("https://example.com/ping").status_code == 201
        assert httpx.get("https://staging.rivya.test/api/v1/models").status_code == 202
        assert httpx.get(CREDITS, headers=_auth(mock)).status_code == 200
    assert len(staging.control.journal) == 0


def test_a_re_mocked_route_answers_as_respx_would() -> None:
    mock = _mock()
    with mock_router(mock) as router:
        router["rivya"].respond(418)
        assert httpx.get(CREDITS, headers=_auth(mock)).status_code == 418
        router["rivya"].side_effect = httpx.ConnectError
        with pytest.raises(httpx.ConnectError):
            httpx.get(CREDITS, headers=_auth(mock))
    assert len(mock.control.journal) == 0


def test_a_client_with_its_own_transport_is_left_alone() -> None:
    mock = _mock()
    own = httpx.MockTransport(lambda request: httpx.Response(418))
    with mock_router(mock), httpx.Client(transport=own) as http:
        assert http.get(CREDITS).status_code == 418
    assert len(mock.control.journal) == 0


def test_two_routers_each_answer_their_base_url_and_the_transports_come_back() -> None:
    sync_before = httpx.HTTPTransport.handle_request
    async_before = httpx.AsyncHTTPTransport.handle_async_request
    first, second = _mock(), _mock()
    staging = "https://staging.rivya.test"
    with mock_router(first) as outer:
        assert httpx.HTTPTransport.handle_request is not sync_before
        with mock_router(second, staging) as inner:
            assert httpx.get(staging + "/api/v1/models").status_code == 200
            assert httpx.get(CREDITS, headers=_auth(first)).status_code == 200
            assert inner["rivya"].call_count == 1
        assert httpx.get(DEFAULT_BASE_URL + "/api/v1/models").status_code == 200
        assert outer["rivya"].call_count == 2
    paths = [entry.path for entry in first.control.journal]
    assert paths == ["/api/v1/credits", "/api/v1/models"]
    assert [entry.path for entry in second.control.journal] == ["/api/v1/models"]
    assert httpx.HTTPTransport.handle_request is sync_before
    assert httpx.AsyncHTTPTransport.handle_async_request is async_before


def test_webhooks_reach_an_in_process_receiver_while_the_router_is_active() -> None:
    mock = _mock()
    receiver = WebhookReceiver(base_url="https://hooks.example.com")
    mock.control.webhooks.route(receiver.url, receiver.app)
    with mock_router(mock), httpx.Client(base_url=DEFAULT_BASE_URL, headers=_auth(mock)) as http:
        hook = http.post("/api/v1/webhooks", json={"url": receiver.url})
        assert hook.status_code == 201, hook.text
        receiver.trust(hook.json()["signing_secret"])
        receiver.clock = mock.clock.now
        mock.control.script(queued=0, processing=0)
        task = http.post("/api/v1/generations", json={"model": "grok-imagine", "prompt": "x"})
        mock.clock.advance(1)
        mock.control.webhooks.flush()
    (got,) = receiver.deliveries
    assert got.verified and got.status == 200
    assert task.json()["id"] in json.dumps(got.event)


def test_real_latency_and_its_timeout_reach_sync_and_async_clients() -> None:
    mock = Mock(MockConfig())
    mock.control.fault(path="/api/v1/models", delay=0.2, times=3)
    models = DEFAULT_BASE_URL + "/api/v1/models"

    async def run() -> tuple[float, httpx.Response]:
        async with httpx.AsyncClient() as http:
            begun = time.monotonic()
            answer = await http.get(models)
            return time.monotonic() - begun, answer

    with mock_router(mock) as router:
        started = time.monotonic()
        answer = httpx.get(models)
        assert time.monotonic() - started >= 0.2
        assert answer.json()["object"] == "list"
        waited, answered = asyncio.run(run())
        assert waited >= 0.2
        assert answered.json()["object"] == "list"
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(models, timeout=0.05)
        assert router["rivya"].calls.last.request.url == models
    mock.close()


@pytest.mark.parametrize("way", ["router", "transport"])
def test_answers_come_unread_so_they_stream_and_know_their_elapsed_time(way: str) -> None:
    mock = _mock()
    models = DEFAULT_BASE_URL + "/api/v1/models"
    transport = mock_transport(mock) if way == "transport" else None
    async_transport = mock_transport(mock) if way == "transport" else None

    async def run() -> tuple[int, httpx.Response]:
        async with httpx.AsyncClient(transport=async_transport) as http:
            async with http.stream("GET", models) as streamed:
                size = sum([len(chunk) async for chunk in streamed.aiter_raw()])
            return size, await http.get(models)

    with mock_router(mock), httpx.Client(transport=transport) as http:
        with http.stream("GET", models) as streamed:
            size = sum(len(chunk) for chunk in streamed.iter_raw())
        answer = http.get(models)
        async_size, async_answer = asyncio.run(run())
    assert size == async_size == len(answer.content) == int(answer.headers["Content-Length"])
    assert answer.elapsed.total_seconds() >= 0
    assert async_answer.elapsed.total_seconds() >= 0
    assert async_answer.content == answer.content
