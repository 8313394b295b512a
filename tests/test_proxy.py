"""The validating proxy over real HTTP: a served mock as the upstream, a client in front."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import httpx
from cassette_support import (
    SECRET_KEY,
    client_run,
    drifting,
    invalid_create,
    proxied,
    upstream,
    written_files,
)
from support import clean_env, rivya_mock

from rivya_contract.mock_server.cassette import load

TASK = "GET /api/v1/generations/{taskId}"
CREATE = "POST /api/v1/generations"


def test_a_client_through_the_proxy_gets_the_upstreams_answers_and_no_deviation() -> None:
    with upstream() as server, proxied(server.base_url) as (url, proxy, lines):
        run = client_run(url, SECRET_KEY)
    assert run.statuses()[-1] == "succeeded"
    assert "processing" in run.statuses()
    assert run.seen[-1][:2] == ("media", 200)
    # the URLs the upstream hands out lead through the proxy, so the media was seen too
    assert run.seen[1][2]["url"].startswith(url + "/")
    assert len(lines) == len(run.seen)
    assert all(line.endswith(": ok") for line in lines), lines
    report = json.loads(proxy.report_json())
    assert (report["breaking"], report["compatible"]) == (0, 0)
    assert report["passed"] == len(run.seen)
    assert proxy.report_text().startswith("No drift")


def test_a_drifting_upstream_gives_breaking_deviations_on_both_changes() -> None:
    with upstream(drifting) as server, proxied(server.base_url) as (url, proxy, lines):
        run = client_run(url, SECRET_KEY)
        refused = invalid_create(url, SECRET_KEY)
    assert refused.status_code == 422
    report = json.loads(proxy.report_json())
    found = {(d["endpoint"], d["kind"], d["path"], d["severity"]) for d in report["deviations"]}
    assert (TASK, "missing_field", "$.status", "breaking") in found
    assert (TASK, "extra_field", "$.state", "compatible") in found
    assert (CREATE, "status", "", "breaking") in found
    status = next(d for d in report["deviations"] if d["kind"] == "status")
    assert status["actual"] == "422 invalid_request"
    assert report["drift"] is True and report["breaking"] >= 3
    text = proxy.report_text()
    assert "Drift from the contract" in text and "$.status" in text
    broken = [line for line in lines if "breaking" in line and ": 0 breaking" not in line]
    # the create, every poll and the refused create; credits, upload and media are unchanged
    assert len(broken) == len(run.statuses()) + 2, lines


def test_the_clients_own_contract_breaks_are_reported_on_the_request_side() -> None:
    with upstream() as server, proxied(server.base_url) as (url, proxy, lines):
        refused = invalid_create(url, SECRET_KEY)
    assert refused.status_code == 400
    report = json.loads(proxy.report_json())
    (deviation,) = report["deviations"]
    assert deviation["check"].endswith("(request)")
    assert deviation["path"] == "$.params.aspect_ratio"
    assert deviation["severity"] == "breaking"
    assert "request schema at $.params.aspect_ratio" in lines[0]


def test_the_mocks_control_api_passes_through_unchecked() -> None:
    with upstream() as server, proxied(server.base_url) as (url, proxy, lines):
        answer = httpx.get(f"{url}/__mock__/openapi.json")
        unknown = httpx.get(f"{url}/elsewhere")
    assert answer.status_code == 200 and answer.json()["openapi"].startswith("3.")
    assert unknown.status_code == 404
    assert lines[0].endswith("the mock's control API, not checked")
    assert lines[1].endswith("not in the contract's surface")
    assert json.loads(proxy.report_json())["deviations"] == []


def test_an_unreachable_upstream_is_a_502_naming_it() -> None:
    with upstream() as server:
        gone = server.base_url
    with proxied(gone) as (url, _, lines):
        answer = invalid_create(url, SECRET_KEY)
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "proxy_upstream_unreachable"
    assert gone in answer.json()["error"]["message"]
    assert "502" in lines[0]


def test_the_proxy_command_records_and_reports_and_no_file_or_line_holds_the_key(
    tmp_path: Path,
) -> None:
    cassettes, report = tmp_path / "cassettes", tmp_path / "report.json"
    with upstream() as server:
        args = [str(rivya_mock()), "proxy", "--upstream", server.base_url, "--port", "0"]
        args += ["--record", str(cassettes), "--scenario", "video-job", "--report", str(report)]
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("rivya-mock proxy http://127.0.0.1:"), first
        url = first.split()[2]
        # the key also travels in a body: it must be redacted there too
        run = client_run(url, SECRET_KEY, prompt=f"remember {SECRET_KEY}")
        invalid_create(url, SECRET_KEY)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 1, err  # the invalid create broke the contract
    exchange_lines = [line for line in out.splitlines() if line.startswith("#")]
    assert len(exchange_lines) == len(run.seen) + 1
    assert "Drift from the contract" in out
    cassette = load(cassettes / "video-job.json")
    assert len(cassette.exchanges) == len(run.seen) + 1
    assert json.loads(report.read_text())["breaking"] == 1
    written = written_files(tmp_path)
    assert {p.name for p in written} >= {"video-job.json", "report.json"}
    assert any(p.parent.name == "blobs" for p in written)
    for path in written:
        assert SECRET_KEY.encode() not in path.read_bytes(), path
    assert SECRET_KEY not in out and SECRET_KEY not in err
    shown = json.dumps(cassette.exchanges)
    assert "Bearer [redacted]" in shown and "rvya_sk_[redacted]" in shown
