"""The drift report: every check's outcome and deviations, merged, counted and rendered.

Results arrive as test reports, from this process or from xdist workers alike, so
a serial run and a distributed one give the same report. Check ids name the
check by module and test (``test_read::test_credits_match_schema``), never by a
path on disk; each deviation names its endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rivya_contract.contract_tests.drift import Deviation

Outcome = Literal["passed", "failed", "skipped"]

_NODE = re.compile(r"(?:^|.*/)(?P<module>[^/]+?)\.py::(?P<rest>.*)$")


def check_id(nodeid: str) -> str:
    """Return the check id of a pytest node id: ``<module>::<test>[<params>]``."""
    found = _NODE.match(nodeid)
    return nodeid if found is None else f"{found['module']}::{found['rest']}"


@dataclass(frozen=True)
class DriftRecord:
    """The deviations one check found, for the report."""

    check: str
    deviations: tuple[Deviation, ...]


@dataclass
class Results:
    """Everything the report says, gathered check by check."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    deviations: dict[str, list[Deviation]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    """Failures that were not drift: the check's own assertion or an error."""
    left_out: dict[str, str] = field(default_factory=dict)

    def outcome(self, check: str, phase: str, outcome: str) -> None:
        """Count one phase's outcome: a failure in any phase fails the check."""
        if outcome == "failed":
            self.outcomes[check] = "failed"
        elif phase == "call" and outcome == "passed":
            self.outcomes.setdefault(check, "passed")
        elif outcome == "skipped":
            self.outcomes.setdefault(check, "skipped")

    def add_deviations(self, check: str, found: Iterable[Mapping[str, str]]) -> None:
        """Keep the deviations a check reported (in their JSON form)."""
        self.deviations.setdefault(check, []).extend(Deviation.from_json(raw) for raw in found)

    def count(self, outcome: Outcome) -> int:
        """Return how many checks ended with ``outcome``."""
        return sum(1 for found in self.outcomes.values() if found == outcome)

    def records(self) -> list[DriftRecord]:
        """Return the drift records, ordered by check id."""
        return [
            DriftRecord(check, tuple(found))
            for check, found in sorted(self.deviations.items())
            if found
        ]


def report_json(results: Results, *, target: str, strict: bool) -> str:
    """Return the drift report as JSON.

    It holds the target, whether compatible changes count as failures, the
    counts, every deviation (with its check, endpoint and severity), the checks
    left out and why, and failures that were not drift. Everything is sorted,
    so equal results give equal reports.
    """
    items = [
        {"check": record.check, **deviation.to_json()}
        for record in results.records()
        for deviation in record.deviations
    ]
    breaking = sum(1 for item in items if item["severity"] == "breaking")
    summary: dict[str, Any] = {
        "target": target,
        "strict": strict,
        "passed": results.count("passed"),
        "failed": results.count("failed"),
        "skipped": results.count("skipped"),
        "drift": breaking > 0,
        "breaking": breaking,
        "compatible": len(items) - breaking,
        "deviations": items,
        "left_out": [
            {"check": check, "reason": reason} for check, reason in sorted(results.left_out.items())
        ],
        "other_failures": [
            {"check": check, "message": text} for check, text in sorted(results.failures.items())
        ],
    }
    return json.dumps(summary, indent=2)


def _lines(records: Iterable[DriftRecord], severity: str) -> list[str]:
    by_endpoint: dict[str, list[tuple[str, Deviation]]] = {}
    for record in records:
        for deviation in record.deviations:
            if deviation.severity == severity:
                by_endpoint.setdefault(deviation.endpoint, []).append((record.check, deviation))
    lines: list[str] = []
    for endpoint, found in sorted(by_endpoint.items()):
        lines.append(f"  {endpoint}")
        for check, deviation in found:
            where = f" at {deviation.path}" if deviation.path else ""
            lines.append(
                f"    - {deviation.kind}{where}: expected {deviation.expected}, "
                f"got {deviation.actual}   [{check}]"
            )
    return lines


def report_text(records: Iterable[DriftRecord]) -> str:
    """Return a human summary: breaking drift, then compatible changes, each by endpoint."""
    records = list(records)
    breaking = _lines(records, "breaking")
    compatible = _lines(records, "compatible")
    lines: list[str] = []
    if breaking:
        count = sum(1 for line in breaking if not line.startswith("    "))
        lines += [f"Drift from the contract on {count} endpoint(s):", *breaking]
    else:
        lines.append("No drift: every check matched the contract.")
    if compatible:
        lines += ["Compatible changes (warnings; strict mode fails on them):", *compatible]
    return "\n".join(lines)
