"""Concurrency over real HTTP: many connections at once, exact counts, an exact ledger.

Every request has its own connection (up to 1,000 open at once, opened before
any request is sent), so the requests really are concurrent at the server, the
mock served by uvicorn.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hostile_support import (
    MODEL,
    PRICE,
    AsyncConnection,
    Live,
    RawReply,
    live_mock,
    open_connections,
)
from support import API, check_envelope

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import DEMO_ACCOUNT
from rivya_contract.schemas import validate

ORDER = {"queued": 0, "processing": 1, "succeeded": 2, "failed": 2}
"""Where each status sits in a task's life; a task never moves to a lower number."""

Request = tuple[Any, dict[str, str]]
"""A create: its JSON body and its headers."""


async def create_all(live: Live, requests: Sequence[Request]) -> list[RawReply]:
    """Open one connection per create, all at once, then send every create concurrently."""
    connections = await open_connections(live.address, len(requests))
    try:
        return await asyncio.gather(
            *(
                connection.request("POST", f"{API}/generations", headers, body)
                for connection, (body, headers) in zip(connections, requests, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))


def task_of(reply: RawReply) -> dict[str, Any]:
    """Return the task a create or poll reply holds, checked against the schema."""
    task: dict[str, Any] = reply.json()
    assert validate("task", task) == [], task
    return task


@pytest.fixture
def frozen() -> Iterator[Live]:
    """A mock whose virtual clock stands still, so no reservation settles during a test."""
    with live_mock(MockConfig(virtual_clock=True)) as live:
        yield live
        assert live.errors.take() == []


def test_thousand_creates_sharing_a_hundred_idempotency_keys(frozen: Live) -> None:
    live, keys, count = frozen, 100, 1000
    requests = [
        (
            {"model": MODEL, "prompt": f"a fox, take {n % keys}"},
            live.auth(**{"Idempotency-Key": f"idem-{n % keys}"}),
        )
        for n in range(count)
    ]
    replies = asyncio.run(create_all(live, requests))
    assert Counter(reply.status for reply in replies) == {202: count}
    ids_by_key: dict[int, set[str]] = {}
    for n, reply in enumerate(replies):
        ids_by_key.setdefault(n % keys, set()).add(task_of(reply)["id"])
    assert all(len(ids) == 1 for ids in ids_by_key.values())
    assert len(set().union(*ids_by_key.values())) == keys
    replayed = Counter(reply.headers.get("idempotent-replayed") for reply in replies)
    assert replayed == {None: keys, "true": count - keys}
    assert live.credits() == live.mock.config.credits - keys * PRICE
    account = live.mock.backend.balance(DEMO_ACCOUNT)
    assert account.reserved == keys * PRICE and account.ledger_ok()


def test_same_key_with_two_different_bodies_keeps_exactly_one(frozen: Live) -> None:
    live, keys, count = frozen, 50, 500
    requests = [
        (
            {"model": MODEL, "prompt": f"variant {n % 2} of key {n % keys}"},
            live.auth(**{"Idempotency-Key": f"k{n % keys}"}),
        )
        for n in range(count)
    ]
    replies = asyncio.run(create_all(live, requests))
    for key in range(keys):
        mine = [(n, reply) for n, reply in enumerate(replies) if n % keys == key]
        won = [(n, reply) for n, reply in mine if reply.status == 202]
        assert won and len({task_of(reply)["id"] for _, reply in won}) == 1
        assert len({n % 2 for n, _ in won}) == 1, "both bodies were accepted for one key"
        for _, reply in mine:
            if reply.status != 202:
                assert reply.status == 409
                check_envelope(reply.json(), reply.headers["x-request-id"], "idempotency_conflict")
    assert live.credits() == live.mock.config.credits - keys * PRICE
    assert live.mock.backend.balance(DEMO_ACCOUNT).ledger_ok()


@pytest.mark.parametrize("key_count", [1, 5], ids=["one key", "five keys of one wallet"])
def test_creates_racing_for_the_last_credits(key_count: int) -> None:
    start, racers = 10 * PRICE, 50
    with live_mock(MockConfig(virtual_clock=True, credits=start)) as live:
        issued = [live.mock.control.accounts.issue_key(DEMO_ACCOUNT) for _ in range(1, key_count)]
        secrets = [live.key, *issued]
        requests = [
            ({"model": MODEL, "prompt": f"racer {n}"}, {"Authorization": f"Bearer {secret}"})
            for n, secret in enumerate(secrets * (racers // key_count))
        ]
        replies = asyncio.run(create_all(live, requests))
        assert Counter(reply.status for reply in replies) == {202: 10, 402: racers - 10}
        for reply in replies:
            if reply.status == 402:
                error = check_envelope(
                    reply.json(), reply.headers["x-request-id"], "insufficient_credits"
                )
                assert error["message"].endswith("the balance is 0.")
        assert len({task_of(reply)["id"] for reply in replies if reply.status == 202}) == 10
        assert live.credits() == 0
        account = live.mock.backend.balance(DEMO_ACCOUNT)
        assert account.balance == 0 and account.reserved == start and account.ledger_ok()
        assert live.errors.take() == []


@dataclass
class Observation:
    """What one poller saw of one task, in the order it saw it."""

    task_id: str
    status: str
    updated_at: str


def check_forward_only(seen: Sequence[Observation]) -> None:
    """Assert that, per task, statuses never move back and updated_at never decreases."""
    last: dict[str, Observation] = {}
    for now in seen:
        before = last.get(now.task_id)
        if before is not None:
            assert ORDER[now.status] >= ORDER[before.status], (before, now)
            assert now.updated_at >= before.updated_at, (before, now)
            if ORDER[before.status] == 2:
                assert now.status == before.status, (before, now)
        last[now.task_id] = now


def test_polls_racing_state_transitions_never_go_backwards() -> None:
    config = MockConfig(queued_seconds=0.2, processing_seconds=0.2, failure_rate=0.5, seed=7)
    tasks, pollers, window = 20, 50, 10.0
    with live_mock(config) as live:
        created = [live.create({"model": MODEL, "prompt": f"task {n}"}) for n in range(tasks)]
        assert all(response.status_code == 202 for response in created)
        ids = [response.json()["id"] for response in created]

        async def poll(connection: AsyncConnection, n: int, deadline: float) -> list[Observation]:
            seen: list[Observation] = []
            done: set[str] = set()
            loop = asyncio.get_running_loop()
            while len(done) < tasks and loop.time() < deadline:
                task_id = ids[(n + len(seen)) % tasks]
                reply = await connection.request("GET", f"{API}/generations/{task_id}", live.auth())
                assert reply.status == 200, reply.body
                task = task_of(reply)
                seen.append(Observation(task_id, task["status"], task["updated_at"]))
                if ORDER[task["status"]] == 2:
                    done.add(task_id)
            return seen

        async def watch_wallet(connection: AsyncConnection, stop: asyncio.Event) -> list[int]:
            balances = []
            while not stop.is_set():
                reply = await connection.request("GET", f"{API}/credits", live.auth())
                balances.append(reply.json()["current_credits"])
            return balances

        async def run() -> tuple[list[list[Observation]], list[int]]:
            connections = await open_connections(live.address, pollers + 1)
            deadline = asyncio.get_running_loop().time() + window
            stop = asyncio.Event()
            watching = asyncio.ensure_future(watch_wallet(connections[-1], stop))
            polled = await asyncio.gather(
                *(poll(connections[n], n, deadline) for n in range(pollers))
            )
            stop.set()
            balances = await watching
            await asyncio.gather(*(connection.close() for connection in connections))
            return polled, balances

        polled, balances = asyncio.run(run())
        for seen in polled:
            check_forward_only(seen)
        every = [observation for seen in polled for observation in seen]
        assert {o.status for o in every} == {"queued", "processing", "succeeded", "failed"}
        final = {o.task_id: o.status for o in every if ORDER[o.status] == 2}
        assert len(final) == tasks, "not every task finished within the window"
        assert all(balance >= 0 for balance in balances) and balances == sorted(balances)
        succeeded = sum(status == "succeeded" for status in final.values())
        assert live.credits() == config.credits - succeeded * PRICE
        account = live.mock.backend.balance(DEMO_ACCOUNT)
        assert account.reserved == 0 and account.spent == succeeded * PRICE
        assert account.ledger_ok()
        assert live.errors.take() == []


def test_two_wallets_racing_at_once_stay_separate() -> None:
    start, racers = 10 * PRICE, 50
    with live_mock(MockConfig(virtual_clock=True, credits=start)) as live:
        other = live.mock.control.accounts.create("acct_racer", credits=start)
        keys = {DEMO_ACCOUNT: live.key, other.id: live.mock.control.accounts.issue_key(other.id)}
        owners = [DEMO_ACCOUNT, other.id] * racers
        requests = [
            ({"model": MODEL, "prompt": f"racer {n}"}, {"Authorization": f"Bearer {keys[owner]}"})
            for n, owner in enumerate(owners)
        ]
        replies = asyncio.run(create_all(live, requests))
        for account_id in keys:
            mine = [
                reply for reply, owner in zip(replies, owners, strict=True) if owner == account_id
            ]
            assert Counter(reply.status for reply in mine) == {202: 10, 402: racers - 10}
            account = live.mock.backend.balance(account_id)
            assert account.balance == 0 and account.reserved == start and account.ledger_ok()
        assert live.errors.take() == []
