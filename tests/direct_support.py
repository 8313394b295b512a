"""Two servers of one seeded mock, one answering directly and one the ordinary way, and raw HTTP.

``serving(protocol)`` serves a mock on a virtual clock (seeded ids) over a
protocol class: ``DirectAnswers`` as the mock serves, ``Ordinary`` (direct
answers off: every request takes uvicorn's task and ASGI), or ``counting()``,
which lists the requests it answered inside the read that brought them.
``exchange`` sends raw bytes and returns whole answers with what differs between
two servers (the date, request ids, tokens, times) left out. ``ordinary_bytes``
plays a ``Reply`` through uvicorn's own request cycle into a ``Recording``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from hostile_support import raw_request
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from rivya_contract.mock_server.asgi import MockApp, render
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.direct import DirectAnswers
from rivya_contract.mock_server.exchange import Reply
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.serving import ServerThread

KEY = MockConfig().api_key
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}
CREATE = json.dumps(
    {"model": "grok-imagine", "prompt": "a lighthouse", "params": {"aspect_ratio": "16:9"}}
).encode()
DATE = re.compile(rb"\r\ndate: [^\r]*\r\n")
REQUEST_ID = re.compile(rb"req_[0-9a-f]{24}|/[0-9a-f]{32}/")
"""Request ids and capability tokens are always drawn at random, seed or not."""
TIMES = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z|\"now\":[0-9.]+")
"""The two virtual clocks start at the wall time each mock was made."""


class Ordinary(DirectAnswers):
    """The mock's protocol with direct answers off: every request takes a task."""

    direct = False


class Counting(DirectAnswers):
    """The mock's protocol, counting the requests it answered before returning."""

    answered: list[str]

    def _answer(self, cycle: RequestResponseCycle, mock_app: MockApp) -> None:
        super()._answer(cycle, mock_app)
        if cycle.response_complete:
            type(self).answered.append(cycle.scope["path"])


def counting() -> type[Counting]:
    """Return a fresh ``Counting`` class, its own list of answers."""
    return type("CountingHere", (Counting,), {"answered": []})


@contextmanager
def serving(protocol: type[DirectAnswers], **config: Any) -> Iterator[tuple[str, int]]:
    """Serve a seeded mock on a virtual clock over ``protocol``; yield (host, port)."""
    settings = MockConfig(seed=7, virtual_clock=True, **config)
    with ServerThread(Mock(settings), http=protocol) as server:
        parts = urlsplit(server.base_url)
        assert parts.hostname is not None and parts.port is not None
        yield parts.hostname, parts.port


def read_answer(sock: socket.socket, buffer: bytearray, *, head_only: bool = False) -> bytes:
    """Return the next whole answer's bytes from ``sock`` (``buffer`` keeps what follows it)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the connection closed within a head: {bytes(buffer)!r}")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    match = re.search(rb"\r\ncontent-length: (\d+)\r\n", bytes(buffer[:end]))
    length = 0 if head_only or match is None else int(match.group(1))
    while len(buffer) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    answer = bytes(buffer[: end + length])
    del buffer[: end + length]
    return answer


def exchange(address: tuple[str, int], data: bytes, answers: int = 1, **kw: bool) -> list[bytes]:
    """Send ``data`` on a new connection; return ``answers`` answers, times and request ids out."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        buffer = bytearray()
        return [
            TIMES.sub(
                b"T", REQUEST_ID.sub(b"_", DATE.sub(b"\r\n", read_answer(sock, buffer, **kw)))
            )
            for _ in range(answers)
        ]


def post(path: str, body: bytes, headers: dict[str, str] = JSON) -> bytes:
    """Return a request with a body and its Content-Length."""
    return raw_request("POST", path, {**headers, "Content-Length": str(len(body))}, body)


def get(path: str, headers: dict[str, str] = AUTH, method: str = "GET") -> bytes:
    """Return a request without a body."""
    return raw_request(method, path, headers)


class Recording(asyncio.Transport):
    """A transport that keeps what is written (to compare the two ways' bytes)."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self.closed:
            self.data += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def cycle_on(transport: Recording, method: str = "GET") -> RequestResponseCycle:
    scope: Any = {"type": "http", "method": method, "headers": [], "http_version": "1.1"}
    return RequestResponseCycle(
        scope=scope,
        transport=transport,
        flow=FlowControl(transport),
        logger=logging.getLogger("uvicorn.error"),
        access_logger=logging.getLogger("uvicorn.access"),
        access_log=False,
        default_headers=[(b"server", b"uvicorn")],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )


def ordinary_bytes(reply: Reply, method: str) -> tuple[bytes, bool]:
    """Return what uvicorn's own cycle writes for ``render(reply)``, and whether it closes."""
    transport = Recording()
    coroutine = cycle_on(transport, method).run_asgi(cast(Any, render(reply)))
    with pytest.raises(StopIteration):
        coroutine.send(None)
    return bytes(transport.data), transport.closed
