"""Tasks timed by polls: "processing after 2 polls, succeeded after 5", per task."""

from __future__ import annotations

import httpx
import pytest
from hostile_support import Live
from support import account, in_process, ledger_ok, text_request

from rivya_contract.mock_server import Mock, MockConfig

POLLS = {"X-Rivya-Mock": "queued_polls=2; processing_polls=3"}


def _statuses(client: httpx.Client, task_id: str, polls: int) -> list[str]:
    return [client.get(f"/api/v1/generations/{task_id}").json()["status"] for _ in range(polls)]


def _client(mock: Mock) -> httpx.Client:
    client = in_process(mock)
    client.headers["Authorization"] = f"Bearer {mock.config.api_key}"
    return client


def test_a_header_times_the_task_by_polls_whatever_the_clock() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    with _client(mock) as client:
        task = client.post("/api/v1/generations", json=text_request(), headers=POLLS).json()
        assert task["status"] == "queued"
        mock.clock.advance(3600)  # time alone moves nothing
        seen = _statuses(client, task["id"], 7)
    assert seen == ["queued"] * 2 + ["processing"] * 3 + ["succeeded"] * 2
    wallet = account(mock)
    assert (wallet.reserved, wallet.spent) == (0, 4)
    assert ledger_ok(mock)


def test_a_script_fails_a_task_after_its_polls_and_refunds_it() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    mock.control.script(outcome="failed", queued_polls=0, processing_polls=1, code="nsfw")
    with _client(mock) as client:
        task = client.post("/api/v1/generations", json=text_request()).json()
        assert account(mock).reserved == 4
        first, second = (client.get(f"/api/v1/generations/{task['id']}").json() for _ in "ab")
    assert first["status"] == "processing"
    assert (second["status"], second["error"]["code"], second["final_credits"]) == (
        "failed",
        "nsfw",
        0,
    )
    wallet = account(mock)
    assert (wallet.balance, wallet.reserved, wallet.spent) == (1000, 0, 0)


def test_poll_counts_are_per_task() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    with _client(mock) as client:
        one = client.post("/api/v1/generations", json=text_request(), headers=POLLS).json()
        two = client.post("/api/v1/generations", json=text_request(), headers=POLLS).json()
        assert _statuses(client, one["id"], 6)[-1] == "succeeded"
        assert _statuses(client, two["id"], 1) == ["queued"]


def test_processing_for_ever_by_polls() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    mock.control.script(outcome="processing", queued_polls=1)
    with _client(mock) as client:
        task = client.post("/api/v1/generations", json=text_request()).json()
        assert _statuses(client, task["id"], 20) == ["queued"] + ["processing"] * 19
    assert account(mock).reserved == 4


def test_another_account_polling_does_not_count() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    stranger = mock.control.accounts.issue_key(mock.control.accounts.create(credits=1).id)
    with _client(mock) as client:
        task = client.post("/api/v1/generations", json=text_request(), headers=POLLS).json()
        for _ in range(10):
            other = client.get(
                f"/api/v1/generations/{task['id']}", headers={"Authorization": f"Bearer {stranger}"}
            )
            assert other.status_code == 404
        assert _statuses(client, task["id"], 1) == ["queued"]


@pytest.mark.parametrize("how", ["header", "control API"])
def test_poll_counted_lifecycle_over_http(live: Live, how: str) -> None:
    live.client.headers["Authorization"] = f"Bearer {live.key}"
    headers = {}
    if how == "header":
        headers = POLLS
    else:
        body = {"queued_polls": 2, "processing_polls": 3}
        assert live.client.post("/__mock__/scripts", json=body).status_code == 201
    created = live.client.post("/api/v1/generations", json=text_request(), headers=headers)
    task = created.json()
    assert created.status_code == 202, task
    seen = _statuses(live.client, task["id"], 6)
    assert seen == ["queued"] * 2 + ["processing"] * 3 + ["succeeded"]
    result = live.client.get(
        live.client.get(f"/api/v1/generations/{task['id']}").json()["result"]["primary_url"]
    )
    assert result.status_code == 200 and result.content.startswith(b"\x89PNG")
