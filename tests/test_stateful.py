"""The state machine: green against the mock, and red against mocks broken on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from rivya_contract.mock_server import Call, Mock, MockConfig, Reply
from rivya_contract.mock_server.records import Task
from rivya_contract.mock_server.store import Opened
from rivya_contract.plugin.stateful import RivyaStateMachine, run_state_machine
from rivya_contract.plugin.targets import Target, mock_target

BOUNDED = settings(
    max_examples=20,
    derandomize=True,
    stateful_step_count=25,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
QUICK = settings(BOUNDED, max_examples=4, stateful_step_count=15)
CATCH = settings(
    BOUNDED,
    max_examples=200,
    derandomize=True,
    phases=[Phase.generate],
    report_multiple_bugs=False,
)
"""For broken mocks: find the failure, skip shrinking it."""


@pytest.fixture
def target() -> Iterator[Target]:
    yield mock_target(Mock(MockConfig(virtual_clock=True)))


def test_the_machine_passes_against_the_in_process_mock(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert target.mock is not None
    api = target.mock.api
    done = api.done
    statuses: set[int] = set()

    def noting(call: Call, reply: Reply, route: Any) -> Reply:
        statuses.add(reply.status)
        return done(call, reply, route)

    monkeypatch.setattr(api, "done", noting)
    run_state_machine(target, BOUNDED)
    assert {200, 201, 202, 400, 404, 409} <= statuses


def test_the_machine_passes_when_failed_tasks_keep_their_credits() -> None:
    mock = Mock(MockConfig(virtual_clock=True, refund_on_failure=False, failure_rate=0.5))
    run_state_machine(mock_target(mock), QUICK)


def test_the_machine_passes_against_the_mock_over_http(rivya_server: Target) -> None:
    run_state_machine(rivya_server, QUICK)


def test_a_ledger_that_loses_credits_is_caught(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert target.mock is not None
    store = target.mock.backend.store
    open_task = store.open_task

    def greedy(task: Task, *args: Any, **kwargs: Any) -> Opened:
        opened = open_task(task, *args, **kwargs)
        if opened.task is not None:  # one credit more leaves the balance than the task holds
            store.grant(task.account_id, -1)
        return opened

    monkeypatch.setattr(store, "open_task", greedy)
    with pytest.raises(AssertionError, match="credits"):
        run_state_machine(target, CATCH)


def test_a_status_that_moves_back_is_caught(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    forward = Task.status_at

    def relapsing(self: Task, now: float) -> str:
        return "queued" if now >= self.finishes_at + 1 else forward(self, now)

    monkeypatch.setattr(Task, "status_at", relapsing)
    with pytest.raises(AssertionError, match="went from"):
        run_state_machine(target, CATCH)


def test_another_accounts_task_being_visible_is_caught(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert target.mock is not None
    store = target.mock.backend.store
    poll = store.poll

    def everyones(account_id: str, task_id: str, *args: Any, **kwargs: Any) -> Task | None:
        found = store.task(task_id)
        owner = account_id if found is None else found.account_id
        return poll(owner, task_id, *args, **kwargs)

    monkeypatch.setattr(store, "poll", everyones)
    with pytest.raises(AssertionError, match="not_found"):
        run_state_machine(target, CATCH)


def test_a_machine_can_be_built_for_any_target(target: Target) -> None:
    machine = RivyaStateMachine(target)
    try:
        assert machine.initial == MockConfig().credits
        assert set(machine.foreign) == {"task", "file"}
        machine.credit_ledger_is_conserved()
        machine.foreign_ids_are_not_found()
    finally:
        machine.teardown()
