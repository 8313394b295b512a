"""Checks that need a second account or a scenario: ownership, credits, limits, the switch.

They run where the target offers scenario control (the mock in process or
over HTTP); against the live API they are left out.
"""

from __future__ import annotations

import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.control import ScenarioControl
from rivya_contract.contract_tests.endpoints import CREATE, CREDITS, FILE, POLL
from rivya_contract.contract_tests.test_generations import TEXT_TO_IMAGE, create
from rivya_contract.mock_server import media

pytestmark = pytest.mark.needs_control


@pytest.mark.paid(credits=4)
def test_another_accounts_task_and_file_are_not_found(
    api: ContractClient, control: ScenarioControl
) -> None:
    task = expect(create(api, TEXT_TO_IMAGE), CREATE, status=(200, 201, 202), schema="task")
    response = api.request(
        "POST",
        "/api/v1/files",
        data={"kind": "image"},
        files={"file": ("a.png", media.sample("image/png"), "image/png")},
    )
    stored = expect(response, "POST /api/v1/files", status=(200, 201), schema="file")
    stranger = control.accounts.issue_key(control.accounts.create(credits=10).id)
    foreign_task = api.request("GET", f"/api/v1/generations/{task['id']}", key=stranger)
    missing_task = api.request("GET", "/api/v1/generations/task_" + "f" * 24, key=stranger)
    foreign = expect(foreign_task, POLL, status=404, code="not_found")
    missing = expect(missing_task, POLL, status=404, code="not_found")
    assert foreign["error"]["message"] == missing["error"]["message"]
    foreign_file = api.request("GET", f"/api/v1/files/{stored['id']}", key=stranger)
    expect(foreign_file, FILE, status=404, code="not_found")


def test_short_balance_is_insufficient_credits(
    api: ContractClient, control: ScenarioControl
) -> None:
    account = control.accounts.create(credits=3)
    key = control.accounts.issue_key(account.id)
    response = api.request("POST", "/api/v1/generations", json_body=TEXT_TO_IMAGE, key=key)
    expect(response, CREATE, status=402, code="insufficient_credits")
    credits = expect(
        api.request("GET", "/api/v1/credits", key=key), CREDITS, status=200, schema="credits"
    )
    assert credits["current_credits"] == 3


@pytest.mark.parametrize(("code", "status"), [("rate_limited", 429), ("public_api_disabled", 503)])
def test_retryable_errors_carry_retry_after(
    api: ContractClient, control: ScenarioControl, code: str, status: int
) -> None:
    # An account of its own, so that no other check's request meets the fault.
    account = control.accounts.create(credits=1)
    key = control.accounts.issue_key(account.id)
    control.fault(path="/api/v1/credits", account=account.id, code=code)
    response = api.request("GET", "/api/v1/credits", key=key)
    expect(response, CREDITS, status=status, code=code)
    assert int(response.headers["retry-after"]) >= 0
    expect(api.request("GET", "/api/v1/credits", key=key), CREDITS, status=200, schema="credits")
