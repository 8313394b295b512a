"""Reads that cost nothing: credits, and ids that do not exist."""

from __future__ import annotations

import pytest

from rivya_contract.contract_tests.client import ContractClient, expect
from rivya_contract.contract_tests.endpoints import CREDITS, FILE, POLL


def test_credits_match_schema(api: ContractClient) -> None:
    body = expect(api.request("GET", "/api/v1/credits"), CREDITS, status=200, schema="credits")
    assert body["current_credits"] >= 0


@pytest.mark.parametrize("task_id", ["task_contract_missing", "task_" + "0" * 24, "nonsense"])
def test_unknown_task_is_not_found(api: ContractClient, task_id: str) -> None:
    expect(api.request("GET", f"/api/v1/generations/{task_id}"), POLL, status=404, code="not_found")


@pytest.mark.parametrize("file_id", ["file_contract_missing", "file_" + "0" * 24])
def test_unknown_file_is_not_found(api: ContractClient, file_id: str) -> None:
    expect(api.request("GET", f"/api/v1/files/{file_id}"), FILE, status=404, code="not_found")


def test_every_response_carries_a_request_id(api: ContractClient) -> None:
    ids = set()
    for _ in range(3):
        response = api.request("GET", "/api/v1/credits")
        expect(response, CREDITS, status=200, schema="credits")
        ids.add(response.headers["x-request-id"])
    assert len(ids) == 3, "request ids must be unique per request"
