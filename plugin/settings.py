"""The plugin's settings, read from the ``--rivya-*`` options, ini keys and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import pytest

    from rivya_contract.plugin.targets import TargetName

API_KEY_ENV = "RIVYA_API_KEY"
"""The environment variable holding the live API key."""


@dataclass(frozen=True)
class Settings:
    """What the rivya fixtures talk to, and the live key and budget."""

    target: TargetName
    base_url: str
    api_key: str
    """The live API key; empty when none is given."""
    max_credits: int
    """The hard credit budget against live; 0 lets no create through."""
    max_credits_given: bool = False
    """Whether ``--rivya-max-credits`` was given (the ini key counts against live only)."""

    @property
    def check_budget(self) -> int | None:
        """Return the credits the contract suite's paid checks may reserve; None: no limit.

        Against live the budget (0 unless given); against a mock, the budget if
        one was given, else no limit.
        """
        if self.target == "live" or self.max_credits_given:
            return self.max_credits
        return None

    @property
    def live_allowed(self) -> bool:
        """Return whether tests that spend real credits may run: a key and a budget are given."""
        return bool(self.api_key) and self.max_credits > 0


def _int(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of credits, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def read_settings(config: pytest.Config) -> Settings:
    """Return the settings: command-line options first, then the environment, then ini keys."""
    target = config.getoption("rivya_target") or config.getini("rivya_target") or "mock"
    if target not in ("mock", "server", "live"):
        raise ValueError(f"rivya_target must be mock, server or live, got {target!r}")
    base_url = config.getoption("rivya_base_url") or config.getini("rivya_base_url")
    api_key = (
        config.getoption("rivya_api_key")
        or os.environ.get(API_KEY_ENV)
        or config.getini("rivya_api_key")
        or ""
    )
    option = config.getoption("rivya_max_credits")
    ini = config.getini("rivya_max_credits")
    if option is not None:
        max_credits = _int(str(option), "--rivya-max-credits")
    else:
        max_credits = _int(str(ini or "0"), "rivya_max_credits")
    return Settings(
        target=cast("TargetName", target),
        base_url=str(base_url).rstrip("/"),
        api_key=str(api_key),
        max_credits=max_credits,
        max_credits_given=option is not None,
    )
