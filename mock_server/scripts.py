"""Scripted task outcomes: what the next matching creates do, consumed once or N times."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rivya_contract.mock_server.counted import Counted
from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.mock_server.rules import StoredRule
from rivya_contract.mock_server.specs import ScriptSpec
from rivya_contract.schemas import ModelCard


def _seconds(value: float) -> float | str:
    return "forever" if math.isinf(value) else value


@dataclass(eq=False)
class Script(Counted):
    """A scripted outcome, counted down as it scripts creates."""

    id: str
    spec: ScriptSpec
    rule: StoredRule | None = None

    @property
    def times(self) -> int | None:
        """How many creates it scripts; None for every match until removed."""
        return self.spec.times

    @property
    def plan(self) -> Plan:
        """The plan of the tasks it makes."""
        return self.spec.plan

    def matches(self, card: ModelCard, body: Any, account_id: str) -> bool:
        """Return whether a create of ``body`` by ``account_id`` is one this script is for."""
        spec = self.spec
        if spec.model is not None and spec.model != card.id:
            return False
        if spec.account is not None and spec.account != account_id:
            return False
        fields = body if isinstance(body, dict) else {}
        if spec.prompt_contains is not None:
            prompt = fields.get("prompt")
            if not isinstance(prompt, str) or spec.prompt_contains not in prompt:
                return False
        return spec.client_request_id is None or (
            fields.get("client_request_id") == spec.client_request_id
        )

    def to_json(self) -> dict[str, Any]:
        """Return the script as the control API shows it."""
        spec, plan = self.spec, self.spec.plan
        failed = spec.outcome == "failed"
        return {
            "id": self.id,
            "model": spec.model,
            "prompt_contains": spec.prompt_contains,
            "client_request_id": spec.client_request_id,
            "account": spec.account,
            "outcome": spec.outcome,
            "queued": None if plan.by_polls else _seconds(plan.queued_seconds),
            "processing": None if plan.by_polls else _seconds(plan.processing_seconds),
            "queued_polls": plan.queued_polls,
            "processing_polls": plan.processing_polls,
            "code": plan.error_code if failed else None,
            "message": plan.error_message if failed else None,
            "times": spec.times,
            "used": self.used,
            "remaining": self.remaining,
        }
