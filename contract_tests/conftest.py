"""How the contract suite meets a target: fixtures, check selection and the drift report.

Checks marked ``paid(credits=N)`` reserve credits; they run only while the
``--rivya-max-credits`` budget covers them (against the live API the budget
defaults to 0, so none run). Checks marked ``needs_control`` need scenario
control (a second account, a fault): they run against the mock in process and
against any server that offers the mock's control API, and are left out
elsewhere.

Each check's report carries its deviations (``user_properties``) to the drift
report, ``rivya_contract.contract_tests.plugin``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rivya_contract.contract_tests.client import RECORDER, ContractClient
from rivya_contract.contract_tests.control import HttpControl, ScenarioControl, offers_control
from rivya_contract.contract_tests.drift import DriftError
from rivya_contract.contract_tests.plugin import DRIFT, FAILURE, SUITE, drift_report, strict
from rivya_contract.contract_tests.report import check_id
from rivya_contract.plugin.budget import Budget
from rivya_contract.plugin.settings import read_settings

HAS_CONTROL = pytest.StashKey[bool]()


def target_name(config: pytest.Config) -> str:
    """Return the target the suite runs against: mock, server or live."""
    return read_settings(config).target


def budget(config: pytest.Config) -> int | None:
    """Return the credit budget of the paid checks; None for no limit (see ``Settings``)."""
    return read_settings(config).check_budget


def has_control(config: pytest.Config) -> bool:
    """Return whether the target offers scenario control (asked of a live URL once)."""
    if HAS_CONTROL not in config.stash:
        settings = read_settings(config)
        config.stash[HAS_CONTROL] = settings.target != "live" or offers_control(settings.base_url)
    return config.stash[HAS_CONTROL]


def pytest_configure(config: pytest.Config) -> None:
    """Register the suite's markers."""
    config.addinivalue_line("markers", "paid(credits): the check reserves up to N credits")
    config.addinivalue_line("markers", "needs_control: the check needs scenario control")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out what this target cannot run.

    That is paid checks past the budget, and control ones where the target offers
    no scenario control.
    """
    remaining = budget(config)
    control = None
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        reason = None
        if item.get_closest_marker("needs_control") is not None:
            control = has_control(config) if control is None else control
            if not control:
                reason = "needs scenario control, which this target does not offer"
        paid = item.get_closest_marker("paid")
        if reason is None and paid is not None and remaining is not None:
            cost = int(paid.kwargs["credits"])
            if cost > remaining:
                reason = f"costs up to {cost} credits; {remaining} left of the budget"
            else:
                remaining -= cost
        if reason is None:
            kept.append(item)
        else:
            dropped.append(item)
            drift_report(config).results.left_out[check_id(item.nodeid)] = reason
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def rivya_budget(request: pytest.FixtureRequest) -> Budget | None:
    """Return the live credit budget; the suite's rejected requests are sent as free.

    The suite's validation checks send bodies the contract rejects before any
    reservation. Should a live API charge for one anyway, the charge is still
    counted against the budget, and the check reports the drift.
    """
    if target_name(request.config) != "live":
        return None
    return Budget(budget(request.config) or 0, trust_validation=True)


@pytest.fixture(autouse=True)
def _drift_recorder(request: pytest.FixtureRequest) -> None:
    """Start each check with no warnings, strict or not as the run says."""
    RECORDER.begin(strict=strict(request.config))


@pytest.fixture
def api(rivya_target: Any) -> Iterator[ContractClient]:
    """Return a contract client for the chosen target (it sends the key per request)."""
    with rivya_target.client(authorized=False) as http:
        yield ContractClient(http=http, api_key=rivya_target.api_key)


@pytest.fixture
def control(rivya_target: Any, request: pytest.FixtureRequest) -> Iterator[ScenarioControl | None]:
    """Return the target's scenario control: the mock's own, its control API, or None."""
    mock = getattr(rivya_target, "mock", None)
    if mock is not None:
        yield mock.control
    elif has_control(request.config):
        with httpx.Client(base_url=rivya_target.base_url, timeout=30) as http:
            yield HttpControl(http)
    else:
        yield None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Put the check's deviations, and a failure that is not drift, on its report."""
    report = yield
    report.user_properties.append((SUITE, True))
    if report.when != "call" and not report.failed:
        return report
    found = RECORDER.take() if report.when == "call" else []
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, DriftError):
        found += error.deviations
    elif report.failed and error is not None:
        report.user_properties.append((FAILURE, str(error)[:500]))
    if found:
        report.user_properties.append((DRIFT, [deviation.to_json() for deviation in found]))
    return report
