"""The contract suite against each kind of target, a broken target, and a tight budget."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import clean_env, run_cli, served

from rivya_contract.contract_tests.drift import Deviation, response_deviations
from rivya_contract.contract_tests.report import DriftRecord, check_id, report_text
from rivya_contract.mock_server import MockConfig

KEY = MockConfig().api_key
INSTANT = ("--queued-seconds", "0", "--processing-seconds", "0")
POLL = "GET /api/v1/generations/{taskId}"


def run_suite(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``pytest --pyargs rivya_contract.contract_tests <args>`` in a fresh process."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "rivya_contract.contract_tests",
        "-p",
        "no:cacheprovider",
        "-q",
        *args,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=clean_env(), timeout=300, check=False
    )


def check(base_url: str, report: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Run ``rivya-mock check`` against ``base_url``; return (exit status, report, output)."""
    result = run_cli(
        "check", "--base-url", base_url, "--api-key", KEY, "--report", str(report), *extra
    )
    return result.returncode, json.loads(report.read_text()), result.stdout + result.stderr


@pytest.mark.parametrize("target", ["mock", "server"])
def test_suite_passes_against_the_mock(target: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    # Strict: our own mock may not even drift compatibly (no field of its own invention).
    result = run_suite(
        f"--rivya-target={target}", f"--rivya-report={report}", "--rivya-strict", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-3000:]
    summary = json.loads(report.read_text())
    assert summary["drift"] is False and summary["strict"] is True
    assert summary["failed"] == 0 and summary["deviations"] == []
    assert summary["passed"] >= 60
    assert summary["left_out"] == []
    assert "No drift" in result.stdout
    assert "warning" not in result.stdout.lower()


def test_check_passes_against_a_served_mock_standing_in_for_live(tmp_path: Path) -> None:
    with served(*INSTANT) as server:
        status, summary, output = check(server.base_url, tmp_path / "r.json", "--max-credits", "20")
    assert status == 0, output[-3000:]
    assert summary["target"] == "live"
    assert summary["drift"] is False and summary["failed"] == 0
    assert summary["deviations"] == []
    left_out = {item["check"]: item["reason"] for item in summary["left_out"]}
    # The served mock offers its control API, so only checks past the budget are left out.
    assert all("credits" in reason for reason in left_out.values()), left_out
    assert not any("test_text_to_image" in check for check in left_out), "paid check skipped"
    assert summary["passed"] >= 70
    assert "warning" not in output.lower(), output[-3000:]


def test_a_broken_target_fails_with_a_drift_report(tmp_path: Path) -> None:
    with served(*INSTANT) as server, server.client() as control:
        fault = {
            "method": "GET",
            "path": "/api/v1/generations/*",
            "code": "api_scope_denied",
            "times": 1000,
        }
        assert control.post("/__mock__/faults", json=fault).status_code in (200, 201)
        status, summary, output = check(server.base_url, tmp_path / "r.json")
    assert status == 1
    assert summary["drift"] is True
    found = {(d["endpoint"], d["kind"], d["expected"], d["actual"]) for d in summary["deviations"]}
    # One wrong status is one deviation: the body of the wrong answer is not checked further.
    assert (POLL, "status", "404", "403 api_scope_denied") in found
    assert {d["endpoint"] for d in summary["deviations"]} == {POLL}
    checks = [d["check"] for d in summary["deviations"]]
    assert len(checks) == len(set(checks)) == summary["failed"] == summary["breaking"]
    assert POLL in output and "api_scope_denied" in output


def test_budget_below_a_task_price_runs_no_paid_check(tmp_path: Path) -> None:
    with served(*INSTANT) as server, server.client() as control:
        status, summary, output = check(server.base_url, tmp_path / "r.json", "--max-credits", "3")
        journal = control.get(
            "/__mock__/journal", params={"method": "POST", "path": "/api/v1/generations"}
        )
        balance = control.get("/api/v1/credits", headers={"Authorization": f"Bearer {KEY}"})
    assert status == 0, output[-3000:]
    paid = [item for item in summary["left_out"] if "credits" in item["reason"]]
    assert len(paid) >= 3
    assert journal.status_code == 200
    created = [entry for entry in journal.json()["data"] if entry["status"] < 300]
    assert created == []
    assert balance.json() == {"current_credits": MockConfig().credits}


def test_response_deviations_name_missing_and_extra_fields() -> None:
    body = json.dumps({"current_credits": 5, "bonus": 1}).encode()
    found = response_deviations(
        "GET /api/v1/credits",
        status=200,
        headers={"x-request-id": "req_1"},
        body=body,
        expect_status=200,
        schema="credits",
    )
    assert found == [
        Deviation("GET /api/v1/credits", "extra_field", "absent", "present", "$.bonus")
    ]
    missing = response_deviations(
        "GET /api/v1/credits",
        status=200,
        headers={},
        body=b"{}",
        expect_status=200,
        schema="credits",
    )
    kinds = {(d.kind, d.severity, d.path) for d in missing}
    assert kinds == {
        ("header", "compatible", ""),
        ("missing_field", "breaking", "$.current_credits"),
    }
    assert found[0].severity == "compatible"


def test_a_wrong_status_is_one_deviation() -> None:
    body = json.dumps(
        {"error": {"code": "validation_failed", "message": "no", "requestId": "req_1"}}
    )
    found = response_deviations(
        "POST /api/v1/generations",
        status=400,
        headers={},
        body=body.encode(),
        expect_status=(200, 201, 202),
        schema="task",
    )
    assert found == [
        Deviation(
            "POST /api/v1/generations", "status", "200 or 201 or 202", "400 validation_failed"
        )
    ]
    assert found[0].severity == "breaking"


@pytest.mark.parametrize(
    ("code", "kind", "severity"),
    [("resource_missing", "unknown_code", "compatible"), ("api_scope_denied", "code", "breaking")],
)
def test_an_unknown_code_is_compatible_and_another_documented_one_breaks(
    code: str, kind: str, severity: str
) -> None:
    body = json.dumps({"error": {"code": code, "message": "x", "requestId": "req_a"}})
    (found,) = response_deviations(
        POLL,
        status=404,
        headers={"x-request-id": "req_a"},
        body=body.encode(),
        expect_status=404,
        expect_code="not_found",
    )
    assert (found.kind, found.severity, found.actual) == (kind, severity, code)


def test_an_added_field_inside_an_alternative_is_found() -> None:
    task = {
        "id": "task_1",
        "status": "succeeded",
        "model": "grok-imagine",
        "reserved_credits": 4,
        "final_credits": 4,
        "created_at": "2026-05-11T00:00:00.000Z",
        "updated_at": "2026-05-11T00:00:00.000Z",
        "result": {"primary_url": "https://a/x.png", "urls": ["https://a/x.png"], "w": 1},
        "error": None,
    }
    found = response_deviations(
        POLL,
        status=200,
        headers={"x-request-id": "req_1"},
        body=json.dumps(task).encode(),
        expect_status=200,
        schema="task",
    )
    assert found == [Deviation(POLL, "extra_field", "absent", "present", "$.result.w")]
    del task["model"]
    task["final_credits"] = "4"
    changed = response_deviations(
        POLL,
        status=200,
        headers={"x-request-id": "req_1"},
        body=json.dumps(task).encode(),
        expect_status=200,
        schema="task",
    )
    assert {(d.kind, d.path, d.severity) for d in changed} == {
        ("missing_field", "$.model", "breaking"),
        ("schema", "$.final_credits", "breaking"),
        ("extra_field", "$.result.w", "compatible"),
    }


def test_check_ids_name_the_module_and_the_check() -> None:
    nodeid = (
        "../../.venv/lib/python3.11/site-packages/rivya_contract/contract_tests/"
        "test_auth.py::test_missing_key_is_api_key_missing[GET /api/v1/credits]"
    )
    assert check_id(nodeid) == (
        "test_auth::test_missing_key_is_api_key_missing[GET /api/v1/credits]"
    )
    assert check_id("contract_tests/test_read.py::test_credits_match_schema") == (
        "test_read::test_credits_match_schema"
    )


def test_error_request_id_must_pair_with_the_header() -> None:
    body = json.dumps({"error": {"code": "not_found", "message": "x", "requestId": "req_a"}})
    found = response_deviations(
        POLL,
        status=404,
        headers={"x-request-id": "req_b"},
        body=body.encode(),
        expect_status=404,
        expect_code="not_found",
    )
    assert [d.kind for d in found] == ["header"]
    assert found[0].path == "$.error.requestId"


def test_text_report_groups_by_endpoint() -> None:
    records = [
        DriftRecord("a", (Deviation(POLL, "status", "404", "403"),)),
        DriftRecord("b", (Deviation(POLL, "code", "not_found", "x", "$.error.code"),)),
    ]
    text = report_text(records)
    assert text.count(POLL) == 1
    assert "expected 404, got 403" in text and "at $.error.code" in text
    assert report_text([]).startswith("No drift")
    warned = report_text([DriftRecord("c", (Deviation(POLL, "extra_field", "absent", "present"),))])
    assert warned.startswith("No drift") and "Compatible changes" in warned
