"""The suite against stand-in targets: compatible changes warn, a breaking one fails once,
and a distributed run reports what a serial one does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from standin_support import (
    ADDED_FIELD,
    NEW_CODE,
    NEW_MODEL,
    compatible_changes,
    refused_creates,
    served_standin,
)
from support import clean_env, rivya_mock

from rivya_contract.mock_server import MockConfig

KEY = MockConfig().api_key
CREATE = "POST /api/v1/generations"


def check(base_url: str, report: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Run ``rivya-mock check`` against ``base_url``; return (exit status, report, output)."""
    command = [str(rivya_mock()), "check", "--base-url", base_url, "--api-key", KEY]
    result = subprocess.run(
        [*command, "--report", str(report), *extra],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
        check=False,
    )
    return result.returncode, json.loads(report.read_text()), result.stdout + result.stderr


Run = tuple[int, dict[str, Any], str]


@pytest.fixture(scope="module")
def compatible_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Run the check against one compatible stand-in: serially, strict, and with -n 4."""
    folder = tmp_path_factory.mktemp("compatible")
    with served_standin(compatible_changes) as server:
        return {
            "serial": check(server.base_url, folder / "serial.json"),
            "strict": check(server.base_url, folder / "strict.json", "--strict"),
            "n4": check(server.base_url, folder / "n4.json", "--workers", "4"),
        }


def test_added_fields_models_and_codes_are_warnings_that_pass(
    compatible_runs: dict[str, Run],
) -> None:
    status, summary, output = compatible_runs["serial"]
    strict, strict_summary, _ = compatible_runs["strict"]
    assert status == 0, output[-3000:]
    assert summary["drift"] is False and summary["breaking"] == 0 and summary["failed"] == 0
    kinds = {(d["kind"], d["severity"]) for d in summary["deviations"]}
    assert kinds == {
        ("extra_field", "compatible"),
        ("unknown_code", "compatible"),
        ("new_model", "compatible"),
    }
    paths = {d["path"] for d in summary["deviations"] if d["kind"] == "extra_field"}
    assert paths == {f"$.{ADDED_FIELD}"}
    assert {d["actual"] for d in summary["deviations"] if d["kind"] == "unknown_code"} == {NEW_CODE}
    assert [d["actual"] for d in summary["deviations"] if d["kind"] == "new_model"] == [NEW_MODEL]
    assert summary["compatible"] == len(summary["deviations"]) > 10
    assert "Compatible changes" in output and NEW_CODE in output and ADDED_FIELD in output
    assert "No drift" in output
    # The control checks ran: the stand-in passes the mock's control API through.
    assert summary["left_out"] == [] or all("credits" in i["reason"] for i in summary["left_out"])
    assert any(d["check"].startswith("test_boundaries::") for d in summary["deviations"])
    assert strict == 1
    assert strict_summary["strict"] is True
    assert strict_summary["failed"] > 0
    assert strict_summary["failed"] == len({d["check"] for d in strict_summary["deviations"]})


def test_a_400_where_202_is_due_is_one_breaking_deviation(tmp_path: Path) -> None:
    with served_standin(refused_creates) as server:
        status, summary, output = check(server.base_url, tmp_path / "r.json", "--max-credits", "4")
    assert status == 1, output[-3000:]
    assert summary["drift"] is True and summary["failed"] == 1
    (deviation,) = summary["deviations"]
    assert deviation["endpoint"] == CREATE
    assert (deviation["kind"], deviation["severity"]) == ("status", "breaking")
    assert (deviation["expected"], deviation["actual"]) == (
        "200 or 201 or 202",
        "400 validation_failed",
    )
    assert summary["other_failures"] == []
    assert "Drift from the contract on 1 endpoint(s)" in output


def test_a_distributed_run_reports_what_a_serial_run_does(compatible_runs: dict[str, Run]) -> None:
    _, serial, serial_output = compatible_runs["serial"]
    _, spread, spread_output = compatible_runs["n4"]
    assert serial == spread, (serial_output[-2000:], spread_output[-2000:])
    assert serial["passed"] >= 60 and serial["compatible"] > 10 and serial["left_out"]
    checks = [d["check"] for d in serial["deviations"]]
    assert checks == sorted(checks)
    assert all("/" not in check.split("[")[0] for check in checks)
    assert all(check.startswith("test_") and "::" in check for check in checks)
    for output in (serial_output, spread_output):
        assert "warnings summary" not in output and "Warning" not in output, output[-3000:]
