"""The HTTP edge over real sockets, on both parsers uvicorn runs on (h11 and httptools).

Paths are matched as sent, a request framed twice is refused and its connection closed,
a connection that never finishes its head is closed, and a flood of silent connections
under a 1,024-descriptor limit neither stops the server nor floods its log.
"""

from __future__ import annotations

import contextlib
import resource
import select
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Literal

import httpx
import pytest
from hostile_support import RawReply, _read_reply, raw_request
from support import API

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.serving import ServerThread

Parser = Literal["h11", "httptools"]
PARSERS: tuple[Parser, ...] = ("h11", "httptools")
KEY = MockConfig().api_key


@pytest.fixture(params=PARSERS, scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    mock = Mock(MockConfig(header_timeout=0.5))
    with ServerThread(mock, http=request.param) as running:
        yield running


def _address(server: ServerThread) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def _exchange(server: ServerThread, data: bytes) -> tuple[RawReply | None, bool]:
    """Send ``data``; return the reply and whether the server closed the connection after it."""
    with socket.create_connection(_address(server), timeout=5) as sock:
        sock.sendall(data)
        reply = _read_reply(sock)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    return reply, closed


@pytest.mark.parametrize("encoded", ["%09", "%0a", "%0A", "%0d", "%0D", "%0d%0a"])
def test_an_encoded_control_character_is_never_stripped(server: ServerThread, encoded: str) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    created = httpx.post(
        f"{server.base_url}{API}/generations",
        json={"model": "grok-imagine", "prompt": "a fox"},
        headers=auth,
    )
    task_id = created.json()["id"]
    for path in (
        f"{API}/cre{encoded}dits",
        f"{API}/credits{encoded}",
        f"{API}/generations/{task_id}{encoded}",
        f"{API}/generations/{encoded}{task_id}",
    ):
        reply, _ = _exchange(server, raw_request("GET", path, auth))
        assert reply is not None
        assert reply.status in (400, 404), (path, reply.status, reply.body[:200])
    reply, _ = _exchange(server, raw_request("GET", f"{API}/generations/{task_id}", auth))
    assert reply is not None and reply.status == 200


def test_content_length_with_transfer_encoding_is_refused_and_closed(server: ServerThread) -> None:
    body = b'{"model": "grok-imagine", "prompt": "a fox"}'
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    headers = {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Content-Length": str(len(chunked)),
        "Transfer-Encoding": "chunked",
    }
    before = server.mock.backend.balance().reserved
    reply, closed = _exchange(server, raw_request("POST", f"{API}/generations", headers, chunked))
    assert reply is not None and reply.status == 400
    assert closed, "the connection must be closed after a request framed twice"
    assert server.mock.backend.balance().reserved == before  # nothing was created


def test_a_connection_that_never_finishes_its_head_is_closed(server: ServerThread) -> None:
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/models HTTP/1.1\r\nHost: x\r\n")  # no end of head
        ready, _, _ = select.select([sock], [], [], 10)
        assert ready, "the server kept a connection that never sent a whole head"
        assert sock.recv(1024) == b""


def test_a_head_past_the_limit_is_431_and_closed() -> None:
    for parser in PARSERS:
        mock = Mock(MockConfig(max_head_bytes=8192))
        with ServerThread(mock, http=parser) as running:
            padding = {"X-Padding": "p" * 20_000}
            reply, closed = _exchange(running, raw_request("GET", f"{API}/models", padding))
            assert reply is not None and reply.status == 431, parser
            assert closed
            assert httpx.get(f"{running.base_url}{API}/models").status_code == 200


CHILD = """
import logging, sys
from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.serving import ServerThread
logging.basicConfig(level=logging.WARNING)
server = ServerThread(Mock(MockConfig(header_timeout=60)), http=sys.argv[1])
print("serving", server.start(), flush=True)
sys.stdin.read()
server.stop()
"""
"""A mock served in a child process, until its stdin closes."""


def _limited(soft: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, soft))


@contextlib.contextmanager
def _served_with_descriptors(limit: int, parser: Parser) -> Iterator[tuple[str, list[str]]]:
    """Serve a mock in a child process under a descriptor limit; yield its URL and log lines."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, parser],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: _limited(limit),
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None
    lines: list[str] = []
    errors = process.stderr
    threading.Thread(target=lambda: lines.extend(errors), daemon=True).start()
    try:
        started = process.stdout.readline()
        assert started.startswith("serving http://"), (started, lines)
        yield started.split()[1], lines
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("parser", PARSERS)
def test_silent_sockets_past_the_descriptor_limit_leave_the_server_answering(
    parser: Parser,
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    silent: list[socket.socket] = []
    with _served_with_descriptors(1024, parser) as (url, log), httpx.Client(timeout=10) as client:
        host, port = url.removeprefix("http://").split(":")
        try:
            for index in range(1100):
                silent.append(socket.create_connection((host, int(port)), timeout=10))
                if index % 100 == 99:  # a normal client keeps getting answers meanwhile
                    fresh = httpx.get(f"{url}{API}/models", timeout=10)
                    assert fresh.status_code == 200, index
                    assert client.get(f"{url}{API}/models").status_code == 200
            for _ in range(5):
                assert httpx.get(f"{url}{API}/models", timeout=10).status_code == 200
        finally:
            for sock in silent:
                sock.close()
    text = "".join(log)
    assert len(text) < 20_000, text[:2000]  # one rate-limited line, never a flood
    assert "connections open" in text
    assert "Too many open files" not in text


def test_descriptor_limit_bounds_the_connection_limit() -> None:
    from rivya_contract.mock_server.connections import SPARE_DESCRIPTORS, Bounds

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert Bounds(max_connections=10**9).connection_limit() == max(1, soft - SPARE_DESCRIPTORS)
    assert Bounds(max_connections=5).connection_limit() == 5


def test_the_journal_stays_within_its_bytes_under_large_heads() -> None:
    budget = 8 * 1024 * 1024
    mock = Mock(MockConfig(journal_max_bytes=budget))
    with ServerThread(mock) as running, httpx.Client(base_url=running.base_url) as client:
        head = {"X-Padding": "p" * 120_000}
        for _ in range(1500):
            assert client.get(f"{API}/models", headers=head).status_code == 200
    journal = mock.control.journal
    assert journal.bytes <= budget
    assert 50 <= len(journal) <= budget // 120_000
