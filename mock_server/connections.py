"""Connection bounds for uvicorn, on either HTTP parser (h11 or httptools).

uvicorn times out a keep-alive connection between requests, but not one that never
finishes a request head, and it accepts connections until the process runs out of
file descriptors. The protocols here add, on top of uvicorn's own:

- a head timeout: a connection that has not sent a whole request head
  ``header_timeout`` seconds after it opened (or after its last answer) is closed;
- a head size limit: a head past ``max_head_bytes`` is answered ``431`` and closed;
- a connection limit: past ``max_connections`` open connections (never more than the
  file-descriptor limit allows), the oldest one waiting for a head is closed to make
  room, or the new one when every connection is busy; a log line, at most one per
  ``LOG_EVERY`` seconds, says so.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any, Literal

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("rivya_contract.mock_server")

LOG_EVERY = 10.0
"""Seconds between two log lines about the connection limit."""

SPARE_DESCRIPTORS = 256
"""File descriptors kept free beside the connections (files, logs, the listening socket)."""

Parser = Literal["auto", "h11", "httptools"] | type[asyncio.Protocol]
"""An HTTP protocol: uvicorn's name of a parser, or a protocol class of uvicorn's kind."""


HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s"
)


@dataclass(frozen=True)
class Bounds:
    """The limits every connection of one server is held to."""

    header_timeout: float = 10.0
    max_head_bytes: int = 262_144
    max_connections: int = 1000
    idle_timeout: float = 30.0

    @classmethod
    def of(cls, config: Any) -> Bounds:
        """Return the bounds a ``MockConfig`` sets."""
        return cls(
            config.header_timeout,
            config.max_head_bytes,
            config.max_connections,
            config.idle_timeout,
        )

    def uvicorn_options(self, http: Parser = "auto") -> dict[str, Any]:
        """Return the ``uvicorn.Config`` options that apply these bounds."""
        return {
            "http": guarded(http, self),
            "timeout_keep_alive": self.idle_timeout,
            "h11_max_incomplete_event_size": self.max_head_bytes,
        }

    def connection_limit(self) -> int:
        """Return ``max_connections``, lowered to what the descriptor limit leaves room for."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - SPARE_DESCRIPTORS))


class _Watch:
    """What the guard knows of one connection."""

    __slots__ = ("head_bytes", "since", "timer", "waiting_after")

    def __init__(self) -> None:
        self.since = time.monotonic()
        self.timer: asyncio.TimerHandle | None = None
        self.head_bytes = 0
        self.waiting_after: object = None
        """The cycle answered before the head being waited for (None: the first one)."""


class _Limit:
    """The shared state of one server's connection limit: the last log line."""

    def __init__(self) -> None:
        self.logged_at = -LOG_EVERY
        self.closed = 0


def _error_body(message: str) -> bytes:
    return b'{"error":{"code":"validation_failed","message":"%s","requestId":""}}' % (
        message.encode()
    )


def guarded(http: Parser, bounds: Bounds) -> type[asyncio.Protocol]:
    """Return the protocol for ``http`` held to ``bounds``.

    ``httptools`` (and ``auto`` where it loads) is ``direct.DirectAnswers``.
    """
    base: type[Any]
    if not isinstance(http, str):
        base = http
    elif http == "h11":
        base = H11Protocol
    else:
        try:
            from rivya_contract.mock_server.direct import DirectAnswers
        except ImportError:  # httptools cannot load here
            if http == "httptools":
                raise
            base = H11Protocol
        else:
            base = DirectAnswers  # it hands a head httptools refuses to h11
    limit = bounds.connection_limit()
    shared = _Limit()

    class Guarded(base):  # type: ignore[misc]
        """uvicorn's protocol, with a head timeout, a head size limit and a connection cap."""

        def connection_made(self, transport: asyncio.Transport) -> None:
            self._watch = _Watch()
            super().connection_made(transport)
            self._wait_for_head(None)
            if len(self.connections) > limit:
                self._make_room()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            watch = self._watch
            if watch.timer is not None:
                watch.head_bytes += len(data)
                if watch.head_bytes > bounds.max_head_bytes:
                    self._refuse_head()
                    return
            super().data_received(data)
            self._check_head()

        def on_response_complete(self) -> None:
            self._wait_for_head(self.cycle)
            super().on_response_complete()
            self._check_head()

        def _wait_for_head(self, answered: object) -> None:
            watch = self._watch
            self._stop_waiting()
            watch.since = time.monotonic()
            watch.head_bytes = 0
            watch.waiting_after = answered
            watch.timer = self.loop.call_later(bounds.header_timeout, self._head_timed_out)

        def _handing_over(self) -> None:
            self._stop_waiting()

        def _stop_waiting(self) -> None:
            timer = self._watch.timer
            if timer is not None:
                timer.cancel()
                self._watch.timer = None

        def _check_head(self) -> None:
            """Stop the head timer once the awaited request's head has been read."""
            watch = self._watch
            if watch.timer is not None and self.cycle is not watch.waiting_after:
                self._stop_waiting()

        def _head_timed_out(self) -> None:
            self._watch.timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def _refuse_head(self) -> None:
            self._stop_waiting()
            body = _error_body(f"the request head is larger than {bounds.max_head_bytes} bytes")
            self.transport.write(HEAD_TOO_LARGE % (len(body), body))
            self.transport.close()

        def _make_room(self) -> None:
            """Close the oldest connection waiting for a head, or this one."""
            idle = [
                other
                for other in self.connections
                if other is not self
                and getattr(other, "_watch", None) is not None
                and other._watch.timer is not None
                and not other.transport.is_closing()
            ]
            victim = min(idle, key=lambda other: other._watch.since) if idle else self
            victim._stop_waiting()
            victim.transport.close()
            shared.closed += 1
            now = time.monotonic()
            if now - shared.logged_at >= LOG_EVERY:
                shared.logged_at = now
                log.warning(
                    "%d connections open, the limit (--max-connections, and the file-descriptor "
                    "limit): closed %d waiting or new connections since the last such line",
                    limit,
                    shared.closed,
                )
                shared.closed = 0

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    if hasattr(Guarded, "successor"):  # the h11 protocol it hands connections to: same bounds
        Guarded.successor = guarded("h11", bounds)
    return Guarded
