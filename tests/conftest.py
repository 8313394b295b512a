"""Fixtures shared by the test modules: in-memory clients of a fresh mock, and a live mock.

``transport``, ``mock`` and ``client`` give each test a fresh virtual-clock mock
reached over every in-memory transport. ``live`` gives each test the module's
mock served over real HTTP, reset, and checks the server logged no error; a
module changes that mock's configuration by overriding ``live_config``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hostile_support import Live, live_mock
from redis_support import RedisServer, namespace
from support import TRANSPORTS, client_for

from rivya_contract.mock_server import mock as mock_module
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.redis_store import RedisStore
from rivya_contract.mock_server.store import Store


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The transport each test runs over."""
    name: str = request.param
    return name


STORES = ("memory", "redis")
"""The stores the server tests run against."""

BOTH_STORES = frozenset(
    {
        "test_server_credits",
        "test_server_errors",
        "test_server_files",
        "test_server_flow",
        "test_server_idempotency",
        "test_lifecycle_polls",
        "test_retention",
        "test_control_scripts",
        "test_control_api",
        "test_control_clock",
        "test_webhook_delivery",
        "test_webhook_endpoints",
        "test_webhook_control",
        "test_control_journal",
    }
)
"""The modules whose tests run once per store: every mock they make keeps its state there."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of ``BOTH_STORES`` modules against each store.

    Memory only: ``seeded_ids`` tests, and tests of a ``server`` subprocess the module
    serves once (its store is its own flags'; ``test_redis_scale`` serves Redis ones).
    """
    if metafunc.module.__name__ in BOTH_STORES:
        seeded = metafunc.definition.get_closest_marker("seeded_ids") is not None
        seeded = seeded or "server" in metafunc.fixturenames
        metafunc.parametrize("store", STORES[:1] if seeded else STORES, indirect=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session (each xdist worker has its own)."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(autouse=True)
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The store this test's mocks keep their state in: ``memory``, or ``redis``.

    With ``redis`` every mock the test makes on the memory default gets a fresh
    namespace on the session's redis-server instead, emptied when the test ends.
    """
    kind: str = getattr(request, "param", "memory")
    if kind == "memory":
        yield kind
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    made: list[RedisStore] = []
    chosen = mock_module._state

    def on_redis(config: MockConfig, given: Store | None) -> mock_module.State:
        if given is None and config.store == "memory":
            config = config.replace(store=server.url, namespace=namespace())
        found = chosen(config, given)
        if isinstance(found.store, RedisStore):
            made.append(found.store)
        return found

    monkeypatch.setattr(mock_module, "_state", on_redis)
    yield kind
    for each in made:
        each.client.delete(*each.client.keys(each.prefix + "*") or [each.prefix])
        each.client.close()


@pytest.fixture
def mock() -> Mock:
    """A virtual-clock mock on the embedded defaults."""
    return Mock(MockConfig(virtual_clock=True))


@pytest.fixture
def client(mock: Mock, transport: str) -> httpx.Client:
    """A client of ``mock`` over the current transport."""
    return client_for(transport, mock)


@pytest.fixture(scope="module")
def live_config() -> MockConfig:
    """The configuration of the module's live mock: the embedded defaults."""
    return MockConfig()


@pytest.fixture(scope="module")
def live_server(live_config: MockConfig) -> Iterator[Live]:
    """One live mock for the module."""
    with live_mock(live_config) as live:
        yield live


@pytest.fixture
def live(live_server: Live) -> Iterator[Live]:
    """The module's live mock, reset; fails the test if the server logged an error."""
    live_server.mock.reset()
    live_server.errors.take()
    yield live_server
    assert live_server.errors.take() == []
