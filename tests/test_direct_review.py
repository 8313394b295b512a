"""Where a direct answer differs from uvicorn's ordinary way: reproductions.

The first two tests pass (checked behaviour); the others fail on main.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import socket
import threading
from pathlib import Path
from typing import Any, cast

import pytest
from hostile_support import raw_request
from redis_support import RedisServer, namespace
from support import API
from test_direct_answers import (
    AUTH,
    CREATE,
    Ordinary,
    counting,
    exchange,
    get,
    post,
    read_answer,
    serving,
)
from test_hostile_uploads import MULTIPART, image
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from rivya_contract.mock_server.asgi import render
from rivya_contract.mock_server.direct import DirectAnswers, _wire
from rivya_contract.mock_server.exchange import Reply


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


def ordinary_bytes(reply: Reply) -> tuple[bytes, bool]:
    transport = Recording()
    cycle = cycle_on(transport)
    coroutine = cycle.run_asgi(cast(Any, render(reply)))
    with pytest.raises(StopIteration):
        coroutine.send(None)
    return bytes(transport.data), transport.closed


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"{}", {"Connection": "close"}),
        Reply(204, b'{"error":{}}', {}),
        Reply(200, b"abc", {"Transfer-Encoding": "chunked"}),
    ],
    ids=["connection-close", "204-with-body", "transfer-encoding"],
)
def test_wire_writes_what_uvicorn_writes_for_the_reply(reply: Reply) -> None:
    """Replies a replayed cassette can carry (its headers and status are the file's)."""
    expected, closes = ordinary_bytes(copy.deepcopy(reply))
    cycle = cycle_on(Recording())
    try:
        wired = _wire(reply, cycle)
    except ValueError:  # refused: the protocol plays the reply through uvicorn's own cycle
        return
    assert wired == expected
    assert (not cycle.keep_alive) == closes


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
