"""The Starlette front end: every route feeds its request into the ``Api`` pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route as StarletteRoute
from starlette.types import Receive, Scope, Send

from rivya_contract.mock_server.api import Pending
from rivya_contract.mock_server.exchange import ApiError, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.api import Api
    from rivya_contract.mock_server.mock import Mock


class DroppedConnection(Exception):
    """Raised to make the server close the connection without a complete answer."""


class DroppedResponse(Response):
    """Sends the status line and headers, promising a body that never comes, then aborts.

    The server closes the connection, so the client sees a transport error
    (an incomplete message), never a status it could act on.
    """

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body, reply.status, reply.headers, media_type=reply.content_type)
        self.request_id = reply.headers.get("X-Request-Id", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start the response, then raise ``DroppedConnection`` before any of the body."""
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        headers.append((b"content-length", str(max(1, len(self.body))).encode()))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        raise DroppedConnection(self.request_id)


class _QuietDrops(logging.Filter):
    """Keeps the server's error log free of the connections the mock drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


def _quiet_drops() -> None:
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(known, _QuietDrops) for known in server_log.filters):
        server_log.addFilter(_QuietDrops())


def _base_url(scope: Scope) -> str:
    url = URL(scope=scope)
    return f"{url.scheme}://{url.netloc}"


_BASE_URLS: dict[tuple[object, ...], str] = {}
_BASE_URLS_KEPT = 256


def _target(scope: Scope) -> tuple[str, str, str]:
    """Return the request's path, query and base URL.

    The path and query are the scope's, as the client sent them (the path
    percent-decoded once): never rebuilt through a URL parser, which would drop
    an encoded TAB, CR or LF and so route ``/api/v1/cre%09dits`` to credits. The
    base URL depends only on the scheme, the server and the Host header, so it
    is remembered per combination.
    """
    path: str = scope["path"]
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    server = scope.get("server")
    if server is None:  # then the URL has no host and the base URL depends on the path
        return path, query, _base_url(scope)
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    key = (scope.get("scheme"), tuple(server), host)
    base_url = _BASE_URLS.get(key)
    if base_url is None:
        if len(_BASE_URLS) >= _BASE_URLS_KEPT:
            _BASE_URLS.clear()
        base_url = _BASE_URLS[key] = _base_url(scope)
    return path, query, base_url


def _has_body(headers: dict[str, str]) -> bool:
    """Return whether the request announces a body (HTTP/1.1: a length or chunked coding)."""
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"


def _framing_problem(headers: dict[str, str]) -> ApiError | None:
    """Return the error of a request whose length is given twice, or None.

    With both Content-Length and Transfer-Encoding, the end of the body is ambiguous
    (RFC 9112, section 6.3): the request is refused and the connection closed.
    """
    if "transfer-encoding" in headers and "content-length" in headers:
        return ApiError(
            "validation_failed",
            "the request has both Content-Length and Transfer-Encoding; send one",
            headers={"Connection": "close"},
        )
    return None


async def _read_body(receive: Receive, pending: Pending, timeout: float) -> ApiError | None:
    """Feed the request body to ``pending``; return the error if it stalls or is cut short.

    The chunks are fed as ``request.stream()`` yields them (the non-empty ones,
    then ``b""``); the timer is only moved when more of the body is to come.
    """
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(loop.time() + timeout) as limit:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # http.disconnect
                    raise ClientDisconnect()
                chunk = message.get("body", b"")
                if chunk:
                    pending.feed(chunk)
                if not message.get("more_body", False):
                    break
                limit.reschedule(loop.time() + timeout)
                # A body that arrives faster than it is read (a big upload) would be read
                # whole in one go: between chunks, let every other request have its turn.
                await asyncio.sleep(0)
        pending.feed(b"")
    except TimeoutError:
        return ApiError(
            "validation_failed",
            f"the request body stopped arriving for {timeout:g} s before its declared end",
            headers={"Connection": "close"},
        )
    except ClientDisconnect:
        return ApiError("validation_failed", "the connection closed before the body was complete")
    return None


class MockApp(Starlette):
    """The mock's Starlette app, which hands HTTP requests straight to its one endpoint.

    Every path goes to the same endpoint, and the endpoint answers every
    request it is given (``Api`` catches what its steps raise), so routing,
    the exception middleware and the route's wrappers would add only their
    cost to each request: HTTP requests skip them. Anything else (a
    websocket, lifespan) and an app given middleware of its own
    (``add_middleware``) go the whole Starlette way.
    """

    def __init__(
        self, endpoint: Callable[[Request], Awaitable[Response]], api: Api, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._endpoint = endpoint
        self.api = api
        """The pipeline the endpoint feeds (``direct.py`` feeds it too)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request: straight to the endpoint when it is plain HTTP."""
        if scope["type"] != "http" or self.user_middleware:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        try:
            response = await self._endpoint(Request(scope, receive, send))
        except Exception:  # a defect of the adapter itself: answer 500 as Starlette would
            await PlainTextResponse("Internal Server Error", 500)(scope, receive, send)
            raise
        await response(scope, receive, send)


class Exchange:
    """One HTTP request through the ``Api``, from its ASGI scope to the ``Response``.

    The head is checked when the exchange is made. ``reply_now`` goes on as far
    as it can without waiting (a body already all here, a handler that needs no
    thread, an answer that is neither delayed nor dropped); ``respond`` goes on
    from wherever that stopped to the end. The ASGI endpoint only calls
    ``respond``; the mock's HTTP protocol (``direct.py``) tries
    ``reply_now`` first, so most requests never wait on the event loop.
    """

    __slots__ = ("_api", "_body", "_problem", "_reply", "_started", "_timeout")

    def __init__(self, api: Api, scope: Scope, body: bytes | None = None) -> None:
        """Check the head; ``body`` is the whole body if it has arrived, else None."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        path, query, base_url = _target(scope)
        self._api = api
        self._timeout = api.mock.config.body_timeout
        self._started = started = api.begin(scope["method"], path, query, headers, base_url)
        self._problem = framing = _framing_problem(headers)
        self._reply: Reply | None = None
        self._body = body
        if isinstance(started, Reply):
            self._reply = started
            if framing is not None:
                started.headers["Connection"] = "close"
        elif framing is None and not _has_body(headers):
            self._body = b""

    def reply_now(self) -> Reply | None:
        """Return the reply if it can go out without waiting, else None (then ``respond``)."""
        if self._reply is None:
            started = self._started
            if self._body is None or not isinstance(started, Pending):
                return None
            if self._reads_back(started):
                return None  # the file is read back from disk off the event loop
            self._take(started, self._body)
            self._reply = self._answer(started)
        reply = self._reply
        if reply.after is not None or reply.delay > 0 or reply.drop:
            return None
        return reply

    async def respond(self, receive: Receive) -> Response:
        """Go on to the end: read the body from ``receive`` if need be, answer, wait, render."""
        reply = self._reply
        if reply is None:
            started = self._started
            assert isinstance(started, Pending)  # a Reply at the head is taken at once
            if self._body is not None:
                self._take(started, self._body)
            elif self._problem is None:
                self._problem = await _read_body(receive, started, self._timeout)
            if self._reads_back(started):
                await run_in_threadpool(started.prepare)  # reading the file back: off the loop
            reply = self._reply = self._answer(started)
        if reply.after is not None:  # off the event loop: it may wait for receivers
            await run_in_threadpool(reply.after)
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        return render(reply)

    def _reads_back(self, started: Pending) -> bool:
        """Whether answering reads an upload back from disk (so not on the event loop)."""
        return self._problem is None and started.route.op.body == "upload"

    def _take(self, started: Pending, body: bytes) -> None:
        """Feed a body that is all here, as reading it from the stream would."""
        self._body = None
        if self._problem is None:
            if body:
                started.feed(body)
            started.feed(b"")

    def _answer(self, started: Pending) -> Reply:
        if self._problem is None:
            return started.answer()
        failed = Reply.error(self._problem, started.call.request_id)
        return self._api.done(started.call, failed, started.route)


def render(reply: Reply) -> Response:
    """Return the Starlette response that sends ``reply`` (or drops its connection)."""
    if reply.drop:
        return DroppedResponse(reply)
    return Response(reply.body, reply.status, reply.headers, media_type=reply.content_type)


def build_app(mock: Mock) -> Starlette:
    """Return a Starlette app that serves ``mock`` on every path."""
    api = mock.api

    async def endpoint(request: Request) -> Response:
        return await Exchange(api, request.scope).respond(request.receive)

    _quiet_drops()

    async def unrouted(request: Request, error: Exception) -> Response:
        """Answer what the catch-all route misses like any other request.

        That is a method outside ``methods`` (TRACE, CONNECT, any token), and a
        path the route's pattern cannot match (one holding an encoded newline).
        """
        return await endpoint(request)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [StarletteRoute("/{path:path}", endpoint, methods=methods)]
    return MockApp(endpoint, api, routes=routes, exception_handlers={404: unrouted, 405: unrouted})
