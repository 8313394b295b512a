"""The ``rivya`` pytest plugin: command-line options and ini keys choosing the target API."""

from __future__ import annotations

import pytest

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
    parser.addini("rivya_target", "default for --rivya-target", default="mock")
    parser.addini("rivya_base_url", "default for --rivya-base-url", default="https://rivya.ai")
    parser.addini("rivya_api_key", "default for --rivya-api-key", default="")
    parser.addini("rivya_max_credits", "default for --rivya-max-credits", default="0")
