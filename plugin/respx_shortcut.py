"""The short way to the mock for httpx's own transports: no httpcore round trip, no matching.

respx answers a request by patching httpcore: httpx's ``HTTPTransport`` turns the
request into httpcore's, respx turns it back into an httpx request, tries every
active router's routes in turn, calls the matching route's side effect, and the
answer makes the same round trip back. For a request under a mock router's base
URL all of that ends in one known call, ``MockHandler``.

``ShortcutRouter`` is a ``respx.MockRouter`` that, while started, lets
``httpx.HTTPTransport`` and ``httpx.AsyncHTTPTransport`` (the transports whose
requests reach httpcore, and so respx) hand such a request straight to its
handler, and records the call on its route and router as respx does. It only
does so when respx would have given the same answer:

- no router started before it (a test's own ``respx.mock``) could answer first,
  unless that router is another untouched shortcut router that cannot match;
- its mock route is still its first route, with its own handler as side effect
  (a test that re-mocks it with ``router["rivya"].respond(...)``, or marks it
  pass-through, gets respx's way);
- the request's URL starts with the route's prefix (which implies respx's match).

Every other request takes respx's way unchanged. Clients with a transport of their
own (``MockTransport``, ``ASGITransport``: the mock's webhook sender) never reach
httpcore, so neither respx nor the shortcut sees them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import respx
from respx.mocks import HTTPCoreMocker

_lock = threading.Lock()
_started: list[ShortcutRouter] = []
_originals: dict[type, tuple[str, Any, Any]] = {}
"""The transport methods replaced while a shortcut router is started (name, original,
replacement), to put back."""


class ShortcutRouter(respx.MockRouter):
    """A respx router whose route to a mock also answers httpx's transports directly.

    ``route_to(prefix, handler, name=...)`` adds the route (a respx route matching
    ``url__startswith=prefix`` with ``handler`` as its side effect); the router is
    otherwise an ordinary ``respx.MockRouter``.
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._prefix = ""
        self._handler: Callable[[httpx.Request], httpx.Response] | None = None
        self._route: respx.Route | None = None

    def route_to(
        self, prefix: str, handler: Callable[[httpx.Request], httpx.Response], *, name: str
    ) -> respx.Route:
        """Add the route sending every URL that starts with ``prefix`` to ``handler``."""
        route = self.route(url__startswith=prefix, name=name).mock(side_effect=handler)
        self._prefix = prefix
        self._handler = handler
        self._route = route
        return route

    def start(self) -> None:
        """Start respx's patching, then open the short way for this router's route."""
        super().start()
        with _lock:
            if not _started:
                _patch_transports()
            _started.append(self)

    def stop(self, clear: bool = True, reset: bool = True, quiet: bool = False) -> None:
        """Close the short way, then stop as respx does (assertions, rollback)."""
        with _lock:
            if self in _started:
                _started.remove(self)
                if not _started:
                    _unpatch_transports()
        super().stop(clear=clear, reset=reset, quiet=quiet)

    def _untouched(self) -> respx.Route | None:
        """Return the mock route when respx would try it first, as it was set up."""
        route = self._route
        if (
            route is None
            or route.is_pass_through
            or route.side_effect is not self._handler
            or route.return_value is not None
        ):
            return None
        for first in self.routes:
            return route if first is route else None
        return None

    def answer(self, request: httpx.Request, route: respx.Route) -> httpx.Response:
        """Answer ``request`` from the route's handler; record the call as respx does."""
        handler = self._handler
        assert handler is not None
        try:
            response = handler(request)
        except Exception:
            self.record(request, response=None, route=route)
            raise
        self.record(request, response=response, route=route)
        return response


def _shortcut(request: httpx.Request) -> tuple[ShortcutRouter, respx.Route] | None:
    """Return the router and route respx would answer ``request`` with, if a shortcut's."""
    routers = HTTPCoreMocker.routers
    if not routers:
        return None
    url = str(request.url)
    for router in routers:
        if not isinstance(router, ShortcutRouter):
            return None
        route = router._untouched()
        if route is None:
            return None
        if url.startswith(router._prefix):
            return router, route
        if len(router.routes) > 1:  # a test's own route on this router might match
            return None
    return None


def _sync_handle(
    original: Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response],
) -> Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]:
    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        found = _shortcut(request) if _started else None
        if found is None:
            return original(self, request)
        router, route = found
        request.read()
        return router.answer(request, route)

    return handle_request


def _async_handle(
    original: Callable[[httpx.AsyncHTTPTransport, httpx.Request], Any],
) -> Callable[[httpx.AsyncHTTPTransport, httpx.Request], Any]:
    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        found = _shortcut(request) if _started else None
        if found is None:
            response: httpx.Response = await original(self, request)
            return response
        router, route = found
        await request.aread()
        return router.answer(request, route)

    return handle_async_request


def _patch_transports() -> None:
    for cls, name, wrap in (
        (httpx.HTTPTransport, "handle_request", _sync_handle),
        (httpx.AsyncHTTPTransport, "handle_async_request", _async_handle),
    ):
        original = cls.__dict__[name]
        replacement = wrap(original)
        _originals[cls] = (name, original, replacement)
        setattr(cls, name, replacement)


def _unpatch_transports() -> None:
    while _originals:
        cls, (name, original, replacement) = _originals.popitem()
        if cls.__dict__.get(name) is replacement:  # not patched over since
            setattr(cls, name, original)
