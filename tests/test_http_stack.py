"""The server stack: httptools and uvloop, and h11 for a request head httptools refuses."""

from __future__ import annotations

import importlib
import socket
from types import ModuleType

import httpx
import pytest
from hostile_support import _read_reply, live_mock, raw_request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient
from support import API
from uvicorn.protocols.http.h11_impl import H11Protocol

from rivya_contract.mock_server.direct import DirectAnswers
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.serving import ServerThread, server_stack


def test_the_mock_serves_on_httptools_and_uvloop() -> None:
    assert server_stack() == ("httptools", "uvloop")
    with ServerThread(Mock()) as server:
        config = server._server.config
        assert issubclass(config.http_protocol_class, DirectAnswers)  # held to the bounds
        assert config.loop == "uvloop"


def test_a_refused_head_on_a_kept_alive_connection_is_read_by_h11() -> None:
    with live_mock() as live:
        auth = {"Authorization": f"Bearer {live.key}"}
        with socket.create_connection(live.address, timeout=5) as sock:
            sock.sendall(raw_request("GET", f"{API}/credits", auth))
            first = _read_reply(sock)
            assert first is not None and first.status == 200
            sock.sendall(raw_request("FOO", f"{API}/credits", {**auth, "Content-Length": "0"}))
            refused = _read_reply(sock)
            assert refused is not None and refused.status == 404
            assert refused.headers["content-type"] == "application/json"
            assert refused.json()["error"]["message"] == (
                f"FOO is not served here: FOO {API}/credits"
            )
            sock.sendall(raw_request("GET", f"{API}/credits", auth))  # now on h11
            again = _read_reply(sock)
            assert again is not None and again.status == 200
            assert again.json() == first.json()


def test_a_refused_head_pipelined_in_one_chunk_gets_a_plain_400_after_the_answer() -> None:
    with live_mock() as live:
        auth = {"Authorization": f"Bearer {live.key}"}
        both = raw_request("GET", f"{API}/credits", auth) + raw_request(
            "FOO", f"{API}/credits", {**auth, "Content-Length": "0"}
        )
        received = b""
        with socket.create_connection(live.address, timeout=5) as sock:
            sock.sendall(both)
            while chunk := sock.recv(65536):  # the 400 closes the connection
                received += chunk
        first, _, second = received.partition(b"HTTP/1.1 400 ")
        assert first.startswith(b"HTTP/1.1 200 ")
        assert b'"current_credits"' in first
        assert b"content-type: text/plain" in second.lower()
        assert live.credits() == live.mock.config.credits


def test_middleware_added_to_the_app_sees_every_request() -> None:
    app = Mock().app
    seen: list[str] = []

    class Tag(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            seen.append(request.url.path)
            response = await call_next(request)
            response.headers["X-Tag"] = "seen"
            return response

    app.add_middleware(Tag)
    with TestClient(app) as client:
        response = client.get(f"{API}/models")
    assert response.status_code == 200
    assert response.headers["x-tag"] == "seen"
    assert seen == [f"{API}/models"]


def test_the_stack_falls_back_to_h11_and_asyncio_where_they_cannot_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.import_module

    def refuse(name: str, package: str | None = None) -> ModuleType:
        if name in ("httptools", "uvloop"):
            raise ImportError(f"no {name} here")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", refuse)
    assert server_stack() == ("h11", "asyncio")
    with ServerThread(Mock()) as server:
        assert issubclass(server._server.config.http_protocol_class, H11Protocol)
        assert server._server.config.loop == "asyncio"
        response = httpx.get(f"{server.base_url}{API}/models")
    assert response.status_code == 200
