"""Route httpx requests to an in-process ``Mock``: no sockets, the same pipeline as the server.

``MockHandler`` turns an ``httpx.Request`` into ``Api.begin -> feed -> finish``
and the ``Reply`` into an ``httpx.Response``. It serves as a respx side effect
(``mock_router``) and as the handler of an ``httpx.MockTransport``
(``mock_transport``); both work for sync and async clients.

A reply's transport faults are honoured the way a client would see them over a
socket: ``Reply.drop`` raises ``httpx.RemoteProtocolError``, and ``Reply.delay``
is latency. Latency is spent on the mock's virtual clock when it has one (no
real waiting), otherwise slept for real; latency beyond the request's read
timeout raises ``httpx.ReadTimeout`` after the timeout.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Literal

import httpx

from rivya_contract.mock_server.exchange import Reply

if TYPE_CHECKING:
    import respx

    from rivya_contract.mock_server.mock import Mock

DEFAULT_BASE_URL = "https://rivya.ai"
"""The real API's base URL, which the in-process routes answer by default."""

Latency = Literal["auto", "virtual", "real"]
"""How ``Reply.delay`` is spent: on the mock's clock, really, or ``auto`` (virtual if the
mock's clock is virtual)."""

DROPPED = "Server disconnected without sending a response."


def _read_timeout(request: httpx.Request) -> float:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return math.inf if value is None else float(value)


class _LatentStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives after a real wait, or fails as the transport would."""

    def __init__(
        self, body: bytes, wait: float, failure: httpx.TransportError | None = None
    ) -> None:
        self._body = body
        self._wait = wait
        self._failure = failure

    def __iter__(self) -> Iterator[bytes]:
        if self._wait > 0:
            time.sleep(self._wait)
        if self._failure is not None:
            raise self._failure
        yield self._body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import anyio

        if self._wait > 0:
            await anyio.sleep(self._wait)
        if self._failure is not None:
            raise self._failure
        yield self._body


class MockHandler:
    """Answers httpx requests from a ``Mock``'s pipeline; call it with an ``httpx.Request``."""

    __signature__ = inspect.Signature(
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )
    """What calling a handler takes, stated: respx reads a side effect's signature on every
    request, and working it out from ``__call__`` costs more than the mock's answer."""

    def __init__(self, mock: Mock, *, latency: Latency = "auto") -> None:
        self.mock = mock
        if latency == "auto":
            latency = "virtual" if mock.config.virtual_clock else "real"
        self.latency = latency

    def reply(self, request: httpx.Request) -> Reply:
        """Run ``request`` through the mock's pipeline and return its ``Reply``."""
        url = request.url
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in request.headers.raw
        }
        base_url = f"{url.scheme}://{url.netloc.decode('ascii')}"
        query = url.query.decode("ascii")
        started = self.mock.api.begin(request.method, url.path, query, headers, base_url)
        if isinstance(started, Reply):
            return started
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = request.read()
        started.feed(body)
        return started.finish()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Return the mock's answer to ``request``, or raise the transport error it causes."""
        reply = self.reply(request)
        headers = dict(reply.headers)
        headers["Content-Type"] = reply.content_type
        failure: httpx.TransportError | None = None
        wait = reply.delay
        timeout = _read_timeout(request)
        if wait > timeout:
            wait = timeout
            failure = httpx.ReadTimeout(f"no answer within {timeout:g} s", request=request)
        elif reply.drop:
            failure = httpx.RemoteProtocolError(DROPPED, request=request)
        if self.latency == "virtual" or wait <= 0:
            if wait > 0:
                self.mock.clock.advance(wait)
            if failure is not None:
                raise failure
            # Unread, as an answer off the wire is: the client reads it, so it can also be
            # streamed (iter_raw) and knows its elapsed time.
            response = httpx.Response(
                reply.status, headers=headers, stream=httpx.ByteStream(reply.body)
            )
            if reply.body:
                response.headers.setdefault("Content-Length", str(len(reply.body)))
            return response
        headers["Content-Length"] = str(len(reply.body))
        stream = _LatentStream(reply.body, wait, failure)
        return httpx.Response(reply.status, headers=headers, stream=stream)


def mock_transport(mock: Mock, *, latency: Latency = "auto") -> httpx.MockTransport:
    """Return an httpx transport (sync and async) that answers every request from ``mock``."""
    return httpx.MockTransport(MockHandler(mock, latency=latency))


def mock_router(
    mock: Mock, base_url: str = DEFAULT_BASE_URL, *, latency: Latency = "auto"
) -> respx.MockRouter:
    """Return a respx router sending every request under ``base_url`` to ``mock``.

    Use it as a context manager (``with mock_router(mock):``); inside, any httpx
    client, sync or async, that calls ``base_url`` reaches the mock without a
    socket. Requests to other hosts are left to other routers (or fail as
    unmocked), so it composes with a test's own respx routes. The route that
    matches is named ``"rivya"`` (``router["rivya"].calls`` lists the calls). Requests
    from httpx's own transports skip respx's httpcore round trip when respx would
    answer them from this route anyway (``respx_shortcut.ShortcutRouter``).
    """
    from rivya_contract.plugin.respx_shortcut import ShortcutRouter

    # Mocked at httpcore, as respx does by default: its httpx mocker would take over every
    # client's transport, the mock's own webhook sender's routes included. httpx's own
    # transports take the short way to the handler (respx_shortcut.py).
    router = ShortcutRouter(assert_all_called=False, assert_all_mocked=True)
    router.route_to(base_url.rstrip("/") + "/", MockHandler(mock, latency=latency), name="rivya")
    return router
