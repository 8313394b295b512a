"""``rivya-mock ctl`` end to end: each command against a served mock, checked through the API."""

from __future__ import annotations

import contextlib
import io
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator

import httpx
import pytest
from support import STARTUP_TIMEOUT, Served, bearer, clean_env, rivya_mock, run_cli, served
from support import text_request as generation

from rivya_contract.mock_server import cli
from rivya_contract.mock_server.config import DEFAULT_API_KEY

ADMIN = "ctl-admin"


def ctl_command(server: Served) -> list[str]:
    return [str(rivya_mock()), "ctl", "--url", server.base_url, "--admin-token", ADMIN]


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with served("--virtual-clock", "--admin-token", ADMIN) as running:
        yield running


@pytest.fixture
def api(server: Served) -> Iterator[httpx.Client]:
    assert ctl(server, "reset").startswith("reset:")
    with server.client() as client:
        yield client


def ctl(server: Served, *args: str, ok: bool = True) -> str:
    """Run ``rivya-mock ctl`` in this process (the mock is a served subprocess)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["ctl", "--url", server.base_url, "--admin-token", ADMIN, *args])
    assert (code == 0) is ok, err.getvalue()
    return out.getvalue() if ok else err.getvalue()


def test_fault_add_list_and_clear(server: Served, api: httpx.Client) -> None:
    said = ctl(server, "fault", "add", "--code", "rate_limited", "--path", "/api/v1/credits")
    assert said.startswith("fault_") and "rate_limited on path=/api/v1/credits" in said
    listed = ctl(server, "fault", "list").splitlines()
    assert listed[0].split() == ["id", "answers", "matches", "used", "left"]
    assert "rate_limited" in listed[1] and "1 more time" in listed[1]
    assert api.get("/api/v1/credits", headers=bearer(DEFAULT_API_KEY)).status_code == 429
    assert ctl(server, "fault", "list").strip() == "no faults in force"

    ctl(server, "fault", "add", "--status", "503", "--always")
    fault_id = ctl(server, "fault", "list").splitlines()[1].split()[0]
    assert api.get("/api/v1/models").status_code == 503
    assert api.get("/api/v1/models").status_code == 503
    assert ctl(server, "fault", "clear", fault_id).strip() == f"removed {fault_id}"
    assert api.get("/api/v1/models").status_code == 200
    ctl(server, "fault", "add", "--code", "not_found", "--times", "3")
    assert ctl(server, "fault", "clear").strip() == "removed 1 fault"


def test_a_bad_fault_is_refused_with_the_mocks_message(server: Served) -> None:
    said = ctl(server, "fault", "add", "--code", "rate_limited", "--status", "500", ok=False)
    assert "mock_request_invalid: give a code or a status, not both" in said


def test_script_and_clock_advance(server: Served, api: httpx.Client) -> None:
    said = ctl(server, "script", "failed", "--code", "content_rejected", "--processing", "30s")
    assert "end failed" in said
    created = api.post("/api/v1/generations", headers=bearer(DEFAULT_API_KEY), json=generation())
    task = f"/api/v1/generations/{created.json()['id']}"
    assert api.get(task, headers=bearer(DEFAULT_API_KEY)).json()["status"] == "processing"
    assert ctl(server, "clock", "advance", "1m").startswith("clock now ")
    failed = api.get(task, headers=bearer(DEFAULT_API_KEY)).json()
    assert (failed["status"], failed["error"]["code"]) == ("failed", "content_rejected")


def test_keys_issue_revoke_expire_and_list(server: Served, api: httpx.Client) -> None:
    key = ctl(server, "keys", "issue", "--scope", "credits:read").strip()
    assert key.startswith("rvya_sk_")
    assert api.get("/api/v1/credits", headers=bearer(key)).status_code == 200
    assert api.get("/api/v1/files/f", headers=bearer(key)).json()["error"]["code"] == (
        "api_scope_denied"
    )
    assert ctl(server, "keys", "revoke", key).strip() == f"{key}: revoked"
    assert api.get("/api/v1/credits", headers=bearer(key)).json()["error"]["code"] == (
        "api_key_revoked"
    )
    assert ctl(server, "keys", "expire", DEFAULT_API_KEY).strip() == f"{DEFAULT_API_KEY}: expired"
    expired = api.get("/api/v1/credits", headers=bearer(DEFAULT_API_KEY)).json()
    assert expired["error"]["code"] == "api_key_expired"
    listed = ctl(server, "keys", "list")
    assert f"{key}  acct_demo" in listed and "revoked" in listed and "expires " in listed
    assert "mock_not_found: no such key" in ctl(server, "keys", "revoke", "rvya_sk_x", ok=False)


def test_credits_grant_and_reset(server: Served, api: httpx.Client) -> None:
    said = ctl(server, "credits", "grant", "500")
    assert said.strip() == "acct_demo: balance 1500 (granted 1500)"
    assert api.get("/api/v1/credits", headers=bearer(DEFAULT_API_KEY)).json() == {
        "current_credits": 1500
    }
    ctl(server, "reset")
    assert api.get("/api/v1/credits", headers=bearer(DEFAULT_API_KEY)).json() == {
        "current_credits": 1000
    }


def test_journal_prints_a_table_with_filters(server: Served, api: httpx.Client) -> None:
    ok = api.get("/api/v1/credits", headers=bearer(DEFAULT_API_KEY))
    missing = api.get("/api/v1/credits")
    rows = ctl(server, "journal").splitlines()
    assert rows[0].split() == ["time", "method", "path", "status", "code", "ms", "request", "id"]
    assert rows[1].split()[1:5] == ["GET", "/api/v1/credits", "200", "-"]
    assert rows[1].split()[-1] == ok.headers["X-Request-Id"]
    assert rows[2].split()[3:5] == ["401", "api_key_missing"]
    only = ctl(server, "journal", "--status", "401").splitlines()
    assert len(only) == 2 and only[1].split()[-1] == missing.headers["X-Request-Id"]


def test_journal_follow_prints_new_requests_until_ctrl_c(server: Served, api: httpx.Client) -> None:
    process = subprocess.Popen(
        [*ctl_command(server), "journal", "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    out = process.stdout

    def pump() -> None:
        for line in out:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert lines.get(timeout=STARTUP_TIMEOUT).split()[0] == "time"  # the (empty) table
        sent = api.get("/api/v1/models")
        line = lines.get(timeout=STARTUP_TIMEOUT)
        assert line.split()[1:4] == ["GET", "/api/v1/models", "200"]
        assert line.split()[-1] == sent.headers["X-Request-Id"]
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=STARTUP_TIMEOUT)
    assert code == 0 and "Traceback" not in process.stderr.read()


def test_the_installed_command_reads_its_env_and_exits_one_on_refusal() -> None:
    with served("--admin-token", ADMIN) as server:
        done = run_cli("ctl", "--url", server.base_url, "--admin-token", "nope", "fault", "list")
        assert done.returncode == 1
        assert "mock_unauthorized: The admin token is not valid." in done.stderr
        env = clean_env(RIVYA_MOCK_URL=server.base_url, RIVYA_MOCK_ADMIN_TOKEN=ADMIN)
        assert run_cli("ctl", "fault", "list", env=env).stdout.strip() == "no faults in force"
    gone = run_cli("ctl", "--url", server.base_url, "reset")
    assert gone.returncode == 1 and "no mock answers at" in gone.stderr
