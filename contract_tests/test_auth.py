"""Authentication and scopes on every endpoint that needs a key."""

from __future__ import annotations

import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.control import ScenarioControl
from rivya_contract.contract_tests.endpoints import SCOPED

ENDPOINTS = sorted(SCOPED)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_missing_key_is_api_key_missing(api: ContractClient, endpoint: str) -> None:
    method, path, _ = SCOPED[endpoint]
    expect(api.request(method, path, key=None), endpoint, status=401, code="api_key_missing")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_key_is_api_key_invalid(api: ContractClient, endpoint: str) -> None:
    method, path, _ = SCOPED[endpoint]
    response = api.request(method, path, key="rvya_sk_contract_not_a_real_key")
    expect(response, endpoint, status=401, code="api_key_invalid")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_non_bearer_scheme_is_refused(api: ContractClient, endpoint: str) -> None:
    method, path, _ = SCOPED[endpoint]
    response = api.request(method, path, key=None, headers={"Authorization": "Basic dXNlcjpw"})
    # The docs leave a malformed header's code open between these two.
    expect(response, endpoint, status=401, code=("api_key_missing", "api_key_invalid"))


@pytest.mark.needs_control
@pytest.mark.parametrize("state", ["revoked", "expired"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_dead_keys_are_refused(
    api: ContractClient, control: ScenarioControl, endpoint: str, state: str
) -> None:
    account = control.accounts.create(credits=100)
    key = control.accounts.issue_key(
        account.id, revoked=state == "revoked", expires_in=0 if state == "expired" else None
    )
    method, path, _ = SCOPED[endpoint]
    expect(api.request(method, path, key=key), endpoint, status=401, code=f"api_key_{state}")


@pytest.mark.needs_control
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_key_without_the_scope_is_api_scope_denied(
    api: ContractClient, control: ScenarioControl, endpoint: str
) -> None:
    method, path, scope = SCOPED[endpoint]
    account = control.accounts.create(credits=100)
    others = {s for _, _, s in SCOPED.values()} - {scope}
    key = control.accounts.issue_key(account.id, scopes=frozenset(others))
    expect(api.request(method, path, key=key), endpoint, status=403, code="api_scope_denied")
