"""What else the processes of a Redis store share: the scripts and faults, and the clock.

``RedisRules`` keeps the rules of ``rules.py`` in the store's namespace: a rule's uses
are counted by one script, so ``times: 3`` applies 3 times across every process.
``SharedClock`` is the mock's clock kept there: a virtual time that every process
reads and advances, or the wall clock plus a shared offset.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from rivya_contract.mock_server.clock import LATEST, PINNED, AdvanceHook
from rivya_contract.mock_server.redis_store import RedisStore, num
from rivya_contract.mock_server.rules import Kind, StoredRule

KINDS: dict[str, Kind] = {"script": "script", "fault": "fault", "whfault": "whfault"}
"""Each kind of rule by the start of its ids."""
_TOO_LATE = "the clock cannot move past 9999-12-31T23:59:59Z"


class SharedRule(StoredRule):
    """A rule kept in Redis whose ``used`` is read from there, so a handle stays current."""

    def __init__(self, rules: RedisRules, rule_id: str, fields: dict[str, object], order: int):
        super().__init__(rule_id, dict(fields), order)
        self._rules = rules

    @property
    def used(self) -> int:
        """How many matches the rule has applied to, across every process."""
        return self._rules.uses(self.id)

    @used.setter
    def used(self, value: int) -> None:
        pass  # counted in Redis only


class RedisRules:
    """The ``Rules`` of a Redis store, in its namespace."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._run = store.run
        self._client = store.client

    def version(self) -> int:
        """Return the rules' version, which every add and removal moves on."""
        return int(self._client.get(self._store.prefix + "r:v") or 0)

    def uses(self, rule_id: str) -> int:
        """Return how many matches a rule has applied to."""
        return int(self._client.hget(self._store.prefix + "r:used", rule_id) or 0)

    def add(self, kind: Kind, fields: dict[str, object]) -> StoredRule:
        """Keep a new rule after every rule of its kind."""
        rule_id, order = self._run("add_rule", kind, json.dumps(fields))
        return SharedRule(self, rule_id.decode(), fields, int(order))

    def load(self, kind: Kind) -> list[StoredRule]:
        """Return the rules of a kind in order."""
        flat = self._run("load_rules", kind)
        return [
            SharedRule(self, flat[i].decode(), json.loads(flat[i + 2]), int(float(flat[i + 1])))
            for i in range(0, len(flat), 4)
        ]

    def use(self, kind: Kind, rule: StoredRule, times: int | None) -> bool:
        """Count one use in one script; False when another process used the last one."""
        return bool(self._run("use_rule", kind, rule.id, "" if times is None else times))

    def give_back(self, kind: Kind, rule: StoredRule, times: int | None) -> None:
        """Undo one use, keeping the rule again if that use had removed it."""
        self._run("give_back_rule", kind, rule.id, rule.order, json.dumps(rule.fields))

    def remove(self, rule_id: str) -> bool:
        """Remove the rule with this id; return whether there was one."""
        kind = KINDS.get(rule_id.partition("_")[0])
        return kind is not None and bool(self._run("remove_rules", kind, rule_id))

    def clear(self, kind: Kind) -> int:
        """Remove every rule of a kind; return how many there were."""
        return int(self._run("remove_rules", kind, ""))

    def reset(self) -> None:
        """Nothing to do: the store's reset removed the rules and moved the version on."""


class SharedClock:
    """The mock's clock, kept in the store's namespace so every process sees one time.

    Virtual: the time stands still until advanced, by any process. Real: the wall
    clock plus an offset every process shares (held monotonic per process).
    ``advance`` claims its span first (so advances from several processes add up), calls
    ``on_advance`` with the target (which may ``set`` the time through the moments on the
    way, as on a ``VirtualClock``), then moves the time to the target.
    """

    def __init__(self, store: RedisStore, *, virtual: bool) -> None:
        self.virtual = virtual
        self._store = store
        self._keys = (store.prefix + "clock:now", store.prefix + "clock:offset")
        self._last = 0.0
        self._lock = threading.Lock()
        self.on_advance: AdvanceHook | None = None
        store.clock = self

    def reading(self, now: bytes | None, offset: bytes | None) -> float:
        """Return the time the stored values give: the virtual time, or wall time + offset."""
        if self.virtual:
            if now is None:  # a Redis that lost its data: the time starts again from now
                now = self._store.run("clock", "start", num(time.time()))
            return float(now)
        with self._lock:
            self._last = max(self._last, time.time() + float(offset or 0.0))
            return self._last

    def now(self) -> float:
        """Return the shared time: the request's, when pinned; else one round trip."""
        pinned = PINNED.get()
        if pinned is not None:
            return pinned
        values: Any = self._store.client.mget(self._keys)
        return self.reading(*values)

    def advance(self, seconds: float) -> float:
        """Move the shared time forward by ``seconds``; return the new time."""
        if not 0 <= seconds < math.inf:
            raise ValueError("the clock only moves forward")
        if self.now() + seconds > LATEST:
            raise ValueError(_TOO_LATE)
        if not self.virtual:
            offset: Any = self._store.client.incrbyfloat(self._keys[1], seconds)
            now = self.reading(None, str(offset).encode())
            if self.on_advance is not None:
                self.on_advance(now)
            return now
        _, reserved = self._store.run("clock", "reserve", num(seconds))
        target = float(reserved)
        try:
            if self.on_advance is not None:
                self.on_advance(target)  # it may walk the time through the moments on the way
        finally:
            now = float(self._store.run("clock", "raise", reserved))
        return now

    def set(self, when: float) -> float:
        """Move the shared virtual time forward to ``when`` (a time past it stays); return it.

        Another process may have moved it further meanwhile, so a ``when`` behind is no error.
        """
        if when > LATEST:
            raise ValueError(_TOO_LATE)
        return float(self._store.run("clock", "raise", num(when)))
