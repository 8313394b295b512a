"""``Mock``: one mock of the Rivya API, with its config, clock, backend, control and app."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rivya_contract.mock_server.api import Api
from rivya_contract.mock_server.backend import DEMO_ACCOUNT, Backend
from rivya_contract.mock_server.clock import Clock, SystemClock, VirtualClock
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.control import Controller
from rivya_contract.mock_server.journal import Journal
from rivya_contract.mock_server.metrics import Metrics
from rivya_contract.mock_server.rules import MemoryRules, Rules
from rivya_contract.mock_server.store import MemoryStore, Store
from rivya_contract.mock_server.webhook_store import WebhookStore

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from rivya_contract.mock_server.replay import Replayer

__all__ = ["DEMO_ACCOUNT", "Mock"]


class Mock:
    """A mock of the Rivya API v1, served by ``app``.

    ``Mock()`` starts from the embedded defaults: one demo account holding
    ``config.credits`` credits and the key ``config.api_key`` with every scope.

    - ``backend``: the domain (accounts, keys, tasks, files, credits): ``create_task``,
      ``poll``, ``upload``, ``file``, ``balance``.
    - ``control``: scenario control: ``script``, ``fault``, ``journal``, ``accounts``, ``reset``,
      and ``webhooks`` (delivery faults, resend, in-process receivers, ``flush``).
    - ``clock``: the time every step reads; ``clock.advance(s)`` with a virtual clock.
    - ``api``: the transport-independent request pipeline; ``app``: the Starlette app.

    ``config.store`` names where the state lives: ``memory`` (this mock alone) or a Redis
    URL, whose namespace every mock naming it shares (``redis_store.RedisStore``).
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        store: Store | None = None,
        webhook_store: WebhookStore | None = None,
    ) -> None:
        self.config = config or MockConfig()
        state = _state(self.config, store)
        self.clock: Clock = state.clock
        self.backend = Backend(
            self.config,
            state.store,
            self.clock,
            webhook_store=webhook_store or state.webhooks,
            rules=state.rules,
        )
        self.control = Controller(self.backend, state.journal)
        self.metrics = Metrics(self.control)
        """Prometheus metrics, served at ``/__mock__/metrics``."""
        self.control.metrics = self.metrics
        count = self.metrics.webhook_attempts
        self.backend.webhooks.dispatcher.on_attempt = lambda event, outcome: count.labels(
            event, outcome
        ).inc()
        self.lock = threading.RLock()
        """Held while a request's head is checked and while its handler runs (never across
        an await), so threads calling the pipeline at once see each step whole."""
        self.api = Api(self)
        self.replayer: Replayer | None = None
        """What answers the API from a cassette, when ``config.replay`` names one."""
        if self.config.replay is not None:
            from rivya_contract.mock_server.replay import install

            self.replayer = install(self, Path(self.config.replay))

    @classmethod
    def replay(cls, path: str | Path, config: MockConfig | None = None) -> Mock:
        """Return a mock answering the API from the cassette at ``path``, on a virtual clock.

        ``path`` is a cassette file or a folder holding one; see ``mock_server/replay.py``.

        Raises ``CassetteError`` naming the file and entry of a cassette it cannot use.
        """
        return cls((config or MockConfig()).replace(replay=str(path), virtual_clock=True))

    def reset(self) -> None:
        """Forget every account, key, task, file, script, fault and journal entry.

        The demo account is created again; the clock keeps its time.
        """
        with self.lock:
            self.control.reset()

    def close(self) -> None:
        """Stop delivering webhooks in the background and close their connections."""
        self.backend.webhooks.dispatcher.stop()

    @property
    def shared(self) -> bool:
        """Whether other processes share this mock's state (a Redis store)."""
        return self.backend.store.shared

    @cached_property
    def app(self) -> Starlette:
        """The Starlette app serving this mock."""
        from rivya_contract.mock_server.asgi import build_app

        return build_app(self)


@dataclass(frozen=True)
class State:
    """Where a mock keeps its state: in this process, or shared on a Redis store."""

    store: Store
    rules: Rules
    clock: Clock
    webhooks: WebhookStore | None = None
    """The webhook store (None: the backend's own, in memory)."""
    journal: Callable[..., Journal] = Journal
    """Makes the journal from ``Journal``'s arguments."""


def _state(config: MockConfig, store: Store | None) -> State:
    """Return the store, rules, clock, webhook store and journal ``config.store`` names."""
    virtual = config.virtual_clock or config.replay is not None
    if store is not None or config.store == "memory":
        clock: Clock = VirtualClock() if virtual else SystemClock()
        return State(store or MemoryStore(), MemoryRules(), clock)
    from rivya_contract.mock_server.redis_journal import SharedJournal
    from rivya_contract.mock_server.redis_shared import RedisRules, SharedClock
    from rivya_contract.mock_server.redis_store import RedisStore, connect
    from rivya_contract.mock_server.redis_webhooks import RedisWebhookStore

    shared = RedisStore(connect(config.store), config.namespace)
    return State(
        shared,
        RedisRules(shared),
        SharedClock(shared, virtual=virtual),
        RedisWebhookStore(shared),
        functools.partial(SharedJournal, shared),
    )
