"""Direct answers: the httptools protocol answers plain requests itself, as uvicorn's way would.

Two servers run the same seeded mock on a virtual clock: one on the protocol
the mock serves on (``DirectAnswers``), one on the same protocol with direct
answers off, so every request takes uvicorn's ordinary way (a task, ASGI).
Each request goes to both and the raw bytes of the answers must be the same
(the ``date`` header aside): the direct way is a shortcut a client cannot see.
``_wire``, the bytes of a direct answer, is also held to what uvicorn's own
request cycle writes for every shape of reply, and the fallbacks are exercised:
a body that comes later or stops, answers that wait (with long pipelines
behind them), uploads on the shared store, and the hand-over of a connection
whose next head httptools refuses to h11.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from hostile_support import raw_request
from redis_support import RedisServer, namespace
from support import API
from test_hostile_uploads import MULTIPART, image
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from rivya_contract.mock_server.asgi import MockApp, render
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.direct import DirectAnswers, _wire
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


def test_direct_answers_are_byte_for_byte_those_of_the_ordinary_way() -> None:
    direct_protocol = counting()
    requests: list[tuple[str, bytes, int, bool]] = [
        ("credits", get(f"{API}/credits"), 1, False),
        ("no key", get(f"{API}/credits", {}), 1, False),
        ("bad key", get(f"{API}/credits", {"Authorization": "Bearer rvya_sk_nope"}), 1, False),
        ("models", get(f"{API}/models"), 1, False),
        ("head", get(f"{API}/models", method="HEAD"), 1, True),
        ("options", get(f"{API}/credits", method="OPTIONS"), 1, False),
        ("create", post(f"{API}/generations", CREATE), 1, False),
        ("invalid json", post(f"{API}/generations", b'{"model": '), 1, False),
        ("unknown model", post(f"{API}/generations", b'{"model":"nope","prompt":"x"}'), 1, False),
        ("wrong type", post(f"{API}/generations", CREATE, AUTH), 1, False),
        ("unknown task", get(f"{API}/generations/task_000000000000000000000000"), 1, False),
        ("encoded path", get(f"{API}/generations/%E2%9C%93"), 1, False),
        ("no route", get(f"{API}/nope"), 1, False),
        ("control", get("/__mock__/accounts"), 1, False),
        ("dashboard", get("/__mock__/"), 1, False),
        ("close", get(f"{API}/credits", {**AUTH, "Connection": "close"}), 1, False),
        ("http/1.0", get(f"{API}/credits").replace(b"HTTP/1.1", b"HTTP/1.0", 1), 1, False),
        ("pipelined", get(f"{API}/credits") + post(f"{API}/generations", CREATE), 2, False),
        ("forwarded", get(f"{API}/models", {**AUTH, "X-Forwarded-Proto": "https"}), 1, False),
    ]
    timing = {"queued_seconds": 0.0, "processing_seconds": 0.0}  # a poll finds results
    with serving(direct_protocol, **timing) as direct, serving(Ordinary, **timing) as ordinary:
        for name, data, count, head_only in requests:
            ours = exchange(direct, data, count, head_only=head_only)
            theirs = exchange(ordinary, data, count, head_only=head_only)
            assert ours == theirs, name
        created = exchange(direct, post(f"{API}/generations", CREATE))
        assert created == exchange(ordinary, post(f"{API}/generations", CREATE))
        task = json.loads(created[0].split(b"\r\n\r\n")[1])
        for forwarded in ({}, {"X-Forwarded-Proto": "https"}):
            poll = get(f"{API}/generations/{task['id']}", {**AUTH, **forwarded})
            ours = exchange(direct, poll)
            assert ours == exchange(ordinary, poll)
            scheme = b"https" if forwarded else b"http"
            assert b'"primary_url":"' + scheme + b"://127.0.0.1/media/results/" in ours[0]
    assert len(direct_protocol.answered) >= len(requests)
    assert f"{API}/generations" in direct_protocol.answered


def test_creates_and_polls_are_answered_before_the_read_that_brought_them_returns() -> None:
    protocol = counting()
    with serving(protocol) as address:
        answers = exchange(address, post(f"{API}/generations", CREATE))
        task = json.loads(answers[0].split(b"\r\n\r\n")[1])
        assert answers[0].startswith(b"HTTP/1.1 202 ")
        assert exchange(address, get(f"{API}/generations/{task['id']}"))[0].startswith(
            b"HTTP/1.1 200 "
        )
    assert protocol.answered == [f"{API}/generations", f"{API}/generations/{task['id']}"]


def test_a_body_that_comes_after_its_head_is_read_the_ordinary_way() -> None:
    protocol = counting()
    data = post(f"{API}/generations", CREATE)
    head, _, body = data.partition(b"\r\n\r\n")
    with serving(protocol) as address, socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n")
        time.sleep(0.2)  # the head's read must end before the body comes: a separate read
        sock.sendall(body)
        answer = read_answer(sock, bytearray())
    assert answer.startswith(b"HTTP/1.1 202 ")
    assert json.loads(answer.split(b"\r\n\r\n")[1])["status"] == "queued"
    assert protocol.answered == []


def test_a_body_that_stops_short_gets_the_body_timeout() -> None:
    data = post(f"{API}/generations", CREATE)
    with (
        serving(Counting, body_timeout=0.3) as address,
        socket.create_connection(address, timeout=10) as sock,
    ):
        sock.sendall(data[:-5])
        answer = read_answer(sock, bytearray())
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"the request body stopped arriving for 0.3 s" in answer
    assert b"\r\nconnection: close\r\n" in answer


@pytest.mark.parametrize("directive", ["delay=300ms", "drop"])
def test_an_answer_that_waits_goes_out_in_order_before_the_next_pipelined_one(
    directive: str,
) -> None:
    protocol = counting()
    waiting = get(f"{API}/credits", {**AUTH, "X-Rivya-Mock": directive})
    with serving(protocol) as address, socket.create_connection(address, timeout=10) as sock:
        sock.sendall(waiting + get(f"{API}/models"))
        buffer = bytearray()
        if directive == "drop":
            head = read_answer(sock, buffer, head_only=True)
            assert head.startswith(b"HTTP/1.1 200 ")
            rest = b"".join(iter(lambda: sock.recv(65536), b""))
            assert len(rest) < int(re.findall(rb"content-length: (\d+)", head)[0])
            return
        first = read_answer(sock, buffer)
        second = read_answer(sock, buffer)
    assert json.loads(first.split(b"\r\n\r\n")[1]) == {"current_credits": MockConfig().credits}
    assert b'"object":"list"' in second or b'"data"' in second
    assert protocol.answered == [f"{API}/models"]


def test_an_app_given_middleware_of_its_own_is_always_served_the_ordinary_way() -> None:
    from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
    from starlette.requests import Request
    from starlette.responses import Response

    class Tag(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            response.headers["X-Tagged"] = "yes"
            return response

    protocol = counting()
    mock = Mock(MockConfig())
    mock.app.add_middleware(Tag)
    with ServerThread(mock, http=protocol) as server:
        address = urlsplit(server.base_url)
        assert address.hostname is not None and address.port is not None
        answer = exchange((address.hostname, address.port), get(f"{API}/credits"))[0]
    assert b"\r\nx-tagged: yes\r\n" in answer
    assert protocol.answered == []


def test_a_request_pipelined_after_connection_close_is_never_run() -> None:
    """uvicorn never starts a request queued behind one whose answer closes the connection."""
    closing = get(f"{API}/credits", {**AUTH, "Connection": "close"})
    data = closing + post(f"{API}/generations", CREATE)
    seen: dict[str, list[bytes]] = {}
    direct = counting()
    for name, protocol in (("direct", direct), ("ordinary", Ordinary)):
        with serving(protocol) as address:
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(data)
                received = b"".join(iter(lambda: sock.recv(65536), b""))
            assert received.count(b"HTTP/1.1 ") == 1, (name, received)
            seen[name] = exchange(address, get(f"{API}/credits"))
    assert direct.answered == [f"{API}/credits", f"{API}/credits"]
    assert seen["direct"] == seen["ordinary"]


def test_http_1_0_request_followed_by_a_pipelined_one_runs_only_the_first() -> None:
    first = get(f"{API}/credits").replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    data = first + post(f"{API}/generations", CREATE)
    seen: dict[str, list[bytes]] = {}
    for name, protocol in (("direct", counting()), ("ordinary", Ordinary)):
        with serving(protocol) as address:
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(data)
                b"".join(iter(lambda: sock.recv(65536), b""))
            seen[name] = exchange(address, get(f"{API}/credits"))
    assert seen["direct"] == seen["ordinary"]


def test_a_long_pipeline_behind_a_delayed_answer_is_answered_whole() -> None:
    """When the delayed answer completes, each queued request is answered inside the last one's
    on_response_complete: the stack grows by one level per pipelined request."""
    count = 400
    waiting = get(f"{API}/credits", {**AUTH, "X-Rivya-Mock": "delay=200ms"})
    data = waiting + get(f"{API}/credits") * count
    with serving(counting()) as address, socket.create_connection(address, timeout=10) as sock:
        sender = threading.Thread(target=sock.sendall, args=(data,))
        sender.start()
        buffer = bytearray()
        answers = []
        try:
            for _ in range(count + 1):
                answers.append(read_answer(sock, buffer))
        except AssertionError as error:  # the connection closed early
            raise AssertionError(f"only {len(answers)} of {count + 1} answers") from error
        finally:
            sender.join()
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)


def test_an_upload_on_the_redis_store_is_stored(tmp_path: Path) -> None:
    """The shared clock pins its time in a context variable: pinned in data_received's
    context, unpinned in the task's, the reset raises and the upload gets a 500."""
    body = image()
    request = post(f"{API}/files", body, {**AUTH, "Content-Type": MULTIPART})
    with RedisServer(tmp_path / "redis") as server:
        results = {}
        for name, protocol in (("direct", DirectAnswers), ("ordinary", Ordinary)):
            with serving(protocol, store=server.url, namespace=namespace()) as address:
                results[name] = exchange(address, request)[0].split(b"\r\n", 1)[0]
                after = exchange(address, get(f"{API}/credits"))[0]
                assert b"current_credits" in after, (name, after)
    assert results == {"direct": b"HTTP/1.1 201 Created", "ordinary": b"HTTP/1.1 201 Created"}


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


WIRED = {
    "json": (Reply(200, b'{"a":1}'), "GET"),
    "error": (Reply(404, b'{"error":{}}', {"X-Request-Id": "req_1"}), "GET"),
    "empty": (Reply(202, b""), "POST"),
    "text": (Reply(200, b"<p>", content_type="text/html"), "GET"),
    "charset given": (Reply(200, b"x", content_type="text/plain; charset=latin-1"), "GET"),
    "type given": (Reply(200, b"x", {"Content-Type": "image/png"}), "GET"),
    "head": (Reply(200, b'{"a":1}'), "HEAD"),
    "connection close": (Reply(200, b"{}", {"Connection": "close"}), "GET"),
    "close among tokens": (Reply(200, b"{}", {"Connection": "keep-alive, Close"}), "GET"),
    "304": (Reply(304, b""), "GET"),
}
REFUSED = {
    "204 with a body": Reply(204, b'{"error":{}}'),
    "transfer-encoding": Reply(200, b"abc", {"Transfer-Encoding": "chunked"}),
    "content-length": Reply(200, b"abc", {"Content-Length": "3"}),
    "informational": Reply(103, b""),
    "header uvicorn refuses": Reply(200, b"", {"X-Bad": "a\nb"}),
}


@pytest.mark.parametrize("name", list(WIRED))
def test_wire_writes_what_uvicorn_writes_for_the_reply(name: str) -> None:
    reply, method = WIRED[name]
    expected, closes = ordinary_bytes(copy.deepcopy(reply), method)
    cycle = cycle_on(Recording(), method)
    assert _wire(reply, cycle) == expected
    assert (not cycle.keep_alive) == closes


@pytest.mark.parametrize("name", list(REFUSED))
def test_wire_leaves_framing_of_uvicorns_own_to_uvicorn(name: str) -> None:
    """The protocol then plays the reply through uvicorn's own cycle, as the ordinary way."""
    with pytest.raises(ValueError):
        _wire(REFUSED[name], cycle_on(Recording()))


def test_a_connection_handed_to_h11_is_not_closed_by_the_httptools_head_timer() -> None:
    """The refused head's connection goes to h11 with the Guarded head timer still armed."""
    refused = raw_request("FOO", f"{API}/credits", AUTH)
    slow = get(f"{API}/credits", {**AUTH, "X-Rivya-Mock": "delay=800ms"})
    with (
        serving(DirectAnswers, header_timeout=0.5) as address,
        socket.create_connection(address, timeout=10) as sock,
    ):
        buffer = bytearray()
        sock.sendall(refused)
        first = read_answer(sock, buffer)
        assert b"application/json" in first  # h11 read it: the API's envelope
        sock.sendall(slow)  # its head is whole at once; its answer takes 0.8 s
        second = read_answer(sock, buffer)
    assert second.startswith(b"HTTP/1.1 200 ")


def test_a_connection_handed_to_h11_keeps_the_head_timeout() -> None:
    refused = raw_request("FOO", f"{API}/credits", AUTH)
    with (
        serving(DirectAnswers, header_timeout=0.3) as address,
        socket.create_connection(address, timeout=10) as sock,
    ):
        buffer = bytearray()
        sock.sendall(refused)
        assert b"application/json" in read_answer(sock, buffer)  # h11 serves it now
        sock.sendall(b"GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n")  # a head never finished
        started = time.monotonic()
        assert sock.recv(65536) == b""  # closed by the head timeout, with no answer
        assert time.monotonic() - started < 5
