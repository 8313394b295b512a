"""httptools for speed, h11 for every request head httptools refuses.

llhttp, the parser under httptools, refuses some request heads h11 reads (a
method token it does not know, such as ``FOO``; a path that is not ASCII) and
uvicorn answers those with a plain-text 400 before the mock sees them. The
mock answers every request it can read in the API's envelope, so a connection
whose next request head httptools refuses is handed, with the bytes of that
head, to uvicorn's h11 protocol, which reads it as the mock always has. Only a
connection with nothing in flight is handed over; a head that cannot be given
back whole (it began in the middle of a pipelined chunk) gets httptools' 400.
Valid requests pay one list append per chunk of a head.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HttpToolsWithH11(HttpToolsProtocol):
    """uvicorn's httptools protocol that passes a refused request head on to h11."""

    successor: type[H11Protocol] = H11Protocol
    """The protocol a connection is handed to (``connections.guarded`` gives one held to
    the same bounds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clean = True
        """Whether the parser is between messages, so the next chunk starts a head."""
        self._head: list[bytes] | None = None
        """The chunks of the head being read, while all of them are known."""
        self._refused: str | None = None
        """httptools' message for a head refused while an answer was going out."""

    def data_received(self, data: bytes) -> None:
        """Note the chunk while it belongs to a head, then parse it."""
        if self._clean:
            self._clean = False
            self._head = [data]
        elif self._head is not None:
            self._head.append(data)
        super().data_received(data)

    def on_message_begin(self) -> None:
        """Start a message; one that begins inside a chunk cannot be given back whole."""
        if self._clean:
            self._clean = False
            self._head = None
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        """Hand the request to the app: from here on the head is not kept."""
        super().on_headers_complete()
        self._head = None

    def on_message_complete(self) -> None:
        """End a message; the next chunk starts the next head."""
        super().on_message_complete()
        self._clean = True

    def on_response_complete(self) -> None:
        """Finish an answer; then deal with a head refused while it went out."""
        super().on_response_complete()
        if self._refused is not None and self._idle():
            message, self._refused = self._refused, None
            self.send_400_response(message)

    def _handing_over(self) -> None:
        """Stop what this protocol watches on the connection: h11 serves it from now on."""

    def _idle(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def send_400_response(self, msg: str) -> None:
        """Give the refused head to h11 when it is known whole and nothing is in flight."""
        if self.transport.is_closing():
            return
        if not self._idle():
            self._refused = msg  # answered once the answers in flight have gone
            return
        head = self._head
        if head is None:
            super().send_400_response(msg)
            return
        self._head = None
        self._handing_over()
        self.connections.discard(self)
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        protocol = self.successor(self.config, self.server_state, self.app_state, self.loop)
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.data_received(b"".join(head))
