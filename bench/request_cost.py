"""Where one request's time goes, in one process and without sockets.

A poll and a create are timed three ways: through the mock's pipeline alone
(``Api.begin``, the body, ``Pending.answer``), through the protocol the mock
serves on (``DirectAnswers.data_received`` fed the whole request, its answer
written to a buffer), and through the floor's protocol (``bench/floor_app.py``,
fixed bytes). The protocol's figure minus the pipeline's is what HTTP costs the
mock; the floor's is the least any Python server on httptools pays.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import timeit
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
import uvloop
from uvicorn.server import ServerState

from bench.floor_app import FloorProtocol
from bench.table import Row
from bench.workloads import CREATE_BODY
from rivya_contract.mock_server import Mock, MockConfig, Reply
from rivya_contract.mock_server.connections import Bounds
from rivya_contract.mock_server.serving import server_options


class Sink(asyncio.Transport):
    """Where the answers go: kept until taken, so each can be checked and dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Keep what is written."""
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        """Never: the connection stays open."""
        return False

    def close(self) -> None:
        """Refuse: nothing measured here closes its connection."""
        raise RuntimeError("the connection was closed")

    def take(self) -> bytes:
        """Return and forget what was written."""
        data = b"".join(self.written)
        self.written.clear()
        return data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Answer the addresses uvicorn asks for."""
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )


def _best_us(call: Callable[[], object], number: int) -> float:
    """Time ``call``; what earlier runs left (tasks, journal entries) is frozen out of the
    collector first, so each way pays for its own garbage only."""
    gc.collect()
    gc.freeze()
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


async def measure(number: int) -> dict[str, float]:
    """Return microseconds per request, best of five runs, by way and request."""
    mock = Mock(MockConfig(credits=10**12, virtual_clock=True))  # no task finishes meanwhile
    key = mock.config.api_key
    config = uvicorn.Config(mock.app, **server_options(Bounds.of(mock.config)))
    config.load()
    protocol_class: Any = config.http_protocol_class
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    sink = Sink()
    protocol.connection_made(sink)
    auth = b"Authorization: Bearer " + key.encode() + b"\r\n"
    create = (
        b"POST /api/v1/generations HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
        + auth
        + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(CREATE_BODY)
        + CREATE_BODY
    )
    protocol.data_received(create)
    found = re.search(rb'"id":"(task_[0-9a-f]+)"', sink.take())
    if found is None:
        raise RuntimeError("the create was not answered at once")
    task_id = found.group(1)
    poll = b"GET /api/v1/generations/" + task_id + b" HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
    poll += auth + b"\r\n"
    headers = {"authorization": f"Bearer {key}"}
    json_headers = {**headers, "content-type": "application/json"}
    api = mock.api

    def through(raw: bytes, status: bytes) -> Callable[[], None]:
        def call() -> None:
            protocol.data_received(raw)
            if not sink.take().startswith(b"HTTP/1.1 " + status):
                raise RuntimeError("an unexpected answer")

        return call

    def pipeline(method: str, path: str, head: dict[str, str], body: bytes) -> Callable[[], None]:
        def call() -> None:
            started = api.begin(method, path, "", head, "http://127.0.0.1:8000")
            if isinstance(started, Reply):
                raise RuntimeError(f"refused at the head: {started.status}")
            if body:
                started.feed(body)
            started.feed(b"")
            started.answer()

        return call

    floor = FloorProtocol()
    floor_sink = Sink()
    floor.connection_made(floor_sink)

    def floored() -> None:
        floor.data_received(poll)
        floor_sink.take()

    poll_path = "/api/v1/generations/" + task_id.decode()
    return {
        "poll, pipeline": _best_us(pipeline("GET", poll_path, headers, b""), number),
        "poll, HTTP": _best_us(through(poll, b"200"), number),
        "create, pipeline": _best_us(
            pipeline("POST", "/api/v1/generations", json_headers, CREATE_BODY), number // 4
        ),
        "create, HTTP": _best_us(through(create, b"202"), number // 4),
        "floor": _best_us(floored, number),
    }


def rows(figures: dict[str, float]) -> list[Row]:
    """Return the table rows of one measurement."""
    out = [
        Row("request cost", f"{name}: us per request", f"{us:.1f}") for name, us in figures.items()
    ]
    for kind in ("poll", "create"):
        spent = figures[f"{kind}, HTTP"] - figures[f"{kind}, pipeline"]
        out.append(Row("request cost", f"{kind}: HTTP's share, us", f"{spent:.1f}"))
    return out


def run(quick: bool = True) -> list[Row]:
    """Measure (quick: 5,000 requests a timing, else 20,000) and return the rows."""
    return rows(uvloop.run(measure(5000 if quick else 20000)))


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=20000, help="requests per timed run")
    args = parser.parse_args(argv)
    from bench.table import render

    print(render(rows(uvloop.run(measure(args.number)))))


if __name__ == "__main__":
    main()
