"""Where the mock keeps its state: the ``Store`` interface and the in-memory store.

Every method is one atomic step (reserve credits, claim an idempotency key,
take the tasks due for settlement), so a store shared by several server
processes can implement the same interface.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from typing import Protocol

from rivya_contract.mock_server.records import (
    Account,
    ApiKey,
    IdempotencyRecord,
    StoredFile,
    Task,
)


class Store(Protocol):
    """The state behind the API. Implementations must make each method atomic."""

    def reset(self) -> None:
        """Forget everything."""

    def add_account(self, account: Account) -> None:
        """Store a new account."""

    def account(self, account_id: str) -> Account | None:
        """Return an account, or None."""

    def accounts(self) -> list[Account]:
        """Return every account."""

    def grant(self, account_id: str, credits: int) -> Account:
        """Add ``credits`` (may be negative, never below zero balance) to an account."""

    def add_key(self, key: ApiKey) -> None:
        """Store a key, replacing one with the same secret."""

    def key(self, secret: str) -> ApiKey | None:
        """Return the key with this secret, or None."""

    def keys(self) -> list[ApiKey]:
        """Return every key."""

    def reserve(self, account_id: str, credits: int) -> bool:
        """Move ``credits`` from balance to reserved if the balance covers them."""

    def release(self, account_id: str, credits: int, *, charged: int) -> None:
        """End a reservation of ``credits``: ``charged`` of it spent, the rest refunded."""

    def add_task(self, task: Task) -> None:
        """Store a new task."""

    def task(self, task_id: str) -> Task | None:
        """Return a task, or None."""

    def tasks(self) -> list[Task]:
        """Return every task kept, oldest first."""

    def record_poll(self, task_id: str, now: float) -> Task | None:
        """Count a poll of the task at ``now``, moving a task timed by polls on; return it."""

    def take_due(self, account_id: str, now: float) -> list[Task]:
        """Remove and return this account's unsettled tasks whose outcome is due by ``now``."""

    def forget_tasks(self, now: float, ttl: float, limit: int) -> int:
        """Drop settled tasks older than ``ttl`` and the oldest past ``limit``; return how many."""

    def add_file(self, stored: StoredFile) -> None:
        """Store an uploaded file."""

    def file(self, file_id: str) -> StoredFile | None:
        """Return a file, or None."""

    def forget_files(self, now: float, ttl: float, max_bytes: int) -> int:
        """Drop files older than ``ttl``, then the oldest while all hold over ``max_bytes``."""

    def claim_idempotency(
        self, record: IdempotencyRecord, now: float, ttl: float, limit: int | None = None
    ) -> IdempotencyRecord | None:
        """Store ``record`` unless a live record holds its key; return that record if so.

        Records older than ``ttl`` are forgotten, and past ``limit`` records the oldest.
        """

    def drop_idempotency(self, account_id: str, key: str) -> None:
        """Forget an idempotency key (its request did not create a task)."""


class MemoryStore:
    """The in-process ``Store``: dictionaries, and a heap of unsettled tasks per account."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self._accounts: dict[str, Account] = {}
        self._keys: dict[str, ApiKey] = {}
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._due: dict[str, list[tuple[float, str]]] = {}
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._file_bytes = 0
        self._idempotency: OrderedDict[tuple[str, str], IdempotencyRecord] = OrderedDict()

    def add_account(self, account: Account) -> None:
        """Store a new account."""
        if account.id in self._accounts:
            raise ValueError(f"account {account.id} exists")
        self._accounts[account.id] = account

    def account(self, account_id: str) -> Account | None:
        """Return an account, or None."""
        return self._accounts.get(account_id)

    def accounts(self) -> list[Account]:
        """Return every account."""
        return list(self._accounts.values())

    def grant(self, account_id: str, credits: int) -> Account:
        """Add ``credits`` to an account's balance and grant; the balance stays >= 0."""
        account = self._accounts[account_id]
        if account.balance + credits < 0:
            raise ValueError("the balance cannot go below zero")
        account.balance += credits
        account.granted += credits
        return account

    def add_key(self, key: ApiKey) -> None:
        """Store a key, replacing one with the same secret."""
        self._keys[key.secret] = key

    def key(self, secret: str) -> ApiKey | None:
        """Return the key with this secret, or None."""
        return self._keys.get(secret)

    def keys(self) -> list[ApiKey]:
        """Return every key."""
        return list(self._keys.values())

    def reserve(self, account_id: str, credits: int) -> bool:
        """Move ``credits`` from balance to reserved if the balance covers them."""
        account = self._accounts[account_id]
        if account.balance < credits:
            return False
        account.balance -= credits
        account.reserved += credits
        return True

    def release(self, account_id: str, credits: int, *, charged: int) -> None:
        """End a reservation of ``credits``: ``charged`` of it spent, the rest refunded."""
        account = self._accounts[account_id]
        account.reserved -= credits
        account.spent += charged
        account.balance += credits - charged
        account.refunded += credits - charged

    def add_task(self, task: Task) -> None:
        """Store a new task and schedule its settlement."""
        self._tasks[task.id] = task
        if task.finishes:
            heapq.heappush(self._due.setdefault(task.account_id, []), (task.finishes_at, task.id))

    def task(self, task_id: str) -> Task | None:
        """Return a task, or None."""
        return self._tasks.get(task_id)

    def tasks(self) -> list[Task]:
        """Return every task kept, oldest first."""
        return list(self._tasks.values())

    def record_poll(self, task_id: str, now: float) -> Task | None:
        """Count a poll of the task at ``now``, moving a task timed by polls on; return it."""
        task = self._tasks.get(task_id)
        if task is not None and task.polled(now):
            heapq.heappush(self._due.setdefault(task.account_id, []), (task.finishes_at, task.id))
        return task

    def take_due(self, account_id: str, now: float) -> list[Task]:
        """Remove and return this account's unsettled tasks whose outcome is due by ``now``."""
        heap = self._due.get(account_id)
        due: list[Task] = []
        while heap and heap[0][0] <= now:
            _, task_id = heapq.heappop(heap)
            task = self._tasks.get(task_id)
            if task is not None and not task.settled:
                due.append(task)
        return due

    def forget_tasks(self, now: float, ttl: float, limit: int) -> int:
        """Drop settled tasks older than ``ttl`` and the oldest settled past ``limit``."""
        doomed: list[str] = []
        kept = len(self._tasks)
        for task_id, task in self._tasks.items():  # oldest first; stops at the first young one
            if kept <= limit and task.created_at > now - ttl:
                break
            if task.settled:
                doomed.append(task_id)
                kept -= 1
        for task_id in doomed:
            del self._tasks[task_id]
        return len(doomed)

    def add_file(self, stored: StoredFile) -> None:
        """Store an uploaded file."""
        self._files[stored.id] = stored
        self._file_bytes += stored.size_bytes

    def file(self, file_id: str) -> StoredFile | None:
        """Return a file, or None."""
        return self._files.get(file_id)

    def forget_files(self, now: float, ttl: float, max_bytes: int) -> int:
        """Drop files older than ``ttl``, then the oldest while all hold over ``max_bytes``."""
        dropped = 0
        while self._files:
            oldest = next(iter(self._files.values()))
            if oldest.created_at > now - ttl and self._file_bytes <= max_bytes:
                break
            self._files.popitem(last=False)
            self._file_bytes -= oldest.size_bytes
            dropped += 1
        return dropped

    def claim_idempotency(
        self, record: IdempotencyRecord, now: float, ttl: float, limit: int | None = None
    ) -> IdempotencyRecord | None:
        """Store ``record`` unless a live record holds its key; return that record if so.

        Records older than ``ttl`` are forgotten, and past ``limit`` records the oldest.
        """
        while self._idempotency:
            oldest = next(iter(self._idempotency.values()))
            if oldest.created_at > now - ttl:
                break
            self._idempotency.popitem(last=False)
        slot = (record.account_id, record.key)
        existing = self._idempotency.get(slot)
        if existing is not None:
            return existing
        self._idempotency[slot] = record
        if limit is not None and len(self._idempotency) > limit:
            self._idempotency.popitem(last=False)
        return None

    def drop_idempotency(self, account_id: str, key: str) -> None:
        """Forget an idempotency key."""
        self._idempotency.pop((account_id, key), None)
