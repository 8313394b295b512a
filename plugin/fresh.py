"""A mock behind respx, for one test or one Hypothesis example, that keeps requests local.

``respx_target(mock)`` routes httpx requests for the real API's host to
``mock`` and, while it is active, stops any other client (``requests``,
``urllib``, ``aiohttp``: anything respx cannot intercept) from resolving that
host: the call raises ``RealHostBlocked`` before a socket is opened, and the
attempt is reported again when the block ends, in case the client swallowed
the error. ``fresh_respx()`` does the same with a new mock each time it is
entered, which is what a ``@given`` test needs for every example.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rivya_contract.plugin.respx_routes import DEFAULT_BASE_URL, mock_router, mock_transport

if TYPE_CHECKING:
    from rivya_contract.mock_server.config import MockConfig
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.plugin.targets import RespxTarget


class RealHostBlocked(RuntimeError):
    """A client respx cannot intercept tried to reach the real API's host."""


def _message(host: str) -> str:
    return (
        f"rivya_respx: a request to {host} went around httpx (requests, urllib or aiohttp?), "
        "so respx cannot answer it and it would reach the real API; it was stopped before "
        "any connection. Use an httpx client here, or the rivya_server fixture for other clients."
    )


_guard = threading.Lock()
_blocked: list[tuple[str, list[str]]] = []
_original_getaddrinfo = socket.getaddrinfo


def _is_blocked(name: Any) -> str | None:
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    if not isinstance(name, str):
        return None
    name = name.lower().rstrip(".")
    for host, attempts in list(_blocked):
        if name == host or name.endswith("." + host):
            attempts.append(name)
            return host
    return None


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    blocked = _is_blocked(host)
    if blocked is not None:
        raise RealHostBlocked(_message(blocked))
    return _original_getaddrinfo(host, *args, **kwargs)


@contextmanager
def block_host(host: str) -> Iterator[list[str]]:
    """Make resolving ``host`` (and its subdomains) raise ``RealHostBlocked`` while active.

    Yields the list of blocked attempts. Resolution is where every socket
    client starts, so nothing leaves the machine; httpx requests that respx
    routes never resolve the host and are not affected.
    """
    entry: tuple[str, list[str]] = (host.lower().rstrip("."), [])
    with _guard:
        _blocked.append(entry)
        socket.getaddrinfo = _guarded_getaddrinfo
    try:
        yield entry[1]
    finally:
        with _guard:
            _blocked.remove(entry)
            if not _blocked:
                socket.getaddrinfo = _original_getaddrinfo


@contextmanager
def respx_target(mock: Mock, base_url: str = DEFAULT_BASE_URL) -> Iterator[RespxTarget]:
    """Route httpx requests under ``base_url`` to ``mock``; block other clients from its host.

    Raises ``RealHostBlocked`` on exit if any client tried the host around httpx.
    """
    from rivya_contract.plugin.targets import RespxTarget

    host = urlsplit(base_url).hostname or ""
    with block_host(host) as attempts, mock_router(mock, base_url) as router:
        yield RespxTarget(
            "mock",
            base_url,
            mock.config.api_key,
            lambda: mock_transport(mock),
            mock=mock,
            router=router,
        )
    if attempts:
        raise RealHostBlocked(f"{_message(host)} ({len(attempts)} attempt(s))")


@contextmanager
def fresh_respx(
    config: MockConfig | None = None, base_url: str = DEFAULT_BASE_URL
) -> Iterator[RespxTarget]:
    """Yield a new mock (a virtual clock unless ``config`` says otherwise) behind respx.

    Enter it once per Hypothesis example, inside the test, so that no state
    leaks from one example to the next.
    """
    from rivya_contract.mock_server.config import MockConfig
    from rivya_contract.mock_server.mock import Mock

    mock = Mock(config if config is not None else MockConfig(virtual_clock=True))
    try:
        with respx_target(mock, base_url) as target:
            yield target
    finally:
        mock.close()
