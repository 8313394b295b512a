"""The ``rivya`` pytest plugin: options, ini keys, markers and fixtures.

Loaded by the ``pytest11`` entry point ``rivya``. Fixtures (see
``rivya_contract.plugin.fixtures``): ``rivya_mock``, ``rivya_respx``,
``rivya_server``, ``rivya_target``, ``rivya_fresh`` (a new mock per Hypothesis
example), ``rivya_webhooks`` (a real webhook receiver), and the overridable
``rivya_mock_config`` and ``rivya_server_config``. Markers: ``rivya_scenario(...)``
presets the mock's behaviour for a test; ``rivya_live`` marks a test that spends real
credits, skipped unless a key and a budget (``--rivya-max-credits`` > 0) are given.
"""

from __future__ import annotations

import pytest

from rivya_contract.plugin.cassettes import MARKER_HELP as CASSETTE_HELP
from rivya_contract.plugin.cassettes import pytest_runtest_makereport
from rivya_contract.plugin.fixtures import (
    rivya_budget,
    rivya_fresh,
    rivya_mock,
    rivya_mock_config,
    rivya_respx,
    rivya_server,
    rivya_server_config,
    rivya_server_thread,
    rivya_settings,
    rivya_target,
    rivya_webhooks,
    rivya_webhooks_server,
)
from rivya_contract.plugin.scenario import MARKER_HELP
from rivya_contract.plugin.settings import read_settings

__all__ = [
    "pytest_runtest_makereport",
    "rivya_budget",
    "rivya_fresh",
    "rivya_mock",
    "rivya_mock_config",
    "rivya_respx",
    "rivya_server",
    "rivya_server_config",
    "rivya_server_thread",
    "rivya_settings",
    "rivya_target",
    "rivya_webhooks",
    "rivya_webhooks_server",
]

LIVE_MARKER = "rivya_live"

TARGETS = ("mock", "server", "live")
"""mock: the in-process app; server: the mock over real HTTP; live: the real API."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--rivya-*`` options and their ini keys."""
    group = parser.getgroup("rivya", "Rivya API contract testing")
    group.addoption(
        "--rivya-target",
        choices=TARGETS,
        default=None,
        help="what the rivya fixtures talk to: mock (in process), server (the mock over "
        "HTTP) or live (the real API). ini: rivya_target; default mock.",
    )
    group.addoption(
        "--rivya-base-url", default=None, help="base URL of the live API (ini: rivya_base_url)."
    )
    group.addoption(
        "--rivya-api-key",
        default=None,
        help="API key for the live API (ini: rivya_api_key; env RIVYA_API_KEY).",
    )
    group.addoption(
        "--rivya-max-credits",
        type=int,
        default=None,
        help="hard credit budget against the live API; requests that could exceed it are "
        "refused (ini: rivya_max_credits).",
    )
    group.addoption(
        "--rivya-report",
        default=None,
        metavar="FILE",
        help="write the contract suite's drift report (JSON) to FILE.",
    )
    group.addoption(
        "--rivya-strict",
        action="store_true",
        default=False,
        help="make the contract suite fail on compatible changes too (an added response "
        "field, model or error code, a missing X-Request-Id), not only on breaking ones.",
    )
    parser.addini("rivya_target", "default for --rivya-target", default="mock")
    parser.addini("rivya_base_url", "default for --rivya-base-url", default="https://rivya.ai")
    parser.addini("rivya_api_key", "default for --rivya-api-key", default="")
    parser.addini("rivya_max_credits", "default for --rivya-max-credits", default="0")
    group.addoption(
        "--rivya-record",
        action="store_true",
        default=False,
        help="record rivya_cassette tests again, over their existing cassettes.",
    )
    parser.addini(
        "rivya_cassettes",
        "folder of rivya_cassette recordings (rootdir-relative)",
        default="cassettes",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``rivya_scenario`` and ``rivya_live`` markers."""
    config.addinivalue_line("markers", MARKER_HELP)
    config.addinivalue_line("markers", CASSETTE_HELP)
    config.addinivalue_line(
        "markers",
        f"{LIVE_MARKER}: the test spends real credits; skipped unless an API key and "
        "--rivya-max-credits > 0 are given.",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``rivya_live`` tests unless a live key and a credit budget are given."""
    if item.get_closest_marker(LIVE_MARKER) is None:
        return
    if not read_settings(item.config).live_allowed:
        pytest.skip(
            f"{LIVE_MARKER}: spends real credits; give an API key and --rivya-max-credits > 0"
        )
