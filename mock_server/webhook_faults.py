"""Scenario control of deliveries: duplicate, reorder, delay, drop or mis-sign the next ones.

A delivery fault comes from the control API (``POST /__mock__/webhook-faults``), the
``X-Rivya-Mock`` header (``webhook_*`` directives) or Python
(``mock.control.webhooks.fault(...)``); each front end hands its fields to
``delivery_fault_spec``, which checks them against ``control.schema.json#/$defs/webhook-fault``
with the same validator as faults and scripts (``specs.check``). A fault applies to the next
``times`` attempts matching every field it names, then goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rivya_contract.mock_server.counted import Counted
from rivya_contract.mock_server.rules import Kind, Rules, StoredRule
from rivya_contract.mock_server.specs import check

Signing = Literal["bad", "stale", "future"]


@dataclass(frozen=True)
class DeliveryFaultSpec:
    """What to do to matching attempts, and which ones."""

    duplicate: int = 0
    """Extra copies sent right after the attempt, with the same webhook-id and body."""
    delay: float = 0.0
    """Seconds on the mock's clock the attempt is put off by (it is not sent now)."""
    drop: bool = False
    """The attempt is lost on the way: the receiver never sees it; it counts as failed."""
    reorder: bool = False
    """The attempt is held back and sent right after the endpoint's next attempt."""
    sign: Signing | None = None
    """Mis-sign the attempt: a wrong signature, or a stale or future timestamp."""
    endpoint_id: str | None = None
    event_type: str | None = None
    event_id: str | None = None
    task_id: str | None = None
    times: int | None = 1


def delivery_fault_spec(fields: Mapping[str, Any]) -> DeliveryFaultSpec:
    """Return the delivery fault ``fields`` describe; raise ``SpecError`` naming the field."""
    check("webhook-fault", fields)
    return DeliveryFaultSpec(
        duplicate=int(fields.get("duplicate", 0)),
        delay=float(fields.get("delay", 0.0)),
        drop=bool(fields.get("drop", False)),
        reorder=bool(fields.get("reorder", False)),
        sign=fields.get("sign"),
        endpoint_id=fields.get("endpoint_id"),
        event_type=fields.get("event_type"),
        event_id=fields.get("event_id"),
        task_id=fields.get("task_id"),
        times=fields.get("times", 1),
    )


KIND: Kind = "whfault"
"""The kind of rule a delivery fault is kept as."""


@dataclass(eq=False)
class DeliveryFault(Counted):
    """A delivery fault, counted down as it hits attempts."""

    id: str
    spec: DeliveryFaultSpec
    rule: StoredRule | None = None

    @property
    def times(self) -> int | None:
        """How many attempts it hits; None for every match until removed."""
        return self.spec.times

    def matches(
        self, endpoint_id: str, event_type: str, event_id: str, task_id: str | None
    ) -> bool:
        """Return whether an attempt of this event to this endpoint is one the fault is for."""
        spec = self.spec
        wanted = (
            (spec.endpoint_id, endpoint_id),
            (spec.event_type, event_type),
            (spec.event_id, event_id),
            (spec.task_id, task_id),
        )
        return all(expected is None or expected == actual for expected, actual in wanted)

    def to_json(self) -> dict[str, Any]:
        """Return the fault as the control API shows it."""
        spec = self.spec
        return {
            "id": self.id,
            "duplicate": spec.duplicate,
            "delay": spec.delay,
            "drop": spec.drop,
            "reorder": spec.reorder,
            "sign": spec.sign,
            "endpoint_id": spec.endpoint_id,
            "event_type": spec.event_type,
            "event_id": spec.event_id,
            "task_id": spec.task_id,
            "times": spec.times,
            "used": self.used,
            "remaining": self.remaining,
        }


class DeliveryFaults:
    """The delivery faults still waiting, tried in the order they were added.

    They are kept in the mock's ``Rules`` (kind ``whfault``), so processes sharing a
    store share them and count each use once.
    """

    def __init__(self, rules: Rules) -> None:
        self._rules = rules
        self._version: int | None = None
        self._typed: list[DeliveryFault] = []

    def add(self, fields: Mapping[str, Any]) -> DeliveryFault:
        """Add the fault ``fields`` describe; raise ``SpecError`` naming a bad field."""
        spec = delivery_fault_spec(fields)
        rule = self._rules.add(KIND, dict(fields))
        return DeliveryFault(rule.id, spec, rule)

    def all(self) -> list[DeliveryFault]:
        """Return the faults still waiting."""
        return [
            DeliveryFault(rule.id, delivery_fault_spec(rule.fields), rule)
            for rule in self._rules.load(KIND)
        ]

    def clear(self) -> int:
        """Remove every fault; return how many there were."""
        return self._rules.clear(KIND)

    def remove(self, fault_id: str) -> bool:
        """Remove one fault; return whether there was one."""
        return fault_id.startswith(KIND + "_") and self._rules.remove(fault_id)

    def take(
        self, endpoint_id: str, event_type: str, event_id: str, task_id: str | None
    ) -> DeliveryFaultSpec | None:
        """Return the first fault matching an attempt, counting it; None when none does."""
        version = self._rules.version()
        if version != self._version:
            self._typed, self._version = self.all(), version
        for fault in self._typed:
            rule = fault.rule
            matches = fault.matches(endpoint_id, event_type, event_id, task_id)
            if matches and rule is not None and self._rules.use(KIND, rule, fault.times):
                return fault.spec
        return None
