"""How the contract suite meets a target: fixtures, check selection and the drift report.

Checks marked ``paid(credits=N)`` reserve credits; they run only while the
``--rivya-max-credits`` budget covers them (against the live API the budget
defaults to 0, so none run). Checks marked ``needs_control`` need scenario
control (a second account, a fault) and run only against the mock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rivya_contract.contract_tests.client import ContractClient
from rivya_contract.contract_tests.drift import DriftError, DriftRecord, report_json, report_text
from rivya_contract.mock_server import Mock
from rivya_contract.mock_server.control import Controller
from rivya_contract.plugin.budget import Budget
from rivya_contract.plugin.settings import read_settings

RECORDS = pytest.StashKey[list[DriftRecord]]()
LEFT_OUT = pytest.StashKey[list[tuple[str, str]]]()
FAILED = pytest.StashKey[list[tuple[str, str]]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the suite's markers and its report state."""
    config.addinivalue_line("markers", "paid(credits): the check reserves up to N credits")
    config.addinivalue_line("markers", "needs_control: the check needs scenario control")
    config.stash[RECORDS] = []
    config.stash[LEFT_OUT] = []
    config.stash[FAILED] = []


def target_name(config: pytest.Config) -> str:
    """Return the target the suite runs against: mock, server or live."""
    return read_settings(config).target


def budget(config: pytest.Config) -> int | None:
    """Return the credit budget of the paid checks; None for no limit (see ``Settings``)."""
    return read_settings(config).check_budget


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the checks this target cannot run: paid ones past the budget, control ones live."""
    live = target_name(config) == "live"
    remaining = budget(config)
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        reason = None
        if live and item.get_closest_marker("needs_control") is not None:
            reason = "needs scenario control, which the live API does not offer"
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
            config.stash[LEFT_OUT].append((item.nodeid, reason))
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


@pytest.fixture
def api(rivya_target: Any) -> Iterator[ContractClient]:
    """Return a contract client for the chosen target (it sends the key per request)."""
    with rivya_target.client(authorized=False) as http:
        yield ContractClient(http=http, api_key=rivya_target.api_key)


@pytest.fixture
def control(rivya_target: Any) -> Controller | None:
    """Return the target mock's scenario control; None against the live API."""
    mock: Mock | None = getattr(rivya_target, "mock", None)
    return None if mock is None else mock.control


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep the deviations of every check that found drift."""
    report = yield
    if report.failed and call.excinfo is not None:
        error = call.excinfo.value
        if isinstance(error, DriftError):
            item.config.stash[RECORDS].append(DriftRecord(item.nodeid, tuple(error.deviations)))
        else:
            item.config.stash[FAILED].append((item.nodeid, str(error)[:500]))
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the drift summary, and write the JSON report when asked."""
    records = config.stash[RECORDS]
    terminalreporter.section("rivya contract drift")
    terminalreporter.write_line(report_text(records))
    for nodeid, reason in config.stash[LEFT_OUT]:
        terminalreporter.write_line(f"left out: {nodeid} ({reason})")
    path = config.getoption("--rivya-report")
    if path is not None:
        stats = terminalreporter.stats
        left_out: list[tuple[str, str]] = config.stash[LEFT_OUT]
        other: list[tuple[str, str]] = config.stash[FAILED]
        passed, failed = len(stats.get("passed", [])), len(stats.get("failed", []))
        text = report_json(
            records,
            target=target_name(config),
            passed=passed,
            failed=failed,
            left_out=left_out,
            other_failures=other,
        )
        Path(path).write_text(text + "\n", encoding="utf-8")
        terminalreporter.write_line(f"drift report written to {path}")
