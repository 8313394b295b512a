"""Every error body the mock can send is the documented envelope, its own and bare 5xx too."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support import API, bearer, in_process

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.schemas import contract, surface, validate
from rivya_contract.schemas.versioning import accepted_errors

ADMIN = "envelope-admin"


@pytest.fixture
def mock() -> Mock:
    return Mock(MockConfig(virtual_clock=True, admin_token=ADMIN))


@pytest.fixture
def client(mock: Mock) -> Iterator[httpx.Client]:
    with in_process(mock) as http:
        http.headers["X-Rivya-Mock-Token"] = ADMIN  # the directive header's guard
        yield http


def _envelope(response: httpx.Response, code: str | None = None) -> str:
    body = response.json()
    assert validate("error", body) == [], body  # the strict file schema: nothing more
    assert accepted_errors("error", body) == []
    assert body["error"]["requestId"] == response.headers["x-request-id"]
    if code is not None:
        assert body["error"]["code"] == code
    found: str = body["error"]["code"]
    return found


@pytest.mark.parametrize("status", range(500, 600))
def test_every_bare_5xx_answers_the_envelope(client: httpx.Client, status: int) -> None:
    response = client.get(f"{API}/credits", headers={"X-Rivya-Mock": f"status={status}"})
    assert response.status_code == status
    code = _envelope(response)
    assert code not in contract().error_status  # undocumented, as a gateway's would be


@pytest.mark.parametrize("code", sorted(contract().error_status))
def test_every_documented_code_answers_the_envelope(client: httpx.Client, code: str) -> None:
    response = client.get(f"{API}/credits", headers={"X-Rivya-Mock": f"status={code}"})
    assert response.status_code == contract().error_status[code]
    _envelope(response, code)


def test_the_mocks_own_codes_answer_the_envelope(client: httpx.Client) -> None:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    seen = {
        _envelope(client.get("/__mock__/clock"), "mock_unauthorized"),
        _envelope(
            client.post("/__mock__/clock", json={"advance": -1}, headers=admin),
            "mock_request_invalid",
        ),
        _envelope(client.get("/__mock__/accounts/acct_none", headers=admin), "mock_not_found"),
        _envelope(
            client.post("/__mock__/accounts", json={"id": "acct_demo"}, headers=admin),
            "mock_conflict",
        ),
        _envelope(client.put("/__mock__/clock", headers=admin), "mock_method_not_allowed"),
        _envelope(
            client.get(f"{API}/credits", headers={"X-Rivya-Mock": "nonsense=1"}),
            "mock_request_invalid",
        ),
    }
    away = Mock(MockConfig(store="redis://127.0.0.1:9/0"))  # nothing listens on port 9
    with in_process(away) as stranded:
        seen.add(_envelope(stranded.get(f"{API}/models"), "mock_store_unavailable"))
    assert seen == set(surface().mock_codes) - {"internal_error"}


def test_a_defect_answers_internal_error_in_the_envelope(
    mock: Mock, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> int:
        raise RuntimeError("a defect")

    monkeypatch.setattr(mock.backend, "balance", broken)
    response = client.get(f"{API}/credits", headers=bearer(mock.config.api_key))
    assert response.status_code == surface().mock_codes["internal_error"] == 500
    _envelope(response, "internal_error")
