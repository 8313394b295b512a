"""``rivya-mock serve`` on a console: the banner, one log line per request, Ctrl-C, a busy port."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess

import httpx
from support import STARTUP_TIMEOUT, bearer, clean_env, served

from rivya_contract.mock_server.config import DEFAULT_API_KEY

LINE = re.compile(
    r"^\d\d:\d\d:\d\d\.\d{3} (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
    r"(?P<code>[a-z_]+|-) (?P<ms>\d+\.\d) ms (?P<request_id>req_[0-9a-f]{24})$"
)


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=STARTUP_TIMEOUT)
    assert process.stderr is not None
    return code, process.stderr.read()


def test_sigint_exits_zero_with_one_line_and_no_traceback() -> None:
    with served() as server:
        with server.client() as client:
            assert client.get("/api/v1/models").status_code == 200
        server.wait_for("GET /api/v1/models 200")
        code, errors = _stop(server.process)
        assert code == 0
        assert "Traceback" not in errors and "KeyboardInterrupt" not in errors
        assert errors == ""
        assert server.wait_for("stopped").strip() == "rivya-mock: stopped"


def test_each_api_request_is_one_line_with_its_request_id() -> None:
    with served() as server, server.client() as client:
        ok = client.get("/api/v1/credits", headers=bearer(DEFAULT_API_KEY))
        missing = client.get("/api/v1/credits")
        client.get("/__mock__/clock")  # control requests log at debug only
        unknown = client.get("/api/v1/nowhere")
        lines = [server.wait_for(" ms req_") for _ in range(3)]
        found = [LINE.match(line.rstrip("\n")) for line in lines]
        assert all(found), lines
        fields = [match.groupdict() for match in found if match]
        assert [(f["path"], f["status"], f["code"]) for f in fields] == [
            ("/api/v1/credits", "200", "-"),
            ("/api/v1/credits", "401", "api_key_missing"),
            ("/api/v1/nowhere", "404", "not_found"),
        ]
        ids = [r.headers["X-Request-Id"] for r in (ok, missing, unknown)]
        assert [f["request_id"] for f in fields] == ids


def test_json_logs_at_debug_include_control_requests() -> None:
    with served("--log-format", "json", "--log-level", "debug") as server:
        with server.client() as client:
            reply = client.get("/__mock__/health")
            assert reply.json()["status"] == "ok"
        line = json.loads(server.wait_for('"/__mock__/health"'))
        assert line["method"] == "GET" and line["status"] == 200 and line["code"] is None
        assert line["request_id"] == reply.headers["X-Request-Id"]
        assert line["level"] == "debug" and isinstance(line["ms"], float)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_warning_level_logs_no_requests() -> None:
    with served("--log-level", "warning") as server:
        with server.client() as client:
            client.get("/api/v1/models")
        code, _ = _stop(server.process)
        assert code == 0
        assert server.wait_for("stopped").strip() == "rivya-mock: stopped"
        assert not any(" ms req_" in line for line in server.announcement)


def test_the_banner_names_the_dashboard_control_api_and_metrics() -> None:
    with served("--admin-token", "t0ken") as server:
        base = server.base_url
        assert f"dashboard : {base}/__mock__/ (asks for the admin token)" in server.wait_for(
            "dashboard"
        )
        assert f"{base}/__mock__/" in server.wait_for("control")
        assert f"{base}/__mock__/metrics" in server.wait_for("metrics")
        assert all("t0ken" not in line for line in server.announcement)
    with served("--no-control") as server:
        assert "off (--no-control)" in server.wait_for("dashboard")
        with httpx.Client(base_url=server.base_url) as client:
            assert client.get("/__mock__/").json()["error"]["code"] == "not_found"


def test_a_port_in_use_suggests_port_zero() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*_rivya_mock(), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"127.0.0.1:{port} is in use" in done.stderr
    assert "--port 0" in done.stderr
    assert "Traceback" not in done.stderr


def _rivya_mock() -> list[str]:
    from support import rivya_mock

    return [str(rivya_mock())]
