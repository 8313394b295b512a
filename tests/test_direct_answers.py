"""Direct answers: the httptools protocol answers plain requests itself, as uvicorn's way would.

Two servers run the same seeded mock on a virtual clock: one on the protocol
the mock serves on (``DirectAnswers``), one on the same protocol with direct
answers off, so every request takes uvicorn's ordinary way (a task, ASGI).
Each request goes to both and the raw bytes of the answers must be the same
(the ``date`` header aside): the direct way is a shortcut a client cannot see.
``_wire``, the bytes of a direct answer, is also held to what uvicorn's own
request cycle writes for every shape of reply. The ways that leave the direct
one are in ``test_direct_fallbacks.py``.
"""

from __future__ import annotations

import copy
import json

import pytest
from direct_support import (
    AUTH,
    CREATE,
    Ordinary,
    Recording,
    counting,
    cycle_on,
    exchange,
    get,
    ordinary_bytes,
    post,
    serving,
)
from support import API

from rivya_contract.mock_server.direct import _wire
from rivya_contract.mock_server.exchange import Reply


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
