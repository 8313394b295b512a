"""Answers the HTTP protocol writes itself, with no ASGI task, when nothing has to wait.

uvicorn starts an asyncio task per request and runs the app through ASGI
messages; for the mock's usual request (a head and a small body in one read, a
handler that needs no thread, an answer neither delayed nor dropped) that costs
more than the handler. ``DirectAnswers`` waits for the end of the message that
the same read carries, then runs the request through ``asgi.Exchange`` right
there and writes the answer in one write. The bytes are uvicorn's and
Starlette's own: the ``Response`` is played, as an ASGI app, through uvicorn's
request cycle, which never has to wait here, into a buffer sent at once.

Anything else takes uvicorn's ordinary way, unchanged: a body still arriving
after the read that ended its head, ``Expect: 100-continue``, an app given
middleware of its own, an access log, a client not reading its answers (writes
paused), the concurrency limit. A request that needs waiting once its head is
checked (an upload read back from disk, after-work, a delay, a drop) goes on in
an ordinary task from where it stopped.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Coroutine
from typing import Any, cast

from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    RequestResponseCycle,
)

from rivya_contract.mock_server.asgi import Exchange, MockApp, render
from rivya_contract.mock_server.exchange import Reply
from rivya_contract.mock_server.http_protocol import HttpToolsWithH11

_FORWARDED = frozenset({b"x-forwarded-for", b"x-forwarded-proto"})
"""The headers uvicorn's proxy-headers middleware reads; without them it changes nothing."""


def _at_once(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits to its end, now."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("a direct answer had to wait")


async def _nothing(scope: Scope, receive: Receive, send: Send) -> None:
    """Do nothing: the copy of the proxy-headers middleware only edits the scope."""


def _fail(cycle: RequestResponseCycle, error: Exception) -> None:
    """Answer a defect of the mock's own with uvicorn's 500 (and its log line), closing."""

    async def failed(scope: Scope, receive: Receive, send: Send) -> None:
        raise error

    _at_once(cycle.run_asgi(cast(Any, failed)))


def _wire(reply: Reply, cycle: RequestResponseCycle) -> bytes:
    """Return the bytes uvicorn writes for ``render(reply)``, status line to body.

    That is uvicorn's status line and default headers (``date``, ``server``),
    then Starlette's headers of the ``Response`` (names in lower case, then
    ``content-length`` and ``content-type`` unless given), ``connection: close``
    when the connection will not be kept, and the body unless the method is
    HEAD. Raises ``ValueError`` where uvicorn would refuse a header (it answers
    500 then) and ``UnicodeEncodeError`` where Starlette could not encode one.
    """
    status = reply.status
    lines = [STATUS_LINE[status]]
    for default_name, default_value in cycle.default_headers:
        lines += (default_name, b": ", default_value, b"\r\n")
    content_type = True
    closes = False
    for name, value in reply.headers.items():
        raw_name = name.lower().encode("latin-1")
        raw_value = value.encode("latin-1")
        if HEADER_RE.search(raw_name) or HEADER_VALUE_RE.search(raw_value):
            raise ValueError(f"uvicorn refuses the header {name!r}")
        if raw_name in (b"content-length", b"transfer-encoding"):
            raise ValueError(f"uvicorn frames the body by the header {name!r}")
        if raw_name == b"content-type":
            content_type = False
        elif raw_name == b"connection" and b"close" in (
            token.lower().strip() for token in raw_value.split(b",")
        ):
            cycle.keep_alive = False
            closes = True
        lines += (raw_name, b": ", raw_value, b"\r\n")
    body = reply.body
    if status < 200 or (status in (204, 304) and body):
        raise ValueError(f"uvicorn frames a {status} answer its own way")
    if status not in (204, 304):
        lines += (b"content-length: ", str(len(body)).encode(), b"\r\n")
    if content_type:
        media = reply.content_type
        if media.startswith("text/") and "charset=" not in media.lower():
            media += "; charset=utf-8"
        lines += (b"content-type: ", media.encode("latin-1"), b"\r\n")
    if not cycle.keep_alive and not closes:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    if cycle.scope["method"] != "HEAD":
        lines.append(body)
    return b"".join(lines)


class DirectAnswers(HttpToolsWithH11):
    """uvicorn's httptools protocol that answers the mock's plain requests itself."""

    direct = True
    """Whether to answer directly; off, every request takes uvicorn's ordinary way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        app: Any = self.app
        self._proxy: ProxyHeadersMiddleware | None = None
        if isinstance(app, ProxyHeadersMiddleware):
            self._proxy = copy.copy(app)
            self._proxy.app = cast(Any, _nothing)  # Starlette's ASGI types, not uvicorn's
            app = app.app
        self._mock_app = app if isinstance(app, MockApp) and self.direct else None
        self._waiting: RequestResponseCycle | None = None
        """The cycle whose body the chunk being parsed may finish; then it is answered directly."""
        self._parsing = False
        self._answering = False
        """Whether a direct answer is being written: one it lets start is answered after it."""
        self._next: RequestResponseCycle | None = None

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        """Start a request: directly once its body is here, if it may be; else as uvicorn does."""
        mock_app = self._mock_app
        if (
            mock_app is None
            or app is not self.app
            or mock_app.user_middleware
            or cycle.waiting_for_100_continue
            or self.access_log
            or self.flow.write_paused
        ):
            super()._start_asgi_task(cycle, app)
        elif not cycle.more_body:
            self._answer_in_turn(cycle, mock_app)
        elif self._parsing:
            self._waiting = cycle
        else:  # a pipelined request whose body is still to come: it may stall, so a task reads it
            super()._start_asgi_task(cycle, app)

    def on_message_complete(self) -> None:
        """End a message; answer it now if it was waiting for its body."""
        super().on_message_complete()
        cycle = self._waiting
        if cycle is not None and cycle is self.cycle and self._mock_app is not None:
            self._waiting = None
            self._answer_in_turn(cycle, self._mock_app)

    def data_received(self, data: bytes) -> None:
        """Parse a chunk; a body it did not finish is read the ordinary way."""
        self._parsing = True
        try:
            super().data_received(data)
        finally:
            self._parsing = False
        cycle = self._waiting
        if cycle is not None:
            self._waiting = None
            if not cycle.disconnected:
                super()._start_asgi_task(cycle, self.app)

    def _answer_in_turn(self, cycle: RequestResponseCycle, mock_app: MockApp) -> None:
        """Answer ``cycle``, then each pipelined one its answer starts, in a loop, not nested."""
        if self._answering:
            self._next = cycle
            return
        self._answering = True
        try:
            next_cycle: RequestResponseCycle | None = cycle
            while next_cycle is not None:
                self._next = None
                self._answer(next_cycle, mock_app)
                next_cycle = self._next
        finally:
            self._answering = False

    def _answer(self, cycle: RequestResponseCycle, mock_app: MockApp) -> None:
        """Run a whole request through the mock and write its answer, or hand it to a task."""
        scope: Any = cycle.scope
        if self._proxy is not None and any(name in _FORWARDED for name, _ in scope["headers"]):
            _at_once(self._proxy(scope, cycle.receive, cycle.send))
        # Each request runs in a context of its own, as uvicorn's task would: what it sets
        # (the shared clock's pin) is reset in the same context, and ends with the request.
        fresh = self.config.reset_contextvars
        context = contextvars.Context() if fresh else contextvars.copy_context()
        try:
            exchange = context.run(Exchange, mock_app.api, scope, bytes(cycle.body))
            reply = context.run(exchange.reply_now)
        except Exception as error:
            _fail(cycle, error)
            return
        if reply is None:

            async def rest(scope: Scope, receive: Receive, send: Send) -> None:
                response = await exchange.respond(receive)
                await response(scope, receive, send)

            task = self.loop.create_task(cycle.run_asgi(cast(Any, rest)), context=context)
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)
            return
        try:
            data = _wire(reply, cycle)
        except UnicodeEncodeError as error:  # a header Starlette cannot encode (a ValueError)
            _fail(cycle, error)
            return
        except ValueError:  # framing uvicorn does its own way, or a header it refuses (500)
            _at_once(cycle.run_asgi(cast(Any, render(reply))))
            return
        except Exception as error:  # any other defect of the reply: 500, as the ordinary way
            _fail(cycle, error)
            return
        cycle.response_started = cycle.response_complete = True
        cycle.waiting_for_100_continue = False
        transport = cycle.transport
        transport.write(data)
        if not cycle.keep_alive:
            transport.close()
        cycle.on_response()
