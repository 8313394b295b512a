"""Shared helpers of the hostile-input tests: a live mock over real HTTP and a raw-socket client.

``live_mock`` runs a ``Mock`` behind uvicorn on a free port. ``raw_exchange``
sends bytes no well-behaved client would send (a lying Content-Length, invalid
UTF-8 in a header, a truncated body) and reads what comes back.
``assert_still_serving`` proves the server still answers a valid request with
exact state afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from support import API, balance, bearer

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.serving import ServerThread
from rivya_contract.schemas import contract, validate

MODEL = "grok-imagine"
PRICE = contract().cards[MODEL].base_credits
"""What one default grok-imagine task reserves."""
VALID_CREATE: dict[str, Any] = {"model": MODEL, "prompt": "a red fox in the snow"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
"""Bytes carrying the PNG signature: enough for the upload sniffer."""
SERVER_LOGGER = "uvicorn.error"
"""Where uvicorn logs an exception that escapes the app."""


class ErrorLog(logging.Filter):
    """Collects the server's ERROR log records (an exception escaping the app is one)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep ``record`` if it is an error; never suppress it."""
        if record.levelno >= logging.ERROR:
            self.records.append(record)
        return True

    def take(self) -> list[str]:
        """Return the collected messages (with tracebacks) and forget them."""
        messages = [
            record.getMessage() + (f" {record.exc_info[1]!r}" if record.exc_info else "")
            for record in self.records
        ]
        self.records.clear()
        return messages


@dataclass
class Live:
    """A mock served over real HTTP: the mock, its address, and a client with the demo key."""

    mock: Mock
    base_url: str
    client: httpx.Client
    errors: ErrorLog = field(default_factory=ErrorLog)
    """Errors the server logged; ``assert not live.errors.take()`` after a test."""

    @property
    def key(self) -> str:
        """Return the demo account's API key."""
        return self.mock.config.api_key

    @property
    def address(self) -> tuple[str, int]:
        """Return (host, port) the server listens on."""
        parts = urlsplit(self.base_url)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port

    def auth(self, **extra: str) -> dict[str, str]:
        """Return headers with the demo key's Authorization, plus ``extra``."""
        return {**bearer(self.key), **extra}

    def credits(self) -> int:
        """Return the demo account's balance as GET /credits reports it."""
        return balance(self.client, self.key)

    def create(self, body: Any = None, **headers: str) -> httpx.Response:
        """POST /generations with the demo key; ``body`` defaults to a valid request."""
        return self.client.post(
            f"{API}/generations",
            json=VALID_CREATE if body is None else body,
            headers=self.auth(**headers),
        )

    def post_raw(
        self, body: bytes, content_type: str | None = "application/json"
    ) -> httpx.Response:
        """POST raw bytes to /generations with the demo key."""
        headers = self.auth()
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.client.post(f"{API}/generations", content=body, headers=headers)


@contextlib.contextmanager
def live_mock(config: MockConfig | None = None, *, timeout: float = 30.0) -> Iterator[Live]:
    """Serve ``Mock(config)`` on a free port for the duration of the block."""
    mock = Mock(config or MockConfig())
    errors = ErrorLog()
    server_log = logging.getLogger(SERVER_LOGGER)
    with (
        ServerThread(mock) as server,
        httpx.Client(base_url=server.base_url, timeout=timeout) as client,
    ):
        server_log.addFilter(errors)
        try:
            yield Live(mock, server.base_url, client, errors)
        finally:
            server_log.removeFilter(errors)


def assert_still_serving(live: Live, balance: int) -> None:
    """Assert the balance is exactly ``balance``, then that a valid create reserves its price."""
    assert live.credits() == balance
    response = live.create()
    assert response.status_code == live.mock.config.create_status, response.text
    assert validate("task", response.json()) == []
    assert live.credits() == balance - PRICE


@dataclass
class RawReply:
    """An HTTP/1.1 response read off a socket."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: bytes = b""

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


def _read_reply(sock: socket.socket) -> RawReply | None:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawReply(status, headers, rest[:length])


def raw_request(
    method: str,
    path: str,
    headers: Mapping[str, str | bytes],
    body: bytes = b"",
    *,
    host: str = "127.0.0.1",
) -> bytes:
    """Return the bytes of an HTTP/1.1 request, exactly as given (no Content-Length added)."""
    lines = [f"{method} {path} HTTP/1.1".encode(), f"Host: {host}".encode()]
    for name, value in headers.items():
        encoded = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(name.encode("latin-1") + b": " + encoded)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def raw_exchange(address: tuple[str, int], data: bytes, *, timeout: float = 5.0) -> RawReply | None:
    """Send ``data`` on a new connection; return the reply, or None if none came in ``timeout``.

    The connection is closed afterwards either way, so the server sees the
    client go away.
    """
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        try:
            return _read_reply(sock)
        except TimeoutError:
            return None


class AsyncConnection:
    """One keep-alive HTTP/1.1 connection driven by asyncio, with no client-side pooling.

    Opening many of these at once gives as many real concurrent connections,
    which a pooled client serialises through its pool.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, address: tuple[str, int]) -> AsyncConnection:
        """Connect to ``address``."""
        reader, writer = await asyncio.open_connection(*address)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, headers: Mapping[str, str], body: Any = None
    ) -> RawReply:
        """Send one request (``body`` as JSON when given) and read its reply."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = dict(headers)
        if body is not None:
            head["Content-Type"] = "application/json"
        head["Content-Length"] = str(len(payload))
        self._writer.write(raw_request(method, path, head, payload))
        await self._writer.drain()
        raw_head = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        reply = RawReply(int(lines[0].split(" ", 2)[1]))
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                reply.headers[name.strip().lower()] = value.strip()
        reply.body = await self._reader.readexactly(int(reply.headers.get("content-length", "0")))
        return reply

    async def close(self) -> None:
        """Close the connection."""
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


async def open_connections(address: tuple[str, int], count: int) -> list[AsyncConnection]:
    """Open ``count`` connections to ``address`` at once and return them all open."""
    return await asyncio.gather(*(AsyncConnection.open(address) for _ in range(count)))
