"""``rivya-mock serve --workers N``: N server processes on one socket and one shared store.

The parent binds the socket, passes its resolved config to the workers in
``CONFIG_ENV`` and lets uvicorn's supervisor run them (it starts a new worker when
one dies). Each worker builds its own ``Mock`` on the shared store named by the
config, so every worker serves one state.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors import Multiprocess

from rivya_contract.mock_server.config import MockConfig, from_mapping
from rivya_contract.mock_server.ratelimit import RateLimit

CONFIG_ENV = "RIVYA_MOCK_WORKER_CONFIG"
"""The variable through which the parent hands its config to each worker (JSON)."""


def config_json(config: MockConfig) -> str:
    """Return ``config`` as JSON that ``from_mapping`` reads back into the same config."""

    def plain(value: Any) -> Any:
        if isinstance(value, RateLimit):
            return str(value)
        if isinstance(value, tuple):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    values = {f.name: plain(getattr(config, f.name)) for f in dataclasses.fields(config)}
    return json.dumps(values)


@functools.cache
def _config() -> MockConfig:
    return from_mapping(json.loads(os.environ[CONFIG_ENV]))


def app() -> ASGIApp:
    """Build one worker's app from the config its parent passed (a uvicorn factory)."""
    from rivya_contract.mock_server import logs
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.mock_server.serving import freeze_heap

    config = _config()
    logs.configure(config.log_level, config.log_format)
    served = Mock(config).app
    freeze_heap()
    return served


def __getattr__(name: str) -> Any:
    """``Protocol``: the worker's HTTP protocol, held to the config's connection bounds.

    uvicorn imports it by name in each worker (``workers:Protocol``), as a class made
    at run time cannot be handed to a new process.
    """
    if name != "Protocol":
        raise AttributeError(name)
    from rivya_contract.mock_server.connections import Bounds
    from rivya_contract.mock_server.serving import server_options

    return server_options(Bounds.of(_config()))["http"]


def serve_workers(config: MockConfig, sock: socket.socket, announce: Callable[[str], None]) -> None:
    """Serve ``config.workers`` worker processes on ``sock`` until interrupted."""
    from rivya_contract.mock_server.connections import Bounds
    from rivya_contract.mock_server.serving import server_options

    os.environ[CONFIG_ENV] = config_json(config)
    options = {**server_options(Bounds.of(config)), "http": f"{__name__}:Protocol"}
    server_config = uvicorn.Config(
        f"{__name__}:app", factory=True, workers=config.workers, **options
    )
    sock.listen(server_config.backlog)  # connections wait for the workers, never refused
    host, port = sock.getsockname()[:2]
    announce(f"http://{host}:{port}")
    Multiprocess(server_config, sockets=[sock]).run()
