"""Threads calling the in-process pipeline at once see each step whole: exact tasks and ledger."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from rivya_contract.mock_server import Mock, MockConfig

KEYS = 1000
COPIES = 4


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, to provoke interleaving."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("fast_switching")
def test_threaded_duplicates_make_one_task_per_key() -> None:
    mock = Mock(MockConfig(virtual_clock=True, credits=1_000_000))
    body = json.dumps({"model": "grok-imagine", "prompt": "a fox"}).encode()

    def create(key: str) -> tuple[int, str]:
        headers = {
            "Authorization": f"Bearer {mock.config.api_key}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        reply = mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body)
        return reply.status, json.loads(reply.body).get("id", "")

    keys = [f"key-{n}" for n in range(KEYS) for _ in range(COPIES)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, keys))
    assert {status for status, _ in results} == {202}
    by_key: dict[str, set[str]] = {}
    for key, (_, task_id) in zip(keys, results, strict=True):
        by_key.setdefault(key, set()).add(task_id)
    assert all(len(ids) == 1 for ids in by_key.values())
    account = mock.backend.balance()
    assert account.reserved == 4 * KEYS
    assert account.ledger_ok()


@pytest.mark.usefixtures("fast_switching")
def test_threaded_creates_never_overdraw() -> None:
    mock = Mock(MockConfig(virtual_clock=True, credits=40))
    body = json.dumps({"model": "grok-imagine", "prompt": "a fox"}).encode()
    headers = {"Authorization": f"Bearer {mock.config.api_key}", "Content-Type": "application/json"}

    def create(_: int) -> int:
        return mock.api.handle("POST", "/api/v1/generations", headers=headers, body=body).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(60)))
    assert statuses.count(202) == 10 and statuses.count(402) == 50
    account = mock.backend.balance()
    assert account.balance == 0 and account.ledger_ok()
