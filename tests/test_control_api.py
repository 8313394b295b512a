"""The control API: admin token, --no-control, accounts and keys, and its OpenAPI part."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_spec

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.schemas import surface, validate

CONTROL_ROUTES = tuple(op for op in surface().group("control") if not op.open)
OPEN_ROUTES = tuple(op for op in surface().group("control") if op.open)

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ADMIN = "s3cret-admin"
EXAMPLE_PATHS = {"accountId": "acct_demo", "itemId": "script_1"}


def concrete(path: str) -> str:
    for name, value in EXAMPLE_PATHS.items():
        path = path.replace("{" + name + "}", value)
    return path


def call(mock: Mock, method: str, path: str, body: Any = None, **headers: str) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    return mock.api.handle(method, path, headers=headers, body=raw)


@pytest.mark.parametrize("route", CONTROL_ROUTES, ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "mock_unauthorized"),
        ("Bearer wrong", "mock_unauthorized"),
        ("Basic x", "mock_unauthorized"),
    ],
)
def test_the_admin_token_is_required_when_set(
    route: Any, authorization: str | None, code: str
) -> None:
    mock = Mock(MockConfig(admin_token=ADMIN))
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = call(mock, route.method, concrete(route.path), **headers)
    assert (reply.status, reply.code) == (401, code)
    assert validate("error", json.loads(reply.body)) == []


def test_the_admin_token_opens_the_control_api() -> None:
    mock = Mock(MockConfig(admin_token=ADMIN, check_key_on_public=True))
    with TestClient(mock.app) as client:
        response = client.get("/__mock__/clock", headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200
    api_key_as_admin = call(
        mock, "GET", "/__mock__/clock", Authorization=f"Bearer {mock.config.api_key}"
    )
    assert api_key_as_admin.status == 401


@pytest.mark.parametrize("route", CONTROL_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_the_control_api_is_absent_with_control_off(route: Any) -> None:
    mock = Mock(MockConfig(control=False, admin_token=ADMIN))
    reply = call(mock, route.method, concrete(route.path), Authorization=f"Bearer {ADMIN}")
    unknown = call(mock, route.method, "/__nothing__/here")
    assert (reply.status, reply.code) == (unknown.status, unknown.code) == (404, "not_found")
    assert [entry.path for entry in mock.control.journal] == [
        concrete(route.path),
        "/__nothing__/here",
    ]


def test_the_control_api_has_a_document_of_its_own() -> None:
    mock = Mock(MockConfig(admin_token=ADMIN))
    public = json.loads(mock.backend.document("http://127.0.0.1:9"))
    served = call(mock, "GET", "/__mock__/openapi.json", Authorization=f"Bearer {ADMIN}")
    assert served.status == 200
    own = json.loads(served.body)
    validate_spec(public)
    validate_spec(own)
    assert not [path for path in public["paths"] if path.startswith("/__mock__")]
    assert "Mock control" not in [tag["name"] for tag in public["tags"]]
    assert "mockAdmin" not in public["components"]["securitySchemes"]
    operations = {
        (method.upper(), path): operation
        for path, item in own["paths"].items()
        for method, operation in item.items()
    }
    every = (*CONTROL_ROUTES, *OPEN_ROUTES)
    assert set(operations) == {(route.method, route.path) for route in every}
    for route in every:
        operation = operations[(route.method, route.path)]
        assert operation["tags"] == ["Mock control"]
        assert operation["operationId"] == route.id
        assert operation["security"] == ([] if route.open else [{"mockAdmin": []}])
    assert own["components"]["securitySchemes"]["mockAdmin"]["scheme"] == "bearer"
    refused = call(mock, "GET", "/__mock__/openapi.json")
    assert (refused.status, refused.code) == (401, "mock_unauthorized")
    off = Mock(MockConfig(control=False))
    assert call(off, "GET", "/__mock__/openapi.json").status == 404


def test_accounts_keys_and_balances() -> None:
    mock = Mock()
    created = call(mock, "POST", "/__mock__/accounts", {"id": "acct_qa", "credits": 12})
    assert (created.status, json.loads(created.body)["balance"]) == (201, 12)
    assert call(mock, "POST", "/__mock__/accounts", {"id": "acct_qa"}).status == 409
    made_up = json.loads(call(mock, "POST", "/__mock__/accounts").body)
    assert made_up["id"].startswith("acct_") and made_up["balance"] == 0
    issued = json.loads(
        call(
            mock, "POST", "/__mock__/keys", {"account_id": "acct_qa", "scopes": ["credits:read"]}
        ).body
    )
    assert issued["scopes"] == ["credits:read"] and issued["key"].startswith("rvya_sk_")
    auth = {"Authorization": f"Bearer {issued['key']}"}
    credits = mock.api.handle("GET", "/api/v1/credits", headers=auth)
    assert json.loads(credits.body) == {"current_credits": 12}
    denied = mock.api.handle("GET", "/api/v1/generations/task_x", headers=auth)
    assert (denied.status, denied.code) == (403, "api_scope_denied")
    balance = call(mock, "PUT", "/__mock__/accounts/acct_qa/balance", {"credits": 3})
    assert json.loads(balance.body)["balance"] == 3
    assert json.loads(mock.api.handle("GET", "/api/v1/credits", headers=auth).body) == {
        "current_credits": 3
    }
    listed = json.loads(call(mock, "GET", "/__mock__/accounts").body)["data"]
    assert {item["id"] for item in listed} == {"acct_demo", "acct_qa", made_up["id"]}
    assert call(mock, "GET", "/__mock__/accounts/acct_nobody").status == 404


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"revoked": True}, "api_key_revoked"),
        ({"expired": True}, "api_key_expired"),
        ({"expires_in": -5}, "api_key_expired"),
    ],
)
def test_keys_can_be_issued_revoked_or_expired(spec: dict[str, Any], code: str) -> None:
    mock = Mock()
    body = {"account_id": "acct_demo", "key": "rvya_sk_qa_state", **spec}
    assert call(mock, "POST", "/__mock__/keys", body).status == 201
    reply = mock.api.handle(
        "GET", "/api/v1/credits", headers={"Authorization": "Bearer rvya_sk_qa_state"}
    )
    assert (reply.status, reply.code) == (401, code)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/__mock__/keys", {"account_id": "acct_nobody"}, 404),
        ("/__mock__/keys", {"account_id": "acct_demo", "scopes": ["root"]}, 400),
        ("/__mock__/keys", {"account_id": "acct_demo", "key": "sk_live_x"}, 400),
        ("/__mock__/keys", {"account_id": "acct_demo", "expired": True, "expires_in": 5}, 400),
        ("/__mock__/accounts", {"credits": -1}, 400),
        ("/__mock__/accounts", {"id": "a b"}, 400),
        ("/__mock__/accounts", [1, 2], 400),
        ("/__mock__/clock", {"advance": "soon"}, 400),
    ],
)
def test_bad_control_requests_are_refused(path: str, body: Any, status: int) -> None:
    mock = Mock()
    reply = call(mock, "POST", path, body)
    assert reply.status == status
    assert validate("error", json.loads(reply.body)) == []


def test_malformed_json_is_a_400() -> None:
    mock = Mock()
    reply = mock.api.handle("POST", "/__mock__/faults", body=b"{oops")
    assert (reply.status, reply.code) == (400, "mock_request_invalid")


def test_python_accounts_helper() -> None:
    mock = Mock()
    account = mock.control.accounts.create(credits=50)
    key = mock.control.accounts.issue_key(account.id, scopes={"credits:read"})
    mock.control.accounts.set_balance(account.id, 8)
    reply = mock.api.handle("GET", "/api/v1/credits", headers={"Authorization": f"Bearer {key}"})
    assert json.loads(reply.body) == {"current_credits": 8}
    assert mock.control.accounts.get(account.id).ledger_ok()
    with pytest.raises(KeyError):
        mock.control.accounts.get("acct_nobody")
    with pytest.raises(ValueError):
        mock.control.accounts.set_balance(account.id, -1)
    with pytest.raises(ValueError):
        mock.control.accounts.issue_key(account.id, scopes={"everything"})


@pytest.mark.parametrize("path", ["/__mock__/", "/__mock__/assets/dashboard.js"])
def test_the_dashboard_page_and_assets_need_no_token_and_hold_no_state(path: str) -> None:
    assert {op.id for op in OPEN_ROUTES} == {"mockDashboard", "mockDashboardAsset"}
    mock = Mock(MockConfig(admin_token=ADMIN))
    reply = call(mock, "GET", path)
    assert reply.status == 200
    assert b"acct_demo" not in reply.body and mock.config.api_key.encode() not in reply.body
    assert "'self'" in reply.headers["Content-Security-Policy"]
