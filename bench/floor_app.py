"""The floor of the HTTP benchmark: the least any Python server on httptools and uvloop does.

An asyncio protocol on uvloop whose httptools parser answers every complete
request with the same bytes: the bare app's task object, 202 to POST and 200
otherwise, kept alive. No ASGI, no framework, no per-request object beyond the
parser's callbacks. What it serves is the most a Python server on this stack
can serve on one core; a peer above it is out of reach of any server written on
it, the mock included.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import cast

import httptools
import orjson
import uvloop

from bench.bare_app import TASK

_BODY = orjson.dumps(TASK)


def _answer(status: bytes) -> bytes:
    head = b"HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    return head % (status, len(_BODY)) + _BODY


CREATED = _answer(b"202 Accepted")
FOUND = _answer(b"200 OK")


class FloorProtocol(asyncio.Protocol):
    """Answers every request the parser completes with one write of fixed bytes."""

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write answers to."""
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        """Parse a chunk; a malformed one closes the connection."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_message_complete(self) -> None:
        """Answer the request just read."""
        if self.transport is not None:
            self.transport.write(CREATED if self.parser.get_method() == b"POST" else FOUND)


async def serve(host: str, port: int) -> None:
    """Serve until cancelled; print the base URL once listening."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FloorProtocol, host, port, backlog=2048)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    print(f"floor serving http://{bound_host}:{bound_port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``--host`` and ``--port`` and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
