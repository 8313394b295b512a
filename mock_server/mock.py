"""``Mock``: one mock of the Rivya API, with its config, state, clock and apps."""

from __future__ import annotations

import json
import random
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from rivya_contract.mock_server import lifecycle
from rivya_contract.mock_server.api import Api
from rivya_contract.mock_server.clock import Clock, SystemClock, VirtualClock
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.control import Controller as ScenarioControl
from rivya_contract.mock_server.exchange import Call, Reply
from rivya_contract.mock_server.ratelimit import RateLimiter
from rivya_contract.mock_server.records import Account, ApiKey, StoredFile, Task
from rivya_contract.mock_server.store import MemoryStore, Store
from rivya_contract.schemas import ModelCard

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from rivya_contract.mock_server.routes import Route

DEMO_ACCOUNT = "acct_demo"
"""The id of the account the embedded defaults create."""

TASK_SWEEP_EVERY = 256
"""Creates between two sweeps of expired tasks."""


class Controller(Protocol):
    """What scenario control adds to the pipeline: interception, scripted plans, a journal."""

    def intercept(self, call: Call, route: Route) -> Reply | None:
        """Return a reply that replaces the request's own (an injected fault), or None."""

    def plan(
        self, call: Call, card: ModelCard, body: Any, account_id: str
    ) -> lifecycle.Plan | None:
        """Return a scripted plan for a new task, or None for the default one."""

    def record(self, call: Call, reply: Reply) -> None:
        """Note a finished request."""


class Mock:
    """A mock of the Rivya API v1: state, clock and pipeline, served by ``app``.

    ``Mock()`` starts from the embedded defaults: one demo account holding
    ``config.credits`` credits and the key ``config.api_key`` with every scope.
    """

    def __init__(self, config: MockConfig | None = None, *, store: Store | None = None) -> None:
        self.config = config or MockConfig()
        self.store: Store = store or MemoryStore()
        self.clock: Clock = VirtualClock() if self.config.virtual_clock else SystemClock()
        self.limiter = RateLimiter(self.config.rate_limit)
        self.scenario = ScenarioControl(self)
        """Scripts, faults, the journal and accounts on demand; see ``control.Controller``."""
        self.control: Controller | None = self.scenario
        self.script = self.scenario.script
        self.fault = self.scenario.fault
        self.journal = self.scenario.journal
        self.accounts = self.scenario.accounts
        self.api = Api(self)
        self._rng = random.Random(self.config.seed)
        self._rng_lock = threading.Lock()
        self.lock = threading.RLock()
        """Held while a request's head is checked and while its handler runs (never across
        an await), so threads calling the pipeline at once see each step whole."""
        self._creates = 0
        self.reset()

    def reset(self) -> None:
        """Forget every account, key, task, file, script, fault and journal entry.

        The demo account is created again; the clock keeps its time.
        """
        self.store.reset()
        self.limiter.reset()
        self.scenario.reset()
        with self._rng_lock:
            self._rng.seed(self.config.seed)
        self.add_account(DEMO_ACCOUNT, self.config.credits)
        self.store.add_key(ApiKey(self.config.api_key, DEMO_ACCOUNT))

    def add_account(self, account_id: str, credits: int) -> Account:
        """Create an account holding ``credits``."""
        account = Account(account_id, balance=credits, granted=credits)
        self.store.add_account(account)
        return account

    def new_id(self, prefix: str) -> str:
        """Return a new id such as ``task_3f2a...``, reproducible for a given seed."""
        with self._rng_lock:
            bits = self._rng.getrandbits(96)
        return f"{prefix}_{bits:024x}"

    def plan_for(self, call: Call, card: ModelCard, body: Any, account_id: str) -> lifecycle.Plan:
        """Return the plan of a new task: a scripted one if any matches, else the default."""
        if self.control is not None:
            scripted = self.control.plan(call, card, body, account_id)
            if scripted is not None:
                return scripted
        with self._rng_lock:
            return lifecycle.default_plan(self.config, card, self._rng)

    def after_create(self, now: float) -> None:
        """Settle due tasks and forget expired ones now and then, so memory stays bounded."""
        self._creates += 1
        if self._creates % TASK_SWEEP_EVERY == 0:
            for account in self.store.accounts():
                self.settle(account.id, now)
            self.store.forget_tasks(now, self.config.task_ttl, self.config.max_tasks)

    def task(self, task_id: str) -> Task | None:
        """Return a task still kept: None when unknown, or finished longer than task_ttl ago."""
        task = self.store.task(task_id)
        if task is None:
            return None
        now = self.clock.now()
        if now >= task.finishes_at and task.created_at <= now - self.config.task_ttl:
            return None
        return task

    def file(self, file_id: str) -> StoredFile | None:
        """Return an uploaded file still kept: None when unknown or older than file_ttl."""
        stored = self.store.file(file_id)
        if stored is None or stored.created_at <= self.clock.now() - self.config.file_ttl:
            return None
        return stored

    def settle(self, account_id: str, now: float) -> None:
        """Charge or refund (per ``refund_on_failure``) the account's tasks finished by ``now``."""
        lifecycle.settle_due(self.store, account_id, now, refund=self.config.refund_on_failure)

    def balance(self, account_id: str = DEMO_ACCOUNT) -> Account:
        """Return an account's wallet after settling its finished tasks."""
        self.settle(account_id, self.clock.now())
        account = self.store.account(account_id)
        if account is None:
            raise KeyError(account_id)
        return account

    @cached_property
    def _openapi(self) -> bytes:
        from rivya_contract.mock_server.openapi import served_document

        return json.dumps(served_document(self), separators=(",", ":")).encode()

    def openapi_bytes(self) -> bytes:
        """Return the OpenAPI document this mock serves, as JSON bytes."""
        return self._openapi

    @cached_property
    def app(self) -> Starlette:
        """The Starlette app serving this mock."""
        from rivya_contract.mock_server.asgi import build_app

        return build_app(self)
