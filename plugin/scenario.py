"""The ``rivya_scenario`` marker: preset what the mock does for one test.

Forms, which may be combined and stacked (class markers apply before function
markers)::

    @pytest.mark.rivya_scenario(outcome="failed", queued=2)          # one mock.control.script(...)
    @pytest.mark.rivya_scenario(script=[{...}, {...}])               # several scripts
    @pytest.mark.rivya_scenario(fault={"method": "GET", "code": "rate_limited",
                                       "retry_after": 3})            # mock.control.fault(...)
    @pytest.mark.rivya_scenario(behaviour)   # anything with apply(mock), e.g. a ServerBehaviour
    @pytest.mark.rivya_scenario(lambda mock: mock.control.accounts.set_balance("acct_demo", 0))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

MARKER = "rivya_scenario"

MARKER_HELP = (
    "rivya_scenario(*behaviours, script=..., fault=..., **script_kwargs): preset the mock's "
    "behaviour for this test: keyword arguments are a script (mock.control.script), fault= "
    "(a dict or a list of dicts) faults (mock.control.fault), positional arguments are objects "
    "with apply(mock) or callables taking the mock."
)


def _specs(value: Any) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        specs = list(value)
        if all(isinstance(spec, Mapping) for spec in specs):
            return specs
    raise TypeError(f"{MARKER}: expected a dict or a list of dicts, got {value!r}")


def apply_scenario(mock: Mock, *args: Any, **kwargs: Any) -> None:
    """Apply one ``rivya_scenario``'s arguments to ``mock``."""
    for arg in args:
        apply: Callable[[Mock], Any] | None = getattr(arg, "apply", None)
        if apply is not None:
            apply(mock)
        elif callable(arg):
            arg(mock)
        else:
            raise TypeError(f"{MARKER}: {arg!r} has no apply(mock) and is not callable")
    options = dict(kwargs)
    scripts = _specs(options.pop("script", None))
    faults = _specs(options.pop("fault", None))
    for spec in scripts:
        mock.control.add_script(dict(spec))
    for spec in faults:
        mock.control.add_fault(dict(spec))
    if options:
        mock.control.add_script(options)


def scenarios_of(node: pytest.Item | pytest.Collector) -> list[pytest.Mark]:
    """Return a test's ``rivya_scenario`` marks, outermost (module, class) first."""
    return list(reversed(list(node.iter_markers(MARKER))))


def apply_scenarios(node: pytest.Item | pytest.Collector, mock: Mock) -> None:
    """Apply every ``rivya_scenario`` mark of a test to ``mock``."""
    for mark in scenarios_of(node):
        apply_scenario(mock, *mark.args, **mark.kwargs)
