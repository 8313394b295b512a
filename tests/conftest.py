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
from support import TRANSPORTS, client_for

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The transport each test runs over."""
    name: str = request.param
    return name


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
