"""A ``Target``: where a test's requests go (the in-process mock, the mock over HTTP, or live).

A target bundles a base URL, an API key, an httpx transport (sync and async),
an optional credit budget and, when it is a mock, the ``Mock`` behind it, so
one test or one state machine runs unchanged against any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from rivya_contract.plugin.budget import Budget, BudgetTransport

if TYPE_CHECKING:
    import respx

    from rivya_contract.mock_server.mock import Mock

TargetName = Literal["mock", "server", "live"]

Transport = httpx.BaseTransport | httpx.AsyncBaseTransport


class HttpTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Real HTTP for sync and async clients, each pool made on first use."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._sync: httpx.HTTPTransport | None = None
        self._async: httpx.AsyncHTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` over a socket."""
        if self._sync is None:
            self._sync = httpx.HTTPTransport(**self._options)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` over a socket."""
        if self._async is None:
            self._async = httpx.AsyncHTTPTransport(**self._options)
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        """Close the sync connection pool."""
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the async connection pool."""
        if self._async is not None:
            await self._async.aclose()


@dataclass(frozen=True)
class Target:
    """Where requests go: base URL, API key, transport, budget, and the mock if there is one."""

    name: TargetName
    base_url: str
    api_key: str
    make_transport: Callable[[], Transport] = field(repr=False)
    """Returns a new transport serving both sync and async clients."""
    budget: Budget | None = None
    """The session's credit budget; creates that could exceed it are refused."""
    mock: Mock | None = field(default=None, repr=False)
    """The mock behind the target (None for live): its clock, scripts, faults, journal."""

    @property
    def headers(self) -> dict[str, str]:
        """The ``Authorization`` header for this target's key."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` (``/api/v1/credits``)."""
        return self.base_url.rstrip("/") + path

    def transport(self) -> Transport:
        """Return a new transport to this target, with the budget enforced if there is one."""
        inner = self.make_transport()
        return inner if self.budget is None else BudgetTransport(inner, self.budget, self.api_key)

    def client(self, *, authorized: bool = True, **options: Any) -> httpx.Client:
        """Return an ``httpx.Client`` for this target (base URL, key, transport) set up."""
        headers = {**(self.headers if authorized else {}), **options.pop("headers", {})}
        transport: Any = self.transport()
        return httpx.Client(base_url=self.base_url, headers=headers, transport=transport, **options)

    def async_client(self, *, authorized: bool = True, **options: Any) -> httpx.AsyncClient:
        """Return an ``httpx.AsyncClient`` for this target (base URL, key, transport) set up."""
        headers = {**(self.headers if authorized else {}), **options.pop("headers", {})}
        transport: Any = self.transport()
        return httpx.AsyncClient(
            base_url=self.base_url, headers=headers, transport=transport, **options
        )


@dataclass(frozen=True)
class RespxTarget(Target):
    """The in-process mock reached through respx: any httpx client calling ``base_url`` works."""

    router: respx.MockRouter | None = field(default=None, repr=False)
    """The active respx router; add routes for other hosts to it, read its calls."""


def mock_target(mock: Mock, base_url: str = "https://rivya.ai") -> Target:
    """Return a target that answers from ``mock`` in process (no sockets)."""
    from rivya_contract.plugin.respx_routes import mock_transport

    return Target("mock", base_url, mock.config.api_key, lambda: mock_transport(mock), mock=mock)


def server_target(mock: Mock, base_url: str) -> Target:
    """Return a target for ``mock`` served over HTTP at ``base_url``."""
    return Target("server", base_url, mock.config.api_key, HttpTransport, mock=mock)


def live_target(base_url: str, api_key: str, budget: Budget | None) -> Target:
    """Return a target for the real API at ``base_url``, guarded by ``budget``."""
    return Target("live", base_url, api_key, HttpTransport, budget=budget)
