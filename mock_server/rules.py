"""Where scripts and faults are kept: the ``Rules`` interface and its in-memory version.

A rule is the fields it was given (``control.schema.json``'s ``script`` or ``fault``),
an id and how many matches it has used. The controller turns the fields into typed
rules through the one validator (``specs.py``) and keeps them until the rules'
``version`` changes; counting a use is one atomic step here, so a rule with
``times: 3`` applies 3 times in all, however many processes share the rules.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Kind = Literal["script", "fault", "whfault"]
"""Scripts, faults and delivery faults (``webhook_faults.py``)."""


@dataclass
class StoredRule:
    """A rule as kept: its id, the fields it was given, its place and its uses so far."""

    id: str
    fields: dict[str, Any]
    order: int
    used: int = 0


class Rules(Protocol):
    """The scripts and faults of one mock. Implementations make each method atomic."""

    def version(self) -> int:
        """Return a number that changes whenever a rule is added or removed."""

    def add(self, kind: Kind, fields: dict[str, Any]) -> StoredRule:
        """Keep a new rule after every rule of its kind; return it."""

    def load(self, kind: Kind) -> list[StoredRule]:
        """Return the rules of a kind in the order they are tried."""

    def use(self, kind: Kind, rule: StoredRule, times: int | None) -> bool:
        """Count one use of ``rule``; False when it is gone or used up (nothing counted).

        The use that reaches ``times`` removes the rule.
        """

    def give_back(self, kind: Kind, rule: StoredRule, times: int | None) -> None:
        """Undo one use of ``rule`` (its match stored nothing), keeping it again if it went."""

    def remove(self, rule_id: str) -> bool:
        """Remove the rule with this id; return whether there was one."""

    def clear(self, kind: Kind) -> int:
        """Remove every rule of a kind; return how many there were."""

    def reset(self) -> None:
        """Remove every rule and start the ids again."""


class MemoryRules:
    """The in-process ``Rules``: a list per kind under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self.reset()

    def reset(self) -> None:
        """Remove every rule and start the ids again."""
        with self._lock:
            self._rules: dict[Kind, list[StoredRule]] = {"script": [], "fault": [], "whfault": []}
            self._ids = itertools.count(1)
            self._version += 1

    def version(self) -> int:
        """Return a number that changes whenever a rule is added or removed."""
        return self._version

    def add(self, kind: Kind, fields: dict[str, Any]) -> StoredRule:
        """Keep a new rule after every rule of its kind."""
        with self._lock:
            number = next(self._ids)
            rule = StoredRule(f"{kind}_{number}", dict(fields), number)
            self._rules[kind].append(rule)
            self._version += 1
        return rule

    def load(self, kind: Kind) -> list[StoredRule]:
        """Return the rules of a kind, in order (the kept objects: their uses stay current)."""
        with self._lock:
            return list(self._rules[kind])

    def use(self, kind: Kind, rule: StoredRule, times: int | None) -> bool:
        """Count one use; the use that reaches ``times`` removes the rule."""
        with self._lock:
            kept = self._find(kind, rule.id)
            if kept is None or (times is not None and kept.used >= times):
                return False
            kept.used += 1
            if times is not None and kept.used >= times:
                self._rules[kind].remove(kept)
                self._version += 1
            return True

    def give_back(self, kind: Kind, rule: StoredRule, times: int | None) -> None:
        """Undo one use, putting a rule that went back in its place."""
        with self._lock:
            rule.used = max(0, rule.used - 1)
            if self._find(kind, rule.id) is None:
                orders = [each.order for each in self._rules[kind]]
                self._rules[kind].insert(bisect.bisect(orders, rule.order), rule)
                self._version += 1

    def remove(self, rule_id: str) -> bool:
        """Remove the rule with this id; return whether there was one."""
        with self._lock:
            for rules in self._rules.values():
                for rule in rules:
                    if rule.id == rule_id:
                        rules.remove(rule)
                        self._version += 1
                        return True
        return False

    def clear(self, kind: Kind) -> int:
        """Remove every rule of a kind; return how many there were."""
        with self._lock:
            count = len(self._rules[kind])
            self._rules[kind] = []
            self._version += 1
        return count

    def _find(self, kind: Kind, rule_id: str) -> StoredRule | None:
        return next((rule for rule in self._rules[kind] if rule.id == rule_id), None)
