"""Where the mock keeps its state: the ``Store`` interface and the in-memory store.

Every method is one atomic step of the API (open a task: idempotency, credits and the
task together; count a poll and settle; settle an account), so a store shared by
several server processes (``redis_store.RedisStore``) implements the same interface
with one round trip per step.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from rivya_contract.mock_server.records import (
    Account,
    ApiKey,
    IdempotencyRecord,
    StoredFile,
    Task,
)


@dataclass(frozen=True)
class Opened:
    """What ``open_task`` did: stored the task, or found the key taken, or the balance short."""

    task: Task | None = None
    """The task stored, with its credits reserved."""
    earlier: IdempotencyRecord | None = None
    """The live record that already holds the request's Idempotency-Key (nothing stored)."""
    short: int | None = None
    """The balance that does not cover the task's credits (nothing stored)."""


@dataclass(frozen=True)
class Head:
    """What a request needs from the store before it is routed, read in one step."""

    key: ApiKey | None
    """The key the request's bearer token names, or None."""
    rules: int | None = None
    """The version of the scripts and faults (shared stores; None: ask the rules)."""
    now: float | None = None
    """The shared clock's time (shared stores; None: the mock's own clock)."""


NO_HEAD = Head(None)
"""The head of a request without a bearer token, on a store that keeps nothing else."""


class Store(Protocol):
    """The state behind the API. Implementations must make each method atomic."""

    shared: bool
    """Whether other processes share this state (then the clock and rules live here too)."""
    unavailable: tuple[type[Exception], ...]
    """The errors a step raises when the store cannot be reached (answered 503)."""

    def reset(self) -> None:
        """Forget everything but the clock."""

    def initialize(self, account: Account, key: ApiKey) -> bool:
        """Store the default account and key unless this state has them; True if it stored."""

    def head(self, secret: str | None) -> Head:
        """Return the key ``secret`` names and, on a shared store, the rules' version and time."""

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

    def count_request(self, bucket: str, now: float, requests: int, seconds: float) -> float | None:
        """Count a request in ``bucket``'s fixed window of ``seconds``.

        Past ``requests`` in the window nothing is counted and the window's start is
        returned; otherwise None.
        """

    def open_task(
        self,
        task: Task,
        claim: IdempotencyRecord | None,
        *,
        idempotency_ttl: float,
        idempotency_limit: int,
        refund: bool,
    ) -> Opened:
        """Settle the account, then store ``task`` with its credits reserved, all or nothing.

        With ``claim``, a live record for the same account and key wins: nothing is stored
        and it is returned. Records older than ``idempotency_ttl`` are forgotten, and past
        ``idempotency_limit`` records the oldest. A balance short of the task's credits
        stores nothing either (the claim neither).
        """

    def poll(
        self, account_id: str, task_id: str, now: float, *, task_ttl: float, refund: bool
    ) -> Task | None:
        """Count a poll of the account's kept task and settle the account; return the task.

        A task timed by polls moves on. None for a task unknown, another account's, or
        past retention (then nothing is counted).
        """

    def settle(self, account_id: str, now: float, *, refund: bool) -> Account | None:
        """Charge or refund the account's tasks finished by ``now``; return the account after."""

    def task(self, task_id: str) -> Task | None:
        """Return a task, or None."""

    def tasks(self) -> list[Task]:
        """Return every task kept, oldest first."""

    def forget_tasks(self, now: float, ttl: float, limit: int) -> int:
        """Drop settled tasks older than ``ttl`` and the oldest past ``limit``; return how many."""

    def add_file(self, stored: StoredFile, *, ttl: float, max_bytes: int) -> None:
        """Store an uploaded file, then apply retention.

        Files older than ``ttl`` go, then the oldest while all hold over ``max_bytes``.
        """

    def file(self, file_id: str) -> StoredFile | None:
        """Return a file, or None."""


def charged(task: Task, *, refund: bool) -> int:
    """Return what settling ``task`` charges.

    A success costs its charge; a failure nothing, or its whole reservation when
    failures are not refunded.
    """
    if task.outcome == "succeeded":
        return task.charge
    return 0 if refund else task.reserved_credits


class MemoryStore:
    """The in-process ``Store``: dictionaries, and a heap of unsettled tasks per account.

    Each step runs under the pipeline's lock (``Mock.lock``), so a step is atomic.
    """

    shared = False
    unavailable: tuple[type[Exception], ...] = ()

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
        self._windows: dict[str, tuple[float, int]] = {}
        self._initialized = False

    def initialize(self, account: Account, key: ApiKey) -> bool:
        """Store the default account and key, once after each reset."""
        if self._initialized:
            return False
        self._initialized = True
        self._accounts.setdefault(account.id, account)
        self._keys[key.secret] = key
        return True

    def head(self, secret: str | None) -> Head:
        """Return the key ``secret`` names (the rules and the clock are the mock's own)."""
        return NO_HEAD if secret is None else Head(self._keys.get(secret))

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

    def count_request(self, bucket: str, now: float, requests: int, seconds: float) -> float | None:
        """Count a request in a fixed window; over the limit return the window's start."""
        start, count = self._windows.get(bucket, (now, 0))
        if now - start >= seconds:
            start, count = now, 0
        if count >= requests:
            return start
        self._windows[bucket] = (start, count + 1)
        return None

    def open_task(
        self,
        task: Task,
        claim: IdempotencyRecord | None,
        *,
        idempotency_ttl: float,
        idempotency_limit: int,
        refund: bool,
    ) -> Opened:
        """Settle, claim the key, reserve the credits and store the task, all or nothing."""
        now = task.created_at
        self.settle(task.account_id, now, refund=refund)
        if claim is not None:
            earlier = self._claimed(claim, now, idempotency_ttl)
            if earlier is not None:
                return Opened(earlier=earlier)
        account = self._accounts[task.account_id]
        if account.balance < task.reserved_credits:
            return Opened(short=account.balance)
        account.balance -= task.reserved_credits
        account.reserved += task.reserved_credits
        if claim is not None:
            self._idempotency[(claim.account_id, claim.key)] = claim
            if len(self._idempotency) > idempotency_limit:
                self._idempotency.popitem(last=False)
        self._tasks[task.id] = task
        if task.finishes:
            heapq.heappush(self._due.setdefault(task.account_id, []), (task.finishes_at, task.id))
        return Opened(task=task)

    def _claimed(
        self, claim: IdempotencyRecord, now: float, ttl: float
    ) -> IdempotencyRecord | None:
        while self._idempotency:
            oldest = next(iter(self._idempotency.values()))
            if oldest.created_at > now - ttl:
                break
            self._idempotency.popitem(last=False)
        return self._idempotency.get((claim.account_id, claim.key))

    def poll(
        self, account_id: str, task_id: str, now: float, *, task_ttl: float, refund: bool
    ) -> Task | None:
        """Count a poll of the account's kept task and settle the account; return the task."""
        task = self._tasks.get(task_id)
        if task is None or task.account_id != account_id or not task.kept(now, task_ttl):
            return None
        if task.polled(now):
            heapq.heappush(self._due.setdefault(task.account_id, []), (task.finishes_at, task.id))
        self.settle(account_id, now, refund=refund)
        return task

    def settle(self, account_id: str, now: float, *, refund: bool) -> Account | None:
        """Charge or refund the account's tasks finished by ``now``; return the account."""
        account = self._accounts.get(account_id)
        heap = self._due.get(account_id)
        while account is not None and heap and heap[0][0] <= now:
            _, task_id = heapq.heappop(heap)
            task = self._tasks.get(task_id)
            if task is None or task.settled:
                continue
            spent = charged(task, refund=refund)
            account.reserved -= task.reserved_credits
            account.spent += spent
            account.balance += task.reserved_credits - spent
            account.refunded += task.reserved_credits - spent
            task.final_credits = task.charge if task.outcome == "succeeded" else 0
            task.settled = True
        return account

    def task(self, task_id: str) -> Task | None:
        """Return a task, or None."""
        return self._tasks.get(task_id)

    def tasks(self) -> list[Task]:
        """Return every task kept, oldest first."""
        return list(self._tasks.values())

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

    def add_file(self, stored: StoredFile, *, ttl: float, max_bytes: int) -> None:
        """Store an uploaded file, then drop files past retention."""
        self._files[stored.id] = stored
        self._file_bytes += stored.size_bytes
        while self._files:
            oldest = next(iter(self._files.values()))
            if oldest.created_at > stored.created_at - ttl and self._file_bytes <= max_bytes:
                break
            self._files.popitem(last=False)
            self._file_bytes -= oldest.size_bytes

    def file(self, file_id: str) -> StoredFile | None:
        """Return a file, or None."""
        return self._files.get(file_id)
