"""Scripted task outcomes: what the next matching creates do, consumed once or N times."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from rivya_contract.mock_server.counted import Counted
from rivya_contract.mock_server.lifecycle import Plan
from rivya_contract.schemas import ModelCard

ScriptOutcome = Literal["succeeded", "failed", "processing"]


@dataclass(eq=False)
class Script(Counted):
    """A scripted outcome for the next creates that match every given field."""

    id: str
    plan: Plan
    outcome: ScriptOutcome
    model: str | None = None
    prompt_contains: str | None = None
    client_request_id: str | None = None
    account: str | None = None
    times: int | None = 1
    """How many creates it scripts; None for every match until removed."""
    used: int = 0

    def matches(self, card: ModelCard, body: Any, account_id: str) -> bool:
        """Return whether a create of ``body`` by ``account_id`` is one this script is for."""
        if self.model is not None and self.model != card.id:
            return False
        if self.account is not None and self.account != account_id:
            return False
        fields = body if isinstance(body, dict) else {}
        if self.prompt_contains is not None:
            prompt = fields.get("prompt")
            if not isinstance(prompt, str) or self.prompt_contains not in prompt:
                return False
        return self.client_request_id is None or (
            fields.get("client_request_id") == self.client_request_id
        )

    def to_json(self) -> dict[str, Any]:
        """Return the script as the control API shows it."""
        plan = self.plan
        return {
            "id": self.id,
            "model": self.model,
            "prompt_contains": self.prompt_contains,
            "client_request_id": self.client_request_id,
            "account": self.account,
            "outcome": self.outcome,
            "queued": None if math.isinf(plan.queued_seconds) else plan.queued_seconds,
            "processing": None if math.isinf(plan.processing_seconds) else plan.processing_seconds,
            "code": plan.error_code if self.outcome == "failed" else None,
            "message": plan.error_message if self.outcome == "failed" else None,
            "times": self.times,
            "used": self.used,
            "remaining": self.remaining,
        }
