"""Where a request leaves the direct way, and what a client then sees: uvicorn's ordinary way.

A body that comes after its head or stops short, answers that wait (a delay, a
drop) with requests pipelined behind them, long pipelines, an app given
middleware of its own, requests pipelined after one that closes the
connection, uploads on the shared store (the shared clock's pin lives in each
request's own context), and a connection whose next head httptools refuses,
handed to h11 with the same bounds.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from direct_support import (
    AUTH,
    CREATE,
    Counting,
    Ordinary,
    counting,
    exchange,
    get,
    post,
    read_answer,
    serving,
)
from hostile_support import raw_request
from redis_support import RedisServer, namespace
from support import API
from test_hostile_uploads import MULTIPART, image

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.direct import DirectAnswers
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.serving import ServerThread


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
