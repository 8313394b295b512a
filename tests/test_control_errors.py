"""Every documented error code on demand, by control API, by header and by Python API."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.schemas import contract, validate

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

CODES = sorted(contract().error_status)
RETRY_AFTER_DEFAULTS = {"rate_limited": "1", "public_api_disabled": "60"}
"""The Retry-After an injected code carries when none is asked for."""

Send = Callable[[Mock, str, str, dict[str, str]], httpx.Response]
Inject = Callable[[Mock, Send, dict[str, Any]], dict[str, str]]


def via_asgi(mock: Mock, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    with TestClient(mock.app) as client:
        response: httpx.Response = client.request(method, path, headers=headers)
    return response


def via_core(mock: Mock, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    reply = mock.api.handle(method, path, headers=headers)
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body)


def by_control_api(mock: Mock, send: Send, spec: dict[str, Any]) -> dict[str, str]:
    """Register the fault with POST /__mock__/faults; the request needs no header."""
    reply = mock.api.handle("POST", "/__mock__/faults", body=json.dumps(spec).encode())
    assert reply.status == 201, reply.body
    return {}


def by_header(mock: Mock, send: Send, spec: dict[str, Any]) -> dict[str, str]:
    """Return the X-Rivya-Mock header asking for the fault."""
    parts = [f"status={spec.get('code') or spec.get('status')}"]
    if "retry_after" in spec:
        parts.append(f"retry-after={spec['retry_after']}")
    return {"X-Rivya-Mock": "; ".join(parts)}


def by_python(mock: Mock, send: Send, spec: dict[str, Any]) -> dict[str, str]:
    """Register the fault with mock.control.fault(...)."""
    mock.control.fault(**spec)
    return {}


PATHS = {"control-api": by_control_api, "header": by_header, "python": by_python}
TRANSPORTS = {"asgi": via_asgi, "core": via_core}


@pytest.fixture(params=sorted(PATHS))
def inject(request: pytest.FixtureRequest) -> Inject:
    chosen: Inject = PATHS[request.param]
    return chosen


@pytest.fixture(params=sorted(TRANSPORTS))
def send(request: pytest.FixtureRequest) -> Send:
    chosen: Send = TRANSPORTS[request.param]
    return chosen


def auth(mock: Mock) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.config.api_key}"}


@pytest.mark.parametrize("code", CODES)
def test_every_documented_code_on_demand(code: str, inject: Inject, send: Send) -> None:
    mock = Mock()
    headers = {**auth(mock), **inject(mock, send, {"code": code})}
    response = send(mock, "GET", "/api/v1/credits", headers)
    assert response.status_code == contract().error_status[code]
    payload = response.json()
    assert validate("error", payload) == []
    assert payload["error"]["code"] == code
    assert payload["error"]["requestId"] == response.headers["x-request-id"]
    assert response.headers.get("retry-after") == RETRY_AFTER_DEFAULTS.get(code)
    entry = mock.control.journal[-1]
    assert (entry.status, entry.code) == (response.status_code, code)


@pytest.mark.parametrize("code", ["rate_limited", "public_api_disabled", "not_found"])
def test_retry_after_can_be_chosen(code: str, inject: Inject, send: Send) -> None:
    mock = Mock()
    headers = {**auth(mock), **inject(mock, send, {"code": code, "retry_after": 7})}
    response = send(mock, "GET", "/api/v1/credits", headers)
    assert response.status_code == contract().error_status[code]
    assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize("retry_after", [None, 5])
def test_bare_server_errors(status: int, retry_after: int | None, inject: Inject) -> None:
    mock = Mock()
    spec: dict[str, Any] = {"status": status}
    if retry_after is not None:
        spec["retry_after"] = retry_after
    headers = {**auth(mock), **inject(mock, via_core, spec)}
    response = via_core(mock, "GET", "/api/v1/credits", headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"code", "message", "requestId"}
    assert error["code"] not in contract().error_status
    expected = None if retry_after is None else str(retry_after)
    assert response.headers.get("retry-after") == expected


def test_faults_are_consumed_n_times_then_the_request_is_answered() -> None:
    mock = Mock()
    fault = mock.control.fault(method="GET", path="/api/v1/credits", code="rate_limited", times=2)
    statuses = [via_core(mock, "GET", "/api/v1/credits", auth(mock)).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert (fault.used, fault.remaining) == (2, 0)
    assert mock.control.faults == []


def test_faults_match_method_path_template_and_account() -> None:
    mock = Mock()
    other = mock.control.accounts.create("acct_other", credits=5)
    other_key = mock.control.accounts.issue_key(other.id)
    mock.control.fault(path="/api/v1/generations/{taskId}", code="not_found", times=None)
    mock.control.fault(account=other.id, code="api_key_revoked", times=None)
    mock.control.fault(method="DELETE", code="validation_failed", times=None)
    assert via_core(mock, "GET", "/api/v1/generations/task_x", auth(mock)).status_code == 404
    assert via_core(mock, "GET", "/api/v1/credits", auth(mock)).status_code == 200
    other_auth = {"Authorization": f"Bearer {other_key}"}
    response = via_core(mock, "GET", "/api/v1/credits", other_auth)
    assert response.json()["error"]["code"] == "api_key_revoked"


def test_a_fault_never_touches_the_control_api() -> None:
    mock = Mock()
    mock.control.fault(code="public_api_disabled", times=None)
    assert mock.api.handle("GET", "/__mock__/clock").status == 200
    assert mock.api.handle("GET", "/api/v1/models").status == 503


def test_the_header_overrides_a_fault_for_its_request() -> None:
    mock = Mock()
    mock.control.fault(code="rate_limited")
    headers = {**auth(mock), "X-Rivya-Mock": "status=insufficient_credits"}
    response = via_core(mock, "GET", "/api/v1/credits", headers)
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert mock.control.faults == []


def test_an_injected_message_is_used() -> None:
    mock = Mock()
    mock.control.fault(code="validation_failed", message="prompt: too spicy")
    headers = {**auth(mock), "X-Rivya-Mock": "status=not_found; message=gone fishing"}
    first = via_core(mock, "GET", "/api/v1/credits", auth(mock)).json()
    second = via_core(mock, "GET", "/api/v1/credits", headers).json()
    assert first["error"]["message"] == "prompt: too spicy"
    assert second["error"]["message"] == "gone fishing"


@pytest.mark.parametrize(
    "spec",
    [
        {"code": "teapot"},
        {"status": 418},
        {"code": "not_found", "status": 500},
        {"retry_after": 3},
        {},
        {"delay": -1},
        {"delay": 10_000},
        {"code": "not_found", "times": 0},
        {"code": "not_found", "path": "api/v1/credits"},
    ],
)
def test_bad_faults_are_refused(spec: dict[str, Any]) -> None:
    mock = Mock()
    with pytest.raises(ValueError):
        mock.control.fault(**spec)
    reply = mock.api.handle("POST", "/__mock__/faults", body=json.dumps(spec).encode())
    assert reply.status == 400
    assert json.loads(reply.body)["error"]["code"] == "mock_request_invalid"
    assert mock.control.faults == []


def test_task_failure_codes_by_script_and_by_header() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    mock.control.script(outcome="failed", code="content_policy_violation", message="no")
    body = json.dumps({"model": "grok-imagine", "prompt": "a fox"}).encode()
    headers = {**auth(mock), "Content-Type": "application/json"}
    scripted = mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body)
    directive = {**headers, "X-Rivya-Mock": "fail=upstream_timeout; message=slow; queued=1s"}
    told = mock.api.handle("POST", "/api/v1/generations", headers=directive, body=body)
    mock.clock.advance(1)
    errors = []
    for created in (scripted, told):
        task_id = json.loads(created.body)["id"]
        polled = mock.api.handle("GET", f"/api/v1/generations/{task_id}", headers=auth(mock))
        task = json.loads(polled.body)
        assert validate("task", task) == []
        assert (task["status"], task["final_credits"]) == ("failed", 0)
        errors.append(task["error"])
    assert errors == [
        {"code": "content_policy_violation", "message": "no"},
        {"code": "upstream_timeout", "message": "slow"},
    ]
    assert mock.backend.balance().balance == mock.config.credits
