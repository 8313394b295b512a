"""Serve over real HTTP: an app in the foreground, or a ``Mock`` from a background thread."""

from __future__ import annotations

import errno
import gc
import importlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp

from rivya_contract.mock_server.connections import Bounds, Parser
from rivya_contract.mock_server.mock import Mock

STARTUP_TIMEOUT = 10.0


def _loads(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:  # not installed, or a build that cannot load on this platform
        return False
    return True


def server_stack() -> tuple[str, str]:
    """Return the HTTP parser and event loop uvicorn serves on: httptools and uvloop if they load.

    Each falls back on its own to what the standard library offers (h11, asyncio),
    so a platform without one of the C extensions still serves, only slower.
    """
    http = "httptools" if _loads("httptools") else "h11"
    loop = "uvloop" if _loads("uvloop") else "asyncio"
    return http, loop


def server_options(bounds: Bounds | None = None, http: Parser = "auto") -> dict[str, Any]:
    """Return the ``uvicorn.Config`` options of every server the mock runs.

    The parser (``auto``: ``server_stack()``'s) and loop, held to ``bounds``
    (``connections.Bounds``: timeouts and limits), quiet: logging is left as the
    caller configured it (``logs.configure``), no access log, no lifespan.
    """
    parser, loop = server_stack()
    chosen = parser if http == "auto" else http
    return {
        "loop": loop,
        "log_level": "warning",
        "log_config": None,
        "access_log": False,
        "lifespan": "off",
        **(bounds or Bounds()).uvicorn_options(chosen),  # type: ignore[arg-type]
    }


def freeze_heap() -> None:
    """Leave every object alive now out of the garbage collector's later full passes.

    A serving process keeps what it built before its first request (the catalog,
    the schemas and their compiled checks, the app) to its end, so scanning those
    tens of thousands of objects again on every full collection is wasted work.
    """
    gc.collect()
    gc.freeze()


class PortInUse(Exception):
    """The address to serve on is taken by another process."""


def bind(host: str, port: int) -> socket.socket:
    """Return a listening-ready socket bound to ``host:port``; ``PortInUse`` if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(f"{host}:{port} is in use") from None
        raise
    sock.set_inheritable(True)
    return sock


def serve_app(
    app: ASGIApp,
    host: str,
    port: int,
    announce: Callable[[str], None],
    *,
    sock: socket.socket | None = None,
    bounds: Bounds | None = None,
) -> None:
    """Serve ``app`` under uvicorn until interrupted; pass each bound base URL to ``announce``.

    ``sock``, from ``bind``, is served instead of binding ``host:port`` here.
    Logging is left as the caller configured it (``logs.configure``). ``bounds``
    (``connections.Bounds``) hold every connection to its timeouts and limits.
    """
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **server_options(bounds)))
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets)
        freeze_heap()
        for bound in server.servers:
            for sock in bound.sockets:
                bound_host, bound_port = sock.getsockname()[:2]
                announce(f"http://{bound_host}:{bound_port}")

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=None if sock is None else [sock])


class AppThread:
    """A uvicorn server for any ASGI app in a daemon thread; a context manager."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bounds: Bounds | None = None,
        http: Parser = "auto",
    ) -> None:
        options = server_options(bounds, http)
        options.pop("log_config")  # a thread's server keeps uvicorn's own logging
        config = uvicorn.Config(app, host=host, port=port, **options)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="rivya-serve", daemon=True)
        self.base_url = ""

    def start(self) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:<port>``) once it accepts."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.005)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class ServerThread(AppThread):
    """A uvicorn server for one ``Mock`` in a daemon thread; a context manager.

    ``app`` serves another ASGI app in the mock's place (one wrapping ``mock.app``).

    >>> with ServerThread(Mock()) as server:  # doctest: +SKIP
    ...     httpx.get(server.base_url + "/api/v1/models")
    """

    def __init__(
        self,
        mock: Mock,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app: ASGIApp | None = None,
        http: Parser = "auto",
    ) -> None:
        served = mock.app if app is None else app
        super().__init__(served, host, port, bounds=Bounds.of(mock.config), http=http)
        self.mock = mock
