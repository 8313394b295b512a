"""The plugin's fixtures: the in-process mock, respx routing, a real server, and the target.

Heavy modules (the mock, respx, uvicorn) are imported when a fixture first
runs, so loading the plugin costs nothing for tests that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import pytest

from rivya_contract.plugin.cassettes import cassette_of, cassette_target
from rivya_contract.plugin.scenario import apply_scenarios, scenarios_of
from rivya_contract.plugin.settings import Settings, read_settings

if TYPE_CHECKING:
    from rivya_contract.mock_server.config import MockConfig
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.mock_server.serving import ServerThread
    from rivya_contract.plugin.budget import Budget
    from rivya_contract.plugin.targets import RespxTarget, Target
    from rivya_contract.plugin.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def rivya_settings(pytestconfig: pytest.Config) -> Settings:
    """Return the ``--rivya-*`` settings of this session."""
    return read_settings(pytestconfig)


@pytest.fixture(scope="session")
def rivya_budget(rivya_settings: Settings) -> Budget | None:
    """Return the credit budget against live (``--rivya-max-credits``); None otherwise."""
    from rivya_contract.plugin.budget import Budget

    if rivya_settings.target != "live":
        return None
    return Budget(rivya_settings.max_credits)


@pytest.fixture
def rivya_mock_config() -> MockConfig:
    """Return the config of each ``rivya_mock``; override it to change the mock's behaviour."""
    from rivya_contract.mock_server.config import MockConfig

    return MockConfig(virtual_clock=True)


@pytest.fixture
def rivya_mock(request: pytest.FixtureRequest, rivya_mock_config: MockConfig) -> Iterator[Mock]:
    """Return a fresh in-process mock with a virtual clock, its ``rivya_scenario`` marks applied.

    Its control API: ``clock.advance``, ``script``, ``fault``, ``journal``,
    ``accounts``, ``webhooks``, ``reset``. Its webhook deliveries stop after the test.
    """
    from rivya_contract.mock_server.mock import Mock

    mock = Mock(rivya_mock_config)
    apply_scenarios(request.node, mock)
    yield mock
    mock.close()


@pytest.fixture
def rivya_respx(rivya_mock: Mock) -> Iterator[RespxTarget]:
    """Route every httpx request to ``https://rivya.ai`` (sync or async) to ``rivya_mock``.

    Yields a target with ``base_url``, ``api_key``, ``headers``, ``mock`` and
    the active respx ``router``. A request to rivya.ai from a client respx
    cannot intercept (``requests``, ``urllib``) raises ``RealHostBlocked``
    before any connection, and fails the test even if the client swallowed it.
    """
    from rivya_contract.plugin.fresh import RealHostBlocked, respx_target

    blocked = None
    try:
        with respx_target(rivya_mock) as target:
            yield target
    except RealHostBlocked as error:
        blocked = str(error)
    if blocked is not None:
        pytest.fail(blocked, pytrace=False)


@pytest.fixture(scope="session")
def rivya_fresh() -> Callable[..., AbstractContextManager[RespxTarget]]:
    """Return ``fresh_respx``, which gives a new mock behind respx each time it is entered.

    ``with rivya_fresh() as rivya:`` inside a test body.
    Session-scoped, so ``@given`` tests can take it (Hypothesis refuses
    function-scoped fixtures, which would be shared by every example); enter
    it inside the test to get a fresh mock for each example. It takes a
    ``MockConfig`` and a base URL, and blocks non-httpx clients as ``rivya_respx`` does.
    """
    from rivya_contract.plugin.fresh import fresh_respx

    return fresh_respx


@pytest.fixture(scope="session")
def rivya_server_config() -> MockConfig:
    """Return the config of the session's ``rivya_server`` mock; override it in a conftest."""
    from rivya_contract.mock_server.config import MockConfig

    return MockConfig(virtual_clock=True)


@pytest.fixture(scope="session")
def rivya_server_thread(rivya_server_config: MockConfig) -> Iterator[ServerThread]:
    """Serve one mock over HTTP (uvicorn, a free port) for the whole session."""
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.mock_server.serving import ServerThread

    mock = Mock(rivya_server_config)
    with ServerThread(mock) as server:
        yield server
    mock.close()


@pytest.fixture
def rivya_server(request: pytest.FixtureRequest, rivya_server_thread: ServerThread) -> Target:
    """Return the session's real HTTP mock server, reset, with this test's marks applied.

    For requests, aiohttp, curl or any other client. Attributes: ``base_url``
    (``http://127.0.0.1:<port>``), ``api_key`` (the demo account's key),
    ``headers`` (its ``Authorization`` header), ``url(path)`` (an absolute
    URL), ``client()`` / ``async_client()`` (httpx clients with the key),
    ``name`` (``"server"``) and ``mock`` (the served ``Mock``: ``clock``,
    ``control``, ``reset()``). The dashboard is at ``base_url + "/__mock__/"``.
    For ``@given`` tests take ``rivya_server_thread`` (session-scoped) and call
    ``rivya_server_thread.mock.reset()`` at the start of each example.
    """
    from rivya_contract.plugin.targets import server_target

    mock = rivya_server_thread.mock
    mock.reset()
    apply_scenarios(request.node, mock)
    return server_target(mock, rivya_server_thread.base_url)


@pytest.fixture
def rivya_target(
    request: pytest.FixtureRequest, rivya_settings: Settings, rivya_budget: Budget | None
) -> Target:
    """Return the target ``--rivya-target`` chooses: ``rivya_respx``, ``rivya_server`` or live.

    A test with ``rivya_scenario`` marks needs a mock and is skipped against live. A
    test marked ``rivya_cassette(name)`` replays its cassette when there is one, and
    otherwise records the target's answers into it (``plugin/cassettes.py``).
    """
    name = cassette_of(request.node)
    if name is not None:
        return cassette_target(
            request, name, lambda: _chosen_target(request, rivya_settings, rivya_budget)
        )
    return _chosen_target(request, rivya_settings, rivya_budget)


def _chosen_target(
    request: pytest.FixtureRequest, rivya_settings: Settings, rivya_budget: Budget | None
) -> Target:
    if rivya_settings.target == "mock":
        target: Target = request.getfixturevalue("rivya_respx")
        return target
    if rivya_settings.target == "server":
        server: Target = request.getfixturevalue("rivya_server")
        return server
    if scenarios_of(request.node):
        pytest.skip("rivya_scenario presets the mock's behaviour; the live API has no mock")
    if not rivya_settings.api_key:
        pytest.fail(
            "--rivya-target=live needs an API key: --rivya-api-key, RIVYA_API_KEY or the "
            "rivya_api_key ini key",
            pytrace=False,
        )
    from rivya_contract.plugin.targets import live_target

    return live_target(rivya_settings.base_url, rivya_settings.api_key, rivya_budget)


@pytest.fixture(scope="session")
def rivya_webhooks_server() -> Iterator[WebhookReceiver]:
    """Serve one ``WebhookReceiver`` on 127.0.0.1 (uvicorn, a free port) for the session."""
    from rivya_contract.mock_server.serving import AppThread
    from rivya_contract.plugin.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver()
    with AppThread(receiver.app) as server:
        receiver.base_url = server.base_url
        yield receiver


@pytest.fixture
def rivya_webhooks(rivya_webhooks_server: WebhookReceiver) -> WebhookReceiver:
    """Return a real webhook receiver on 127.0.0.1, emptied: it records, verifies, answers.

    ``register(target)`` creates an endpoint for it and trusts the secret;
    ``answer(500, times=3)``, ``answer(410)`` or ``answer(200, delay=s)`` script its
    answers; ``wait_for(n)`` waits for deliveries; ``deliveries`` lists them.
    """
    rivya_webhooks_server.reset()
    return rivya_webhooks_server
