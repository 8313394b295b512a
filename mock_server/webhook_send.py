"""Sending one webhook attempt: real HTTP, or in process to an ASGI app or a callable.

``Sender.send`` POSTs a body with its headers and reports what came back as an ``Outcome``
(status, error, duration); it never raises for the receiver's faults. Every attempt goes
through one ``httpx`` request whatever the receiver is: real HTTP with redirects not
followed and a short timeout, or, for URLs routed in process with ``Sender.route``, an
``httpx.ASGITransport`` (an ASGI app) or an ``httpx.MockTransport`` (a callable taking an
``httpx.Request`` and returning an ``httpx.Response``), so no socket is opened.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
"""An in-process receiver: takes the delivery request, returns the answer."""

USER_AGENT = "rivya-mock-webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: an HTTP status, or an error (timeout, refused connection)."""

    status: int | None
    error: str | None
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        """Return whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


def is_asgi(target: object) -> bool:
    """Return whether ``target`` is an ASGI app (an async callable) rather than a ``Handler``."""
    call = getattr(target, "__call__", None)  # noqa: B004 - an ASGI app is any async callable
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(call)


def run_to_completion(coroutine: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
    """Run ``coroutine`` to completion, in a thread of its own when a loop already runs here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed back to the caller below
            box["error"] = error

    thread = threading.Thread(target=runner, name="rivya-webhook-asgi")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    response: httpx.Response = box["value"]
    return response


class Sender:
    """Sends attempts: over real HTTP by default, in process for routed URL prefixes."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._routes: list[tuple[str, Any]] = []
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def route(self, prefix: str, target: Any) -> None:
        """Deliver to URLs starting with ``prefix`` in process: an ASGI app or a ``Handler``."""
        with self._lock:
            self._routes = [(p, t) for p, t in self._routes if p != prefix]
            self._routes.append((prefix, target))
            self._routes.sort(key=lambda route: -len(route[0]))

    def unroute(self, prefix: str) -> None:
        """Send URLs under ``prefix`` over real HTTP again."""
        with self._lock:
            self._routes = [(p, t) for p, t in self._routes if p != prefix]

    def close(self) -> None:
        """Close the real HTTP connection pool."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def send(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        """POST ``body`` to ``url`` with ``headers``; return the outcome, never raising for it."""
        sent = {**headers, "content-type": "application/json", "user-agent": USER_AGENT}
        target = next((t for prefix, t in self._routes if url.startswith(prefix)), None)
        started = time.perf_counter()
        try:
            if target is None:
                response = self._http().post(url, headers=sent, content=body)
            elif is_asgi(target):
                response = run_to_completion(self._asgi(target, url, sent, body))
            else:
                client = httpx.Client(transport=httpx.MockTransport(target))
                with client:
                    response = client.post(url, headers=sent, content=body)
            status, error = response.status_code, None
        except httpx.TimeoutException:
            status, error = None, f"timeout: no answer within {self.timeout:g} s"
        except httpx.ConnectError as failure:
            status, error = None, f"connection failed: {failure}"
        except httpx.HTTPError as failure:
            status, error = None, f"{type(failure).__name__}: {failure}"
        except TimeoutError:
            status, error = None, f"timeout: no answer within {self.timeout:g} s"
        except Exception as failure:  # an in-process receiver that raised
            status, error = None, f"the receiver raised {type(failure).__name__}: {failure}"
        elapsed = (time.perf_counter() - started) * 1000
        return Outcome(status, error, round(elapsed, 3))

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(follow_redirects=False, timeout=self.timeout)
            return self._client

    async def _asgi(
        self, app: Any, url: str, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
            return await asyncio.wait_for(
                client.post(url, headers=headers, content=body), self.timeout
            )
