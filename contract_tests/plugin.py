"""The drift report's pytest plugin: loaded in every process, the xdist controller too.

The suite's conftest runs where the checks run (in each xdist worker); this
plugin, registered under the ``pytest11`` entry points, also runs in the
process that prints the summary. Each check's report carries its deviations
(``user_properties``) and a mark that it is one of the suite's checks; the
checks left out travel in each worker's ``workeroutput``. The plugin merges
them, so ``-n 4`` reports exactly what a serial run does. In a session that
runs no check of the suite it stays silent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rivya_contract.contract_tests.report import Results, check_id, report_json, report_text
from rivya_contract.plugin.settings import read_settings

SUITE = "rivya_check"
"""The user property that marks a report as one of the suite's checks."""
DRIFT = "rivya_drift"
"""The user property holding a check's deviations, in their JSON form."""
FAILURE = "rivya_failure"
"""The user property holding a failure that was not drift."""
LEFT_OUT = "rivya_left_out"
"""The ``workeroutput`` key of the checks a worker left out."""
NAME = "rivya-drift-results"


def strict(config: pytest.Config) -> bool:
    """Return whether compatible changes fail the checks (``--rivya-strict``)."""
    return bool(config.getoption("rivya_strict", default=False))


class DriftReport:
    """Gathers every check's outcome and deviations, then prints and writes the report."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results = Results()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count the check's outcome and keep what it carried."""
        if not any(name == SUITE for name, _ in report.user_properties):
            return
        check = check_id(report.nodeid)
        self.results.outcome(check, report.when, report.outcome)
        for name, value in report.user_properties:
            if name == DRIFT and isinstance(value, list):
                self.results.add_deviations(check, value)
            elif name == FAILURE:
                self.results.failures[check] = str(value)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Merge the checks an xdist worker left out (every worker leaves out the same)."""
        self.results.left_out.update(getattr(node, "workeroutput", {}).get(LEFT_OUT, {}))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """In an xdist worker, hand the checks left out to the controller."""
        output = getattr(self.config, "workeroutput", None)
        if output is not None:
            output[LEFT_OUT] = dict(self.results.left_out)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the drift summary, and write the JSON report when asked."""
        if hasattr(self.config, "workerinput"):
            return
        if not self.results.outcomes and not self.results.left_out:
            return
        terminalreporter.section("rivya contract drift")
        terminalreporter.write_line(report_text(self.results.records()))
        for check, reason in sorted(self.results.left_out.items()):
            terminalreporter.write_line(f"left out: {check} ({reason})")
        path = self.config.getoption("--rivya-report")
        if path is not None:
            text = report_json(
                self.results, target=read_settings(self.config).target, strict=strict(self.config)
            )
            Path(path).write_text(text + "\n", encoding="utf-8")
            terminalreporter.write_line(f"drift report written to {path}")


def pytest_configure(config: pytest.Config) -> None:
    """Register the drift report."""
    config.pluginmanager.register(DriftReport(config), NAME)


def drift_report(config: pytest.Config) -> DriftReport:
    """Return the session's drift report."""
    found = config.pluginmanager.get_plugin(NAME)
    assert isinstance(found, DriftReport)
    return found
