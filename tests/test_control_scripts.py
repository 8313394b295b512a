"""Scripted outcomes: matching, order, consumption, and the control API over them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rivya_contract.mock_server import Mock, MockConfig

PROMPT = "a red fox in the snow"


def mock_with_clock() -> Mock:
    return Mock(MockConfig(virtual_clock=True, failure_rate=0.0))


def create(mock: Mock, key: str | None = None, **fields: Any) -> str:
    body = {"model": "grok-imagine", "prompt": PROMPT, **fields}
    reply = mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={
            "Authorization": f"Bearer {key or mock.config.api_key}",
            "Content-Type": "application/json",
        },
        body=json.dumps(body).encode(),
    )
    assert reply.status == 202, reply.body
    task_id: str = json.loads(reply.body)["id"]
    return task_id


def status(mock: Mock, task_id: str) -> str:
    """Return the task's status now; an unscripted new task is queued (the card's timing)."""
    task = mock.backend.store.task(task_id)
    assert task is not None
    return task.status_at(mock.clock.now())


def test_the_default_outcome_is_immediate_success_at_the_first_poll() -> None:
    mock = mock_with_clock()
    script = mock.control.script()
    task_id = create(mock)
    assert status(mock, task_id) == "succeeded"
    assert (script.used, script.remaining) == (1, 0)
    assert mock.control.scripts == []


@pytest.mark.parametrize(
    ("match", "fields", "hit"),
    [
        ({"model": "grok-imagine"}, {}, True),
        ({"model": "grok-imagine-video"}, {}, False),
        ({"prompt_contains": "red fox"}, {}, True),
        ({"prompt_contains": "blue fox"}, {}, False),
        ({"client_request_id": "trace-1"}, {"client_request_id": "trace-1"}, True),
        ({"client_request_id": "trace-1"}, {"client_request_id": "trace-2"}, False),
        ({"client_request_id": "trace-1"}, {}, False),
        ({"account": "acct_demo"}, {}, True),
        ({"account": "acct_other"}, {}, False),
        ({"model": "grok-imagine", "prompt_contains": "fox", "account": "acct_demo"}, {}, True),
        ({"model": "grok-imagine", "prompt_contains": "cat"}, {}, False),
    ],
)
def test_scripts_match_every_given_field(
    match: dict[str, Any], fields: dict[str, Any], hit: bool
) -> None:
    mock = mock_with_clock()
    mock.control.script(outcome="processing", **match)
    task_id = create(mock, **fields)
    mock.clock.advance(3600)
    assert status(mock, task_id) == ("processing" if hit else "succeeded")
    assert len(mock.control.scripts) == (0 if hit else 1)


def test_scripts_match_by_account_of_the_key() -> None:
    mock = mock_with_clock()
    other = mock.control.accounts.create("acct_other", credits=100)
    key = mock.control.accounts.issue_key(other.id)
    mock.control.script(account=other.id, outcome="failed")
    mine = create(mock)
    theirs = create(mock, key=key)
    assert (status(mock, mine), status(mock, theirs)) == ("queued", "failed")
    assert mock.control.accounts.get(other.id).balance == 100


def test_the_first_registered_match_wins_and_each_is_consumed_its_times() -> None:
    mock = mock_with_clock()
    mock.control.script(prompt_contains="fox", outcome="failed", times=2)
    mock.control.script(prompt_contains="fox", outcome="processing")
    outcomes = [status(mock, create(mock)) for _ in range(4)]
    assert outcomes == ["failed", "failed", "processing", "queued"]


def test_a_script_without_a_limit_stays_until_removed() -> None:
    mock = mock_with_clock()
    script = mock.control.script(outcome="failed", times=None)
    assert [status(mock, create(mock)) for _ in range(3)] == ["failed"] * 3
    assert script.remaining is None and script.used == 3
    assert mock.control.remove(script.id) is True
    assert mock.control.remove(script.id) is False
    assert status(mock, create(mock)) == "queued"


def test_a_task_can_fail_straight_from_queued() -> None:
    mock = mock_with_clock()
    mock.control.script(outcome="failed", queued=10, processing=0)
    task_id = create(mock)
    seen = [status(mock, task_id)]
    mock.clock.advance(10)
    seen.append(status(mock, task_id))
    assert seen == ["queued", "failed"]


def test_processing_for_ever_keeps_the_reservation() -> None:
    mock = mock_with_clock()
    mock.control.script(outcome="processing", queued=1)
    task_id = create(mock)
    mock.clock.advance(10**6)
    assert status(mock, task_id) == "processing"
    account = mock.backend.balance()
    assert account.reserved > 0 and account.ledger_ok()


def test_an_idempotent_replay_does_not_consume_a_script() -> None:
    mock = mock_with_clock()
    mock.control.script(outcome="failed", times=2)
    body = json.dumps({"model": "grok-imagine", "prompt": PROMPT}).encode()
    headers = {
        "Authorization": f"Bearer {mock.config.api_key}",
        "Content-Type": "application/json",
        "Idempotency-Key": "same",
    }
    for _ in range(3):
        mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body)
    assert mock.control.scripts[0].used == 1


@pytest.mark.parametrize(
    "spec",
    [
        {"outcome": "exploded"},
        {"model": "no-such-model"},
        {"queued": -1},
        {"outcome": "failed", "processing": float("inf")},
        {"code": "Not A Code"},
        {"times": 0},
    ],
)
def test_bad_scripts_are_refused(spec: dict[str, Any]) -> None:
    mock = mock_with_clock()
    with pytest.raises(ValueError):
        mock.control.script(**spec)
    if spec.get("processing") != float("inf"):
        reply = mock.api.handle("POST", "/__mock__/scripts", body=json.dumps(spec).encode())
        assert (reply.status, reply.code) == (400, "mock_request_invalid")
    assert mock.control.scripts == []


def test_the_control_api_adds_lists_and_removes_scripts() -> None:
    mock = mock_with_clock()
    spec = {"prompt_contains": "fox", "outcome": "failed", "code": "nsfw", "times": 3}
    added = mock.api.handle("POST", "/__mock__/scripts", body=json.dumps(spec).encode())
    assert added.status == 201
    shown = json.loads(added.body)
    assert shown["id"].startswith("script_")
    assert (shown["outcome"], shown["code"], shown["remaining"]) == ("failed", "nsfw", 3)
    create(mock)
    listed = json.loads(mock.api.handle("GET", "/__mock__/scripts").body)["data"]
    assert [(item["id"], item["used"]) for item in listed] == [(shown["id"], 1)]
    wrong = mock.api.handle("DELETE", "/__mock__/faults/" + shown["id"])
    assert wrong.status == 404
    removed = mock.api.handle("DELETE", "/__mock__/scripts/" + shown["id"])
    assert removed.status == 200
    assert mock.api.handle("DELETE", "/__mock__/scripts/" + shown["id"]).status == 404
    mock.control.script(times=None)
    mock.control.script(outcome="failed")
    cleared = json.loads(mock.api.handle("DELETE", "/__mock__/scripts").body)
    assert cleared == {"deleted": 2}
    assert mock.control.scripts == []


def test_reset_forgets_scripts_faults_and_the_journal() -> None:
    mock = mock_with_clock()
    mock.control.script(times=None)
    mock.control.fault(code="not_found", times=None)
    mock.api.handle("GET", "/api/v1/models")
    assert mock.api.handle("POST", "/__mock__/reset").status == 200
    assert (mock.control.scripts, mock.control.faults, len(mock.control.journal)) == ([], [], 0)
    assert mock.api.handle("GET", "/api/v1/models").status == 200


def test_concurrent_creates_consume_a_script_exactly_its_times() -> None:
    mock = Mock(MockConfig(virtual_clock=True, credits=10_000, journal_size=10_000))
    mock.control.script(outcome="failed", times=50)
    with ThreadPoolExecutor(max_workers=4) as pool:
        task_ids = list(pool.map(lambda _: create(mock), range(200)))
    outcomes = [status(mock, task_id) for task_id in task_ids]
    assert outcomes.count("failed") == 50
    assert len(mock.control.journal) == 200
    assert mock.control.scripts == []
