"""Many processes, one state: the Redis store over real HTTP and many connections.

Two topologies share one namespace on a real redis-server: one ``rivya-mock serve
--workers 2`` (the kernel spreads connections over its workers), and two separate
``rivya-mock serve`` processes (requests alternate between them). The ledger is read
back from Redis itself after every run.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from redis_support import RedisServer, namespace
from support import served

from rivya_contract.mock_server.config import DEFAULT_API_KEY
from rivya_contract.mock_server.redis_shared import SharedClock
from rivya_contract.mock_server.redis_store import RedisStore, connect
from rivya_contract.mock_server.serving import AppThread
from rivya_contract.plugin.webhook_receiver import WebhookReceiver

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
CHEAP = {"model": "nano-banana", "prompt": "a fox"}
"""A create that costs 3 credits (its model card)."""
FOUR = {"model": "grok-imagine", "prompt": "a fox"}
"""A create that costs 4 credits."""
CONNECTIONS = 32


@dataclass
class Cluster:
    """Mock processes serving one namespace, and a client that spreads requests over them."""

    urls: list[str]
    store: RedisStore
    client: httpx.Client

    def __post_init__(self) -> None:
        self._next = itertools.cycle(range(len(self.urls)))

    def url(self, path: str, which: int | None = None) -> str:
        """Return ``path`` on the process ``which``, or on the next one in turn."""
        return self.urls[next(self._next) if which is None else which] + path

    def reset(self, credits: int) -> None:
        """Reset the shared state and give the demo account ``credits``."""
        assert self.client.post(self.url("/__mock__/reset")).status_code == 200
        set_to = self.client.put(
            self.url("/__mock__/accounts/acct_demo/balance"), json={"credits": credits}
        )
        assert set_to.status_code == 200, set_to.text

    def create(self, body: dict[str, str], key: str | None = None) -> httpx.Response:
        """Send one create to the next process."""
        headers = dict(AUTH) if key is None else {**AUTH, "Idempotency-Key": key}
        return self.client.post(self.url("/api/v1/generations"), json=body, headers=headers)


def ledger_exact(store: RedisStore) -> None:
    """Assert every reservation belongs to a task and every task holds its reservation."""
    account = store.account("acct_demo")
    assert account is not None and account.ledger_ok(), account
    tasks = store.tasks()
    unsettled = sum(task.reserved_credits for task in tasks if not task.settled)
    assert account.reserved == unsettled, (account, len(tasks))
    spent = sum(task.final_credits for task in tasks if task.settled)
    assert account.spent == spent, (account, len(tasks))


@pytest.fixture(scope="module", params=["workers", "servers"])
def cluster(request: pytest.FixtureRequest, redis_server: RedisServer) -> Iterator[Cluster]:
    """Two processes on one namespace: ``--workers 2``, or two servers."""
    shared = ["--store", redis_server.url, "--namespace", namespace(), "--virtual-clock"]
    limits = httpx.Limits(max_connections=CONNECTIONS * 2, max_keepalive_connections=CONNECTIONS)
    with ExitStack() as stack:
        if request.param == "workers":
            urls = [stack.enter_context(served("--workers", "2", *shared)).base_url]
        else:
            urls = [stack.enter_context(served(*shared)).base_url for _ in range(2)]
        client = stack.enter_context(httpx.Client(timeout=60.0, limits=limits))
        store = RedisStore(connect(redis_server.url), shared[3])
        yield Cluster(urls, store, client)
        store.client.close()


def spread(count: int, call: object) -> list[httpx.Response]:
    """Run ``call(n)`` for n in range(count) over ``CONNECTIONS`` threads."""
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return list(pool.map(call, range(count)))  # type: ignore[arg-type]


def test_a_thousand_creates_over_a_hundred_keys_make_a_hundred_tasks(cluster: Cluster) -> None:
    cluster.reset(1000)
    answers = spread(1000, lambda n: cluster.create(CHEAP, key=f"key-{n % 100}"))
    assert Counter(answer.status_code for answer in answers) == {202: 1000}
    ids_by_key: dict[str, set[str]] = {}
    for n, answer in enumerate(answers):
        ids_by_key.setdefault(f"key-{n % 100}", set()).add(answer.json()["id"])
    assert all(len(ids) == 1 for ids in ids_by_key.values()), "one task per key"
    assert len(cluster.store.tasks()) == 100
    credits = cluster.client.get(cluster.url("/api/v1/credits"), headers=AUTH).json()
    assert credits == {"current_credits": 1000 - 100 * 3}
    ledger_exact(cluster.store)


def test_fifty_creates_racing_for_forty_credits_make_ten_tasks(cluster: Cluster) -> None:
    cluster.reset(40)
    answers = spread(50, lambda n: cluster.create(FOUR))
    codes = Counter(
        answer.status_code if answer.status_code == 202 else answer.json()["error"]["code"]
        for answer in answers
    )
    assert codes == {202: 10, "insufficient_credits": 40}
    assert len(cluster.store.tasks()) == 10
    wallet = cluster.store.account("acct_demo")
    assert wallet is not None and (wallet.balance, wallet.reserved) == (0, 40)
    ledger_exact(cluster.store)


def test_a_fault_for_three_requests_fires_three_times_in_all(cluster: Cluster) -> None:
    cluster.reset(1000)
    fault = {"path": "/api/v1/credits", "code": "rate_limited", "times": 3}
    assert cluster.client.post(cluster.url("/__mock__/faults"), json=fault).status_code == 201
    answers = spread(40, lambda n: cluster.client.get(cluster.url("/api/v1/credits"), headers=AUTH))
    assert Counter(answer.status_code for answer in answers) == {200: 37, 429: 3}
    listed = cluster.client.get(cluster.url("/__mock__/faults")).json()
    assert listed["data"] == []


@pytest.mark.parametrize("cluster", ["servers"], indirect=True)  # each process addressable
def test_a_task_made_by_one_process_is_polled_and_advanced_through_another(
    cluster: Cluster,
) -> None:
    cluster.reset(1000)
    made = cluster.client.post(cluster.url("/api/v1/generations", 0), json=CHEAP, headers=AUTH)
    task_id = made.json()["id"]
    seen = cluster.client.get(cluster.url(f"/api/v1/generations/{task_id}", 1), headers=AUTH)
    assert seen.status_code == 200 and seen.json()["status"] == "queued"
    before = cluster.client.get(cluster.url("/__mock__/clock", 1)).json()["epoch"]
    moved = cluster.client.post(cluster.url("/__mock__/clock", 0), json={"advance": 3600})
    assert moved.status_code == 200, moved.text
    after = cluster.client.get(cluster.url("/__mock__/clock", 1)).json()["epoch"]
    assert after == pytest.approx(before + 3600)
    done = cluster.client.get(cluster.url(f"/api/v1/generations/{task_id}", 1), headers=AUTH)
    assert done.json()["status"] == "succeeded"
    ledger_exact(cluster.store)


@pytest.mark.parametrize("cluster", ["servers"], indirect=True)
def test_each_finished_task_is_announced_once_whichever_process_moves_the_clock(
    cluster: Cluster,
) -> None:
    cluster.reset(1000)
    # Two advances at once each walk the shared time, so a delivery's timestamp can trail
    # the time the other one reached: this receiver checks signatures, not their age.
    receiver = WebhookReceiver(clock=SharedClock(cluster.store, virtual=True).now, tolerance=10**6)
    with AppThread(receiver.app) as app:
        receiver.base_url = app.base_url
        hook = {"url": receiver.url}
        made = cluster.client.post(cluster.url("/api/v1/webhooks", 0), json=hook, headers=AUTH)
        receiver.trust(made.json()["signing_secret"])
        tasks = {cluster.create(CHEAP).json()["id"] for _ in range(20)}  # on both processes
        advance = {"advance": 1800}
        moved = spread(
            2, lambda n: cluster.client.post(cluster.url("/__mock__/clock", n), json=advance)
        )
        assert [answer.status_code for answer in moved] == [200, 200]
        got = list(receiver.deliveries)  # each advance answers once it delivered what fell due
    assert sorted(delivery.event["data"]["id"] for delivery in got) == sorted(tasks)
    assert all(delivery.verified for delivery in got)
    attempts = cluster.client.get(cluster.url("/__mock__/webhook-deliveries", 1)).json()["data"]
    assert len(attempts) == 20


@pytest.mark.parametrize("cluster", ["servers"], indirect=True)
def test_the_journal_of_one_process_is_read_through_another(cluster: Cluster) -> None:
    cluster.reset(1000)
    sent = cluster.client.post(cluster.url("/api/v1/generations", 0), json=CHEAP, headers=AUTH)
    journal = cluster.client.get(cluster.url("/__mock__/journal", 1)).json()["data"]
    assert [entry["request_id"] for entry in journal] == [sent.headers["X-Request-Id"]]
    assert journal[0]["headers"]["authorization"] == "Bearer [redacted]"
    assert DEFAULT_API_KEY not in str(
        cluster.store.client.lrange(cluster.store.prefix + "journal", 0, -1)
    )
