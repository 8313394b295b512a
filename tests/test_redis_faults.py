"""The shared store under faults: a worker killed mid-load, Redis restarted mid-run.

Afterwards every reservation belongs to a task, every task holds its reservation and
the ledger is exact (read back from Redis), and the server answers again by itself.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from redis_support import RedisServer, namespace
from support import Served, served
from test_redis_scale import AUTH, CHEAP, ledger_exact

from rivya_contract.mock_server.redis_store import RedisStore, connect

LOAD = 400
RECOVERY_TIMEOUT = 30.0


def workers_of(server: Served) -> list[int]:
    """Return the pids of the worker processes of a ``serve --workers`` process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server.process.pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def create(client: httpx.Client, url: str) -> int | str:
    """Send one create; return its status, its error code, or the transport error's name."""
    try:
        answer = client.post(url + "/api/v1/generations", json=CHEAP, headers=AUTH)
    except httpx.TransportError as error:
        return type(error).__name__
    if answer.status_code == 202:
        return 202
    return str(answer.json()["error"]["code"])


def until_served(client: httpx.Client, url: str) -> None:
    """Retry a create until one is answered 202 (the server recovered), within a deadline."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while create(client, url) != 202:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.05)  # a retry interval while waiting for recovery, not a race


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, with an append-only file fsynced on every write."""
    with RedisServer(tmp_path / "redis", appendonly=True) as server:
        yield server


def test_a_worker_killed_mid_load_leaves_an_exact_ledger(store_url: RedisServer) -> None:
    space = namespace()
    args = ["--workers", "2", "--store", store_url.url, "--namespace", space, "--credits", "5000"]
    with served(*args) as server, httpx.Client(timeout=30.0) as client:
        until_served(client, server.base_url)
        answered = threading.Event()
        count = 0

        def one(n: int) -> int | str:
            nonlocal count
            result = create(client, server.base_url)
            count += 1
            if count >= LOAD // 4:
                answered.set()
            return result

        with ThreadPoolExecutor(16) as pool:
            results = pool.map(one, range(LOAD))
            assert answered.wait(RECOVERY_TIMEOUT)
            victims = workers_of(server)
            assert len(victims) == 2, victims
            os.kill(victims[0], signal.SIGKILL)
            outcomes = Counter(results)
        assert outcomes[202] >= LOAD // 4 and "internal_error" not in outcomes, outcomes
        until_served(client, server.base_url)  # the supervisor started a new worker
        store = RedisStore(connect(store_url.url), space)
        ledger_exact(store)
        tasks = store.tasks()
        assert len(tasks) >= outcomes[202] + 1, "every answered create made a task"
        store.client.close()


def test_redis_restarted_mid_run_leaves_an_exact_ledger(store_url: RedisServer) -> None:
    space = namespace()
    args = ["--store", store_url.url, "--namespace", space, "--credits", "5000"]
    with served(*args) as server, httpx.Client(timeout=30.0) as client:
        url = server.base_url
        until_served(client, url)
        before = [create(client, url) for _ in range(50)]
        store_url.stop()
        down = client.get(url + "/api/v1/credits", headers=AUTH)
        assert down.status_code == 503, down.text
        error = down.json()["error"]
        assert error["code"] == "mock_store_unavailable"
        assert store_url.url.removesuffix("/0") in error["message"]
        store_url.start()
        until_served(client, url)
        after = [create(client, url) for _ in range(50)]
        assert Counter(before + after) == {202: 100}
        server.process.send_signal(signal.SIGINT)
        server.process.wait(timeout=30)
        logged = "".join(server.stderr) + "".join(_drained(server))
        assert f"store {store_url.url} unreachable" in logged
        assert f"store {store_url.url} reachable again" in logged
    store = RedisStore(connect(store_url.url), space)
    ledger_exact(store)
    assert len(store.tasks()) == 100 + 2  # and the two that proved the server answered
    store.client.close()


def _drained(server: Served) -> Iterator[str]:
    while not server.stdout.empty():
        line = server.stdout.get()
        if line is None:
            return
        yield line
