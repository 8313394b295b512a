"""The mock's state as plain records: accounts, keys, tasks, files, idempotency keys."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from rivya_contract.mock_server.ids import new_token

ALL_SCOPES = frozenset(
    {
        "models:read",
        "generations:create",
        "generations:read",
        "files:create",
        "files:read",
        "credits:read",
        "webhooks:manage",
        "chat:create",
        "chat:read",
    }
)
"""Every documented API key scope."""


@dataclass(slots=True)
class Account:
    """One account and its credit wallet.

    Invariant: ``balance + reserved + spent == granted``.
    """

    id: str
    balance: int
    """Credits available for new tasks."""
    reserved: int = 0
    """Credits held by tasks that are not finished yet."""
    spent: int = 0
    """Credits charged for finished tasks."""
    granted: int = 0
    """Every credit ever given to the account."""
    refunded: int = 0
    """Credits returned to the balance by failed tasks (counted in ``balance`` too)."""

    def ledger_ok(self) -> bool:
        """Return whether the wallet invariant holds."""
        return self.balance >= 0 and self.balance + self.reserved + self.spent == self.granted


@dataclass(slots=True)
class ApiKey:
    """An API key: its secret, owner, scopes and state."""

    secret: str
    account_id: str
    scopes: frozenset[str] = ALL_SCOPES
    revoked: bool = False
    expires_at: float | None = None
    """Seconds since the epoch after which the key is expired; None never expires."""


Outcome = Literal["succeeded", "failed"]

FAILURE_CODE = "generation_failed"
"""The documented ``error.code`` of a failed task."""
FAILURE_MESSAGE = "The generation failed."
"""The documented example's ``error.message`` of a failed task."""


@dataclass(slots=True)
class Task:
    """A generation task and its plan: when it leaves each state and how it ends."""

    id: str
    account_id: str
    model: str
    params: dict[str, Any]
    """The params as sent, with the model's defaults filled in."""
    reserved_credits: int
    created_at: float
    processing_at: float
    """When the task leaves queued; equal to finishes_at for a task that fails from queued."""
    finishes_at: float
    """When the task reaches its outcome; ``math.inf`` for a task that never finishes."""
    outcome: Outcome
    error_code: str = FAILURE_CODE
    error_message: str = FAILURE_MESSAGE
    final_credits: int = 0
    settled: bool = False
    """True once the reservation has been charged or refunded."""
    result_paths: list[str] = field(default_factory=list)
    """Paths (under the mock's base URL) of the result media."""
    prompt_chars: int = 0
    charge: int = 0
    """What the task costs if it succeeds: its reservation (FIXED), or up to it (METERED)."""
    """The prompt's length in characters (what an audio result's length follows)."""
    queued_polls: int | None = None
    """For a task timed by polls: how many polls see it queued; None for a timed task."""
    processing_polls: int | None = None
    """For a task timed by polls: how many polls see it processing; None for ever."""
    polls: int = 0
    """How many times the task has been polled."""

    @property
    def by_polls(self) -> bool:
        """Return whether the task moves on by being polled rather than by time."""
        return self.queued_polls is not None

    def polled(self, now: float) -> bool:
        """Count one poll at ``now``, moving a task timed by polls on; return whether it finished.

        A timed task only counts the poll.
        """
        self.polls += 1
        if self.queued_polls is None:
            return False
        if self.polls > self.queued_polls and math.isinf(self.processing_at):
            self.processing_at = now
        if self.processing_polls is None or not math.isinf(self.finishes_at):
            return False
        if self.polls > self.queued_polls + self.processing_polls:
            self.finishes_at = now
            return True
        return False

    def status_at(self, now: float) -> str:
        """Return the task's status at ``now``."""
        if now >= self.finishes_at:
            return self.outcome
        if now >= self.processing_at:
            return "processing"
        return "queued"

    def updated_at(self, now: float) -> float:
        """Return when the status last changed, as seen at ``now``."""
        if now >= self.finishes_at:
            return self.finishes_at
        if now >= self.processing_at:
            return self.processing_at
        return self.created_at

    def kept(self, now: float, ttl: float) -> bool:
        """Return whether retention keeps the task at ``now``.

        A task is kept while unfinished, and until ``ttl`` seconds after its creation.
        """
        return now < self.finishes_at or self.created_at > now - ttl

    @property
    def finishes(self) -> bool:
        """Return whether the task ever reaches an outcome."""
        return not math.isinf(self.finishes_at)


@dataclass(slots=True)
class StoredFile:
    """An uploaded reference file."""

    id: str
    account_id: str
    kind: str
    name: str
    mime_type: str
    size_bytes: int
    created_at: float
    data: bytes = field(repr=False)
    duration_token: str | None = None
    token: str = field(default_factory=new_token, repr=False)
    """The unguessable part of the file's url (``/media/files/<id>/<token>``)."""


@dataclass(slots=True)
class IdempotencyRecord:
    """What an Idempotency-Key was first used for."""

    account_id: str
    key: str
    fingerprint: str
    task_id: str
    created_at: float
