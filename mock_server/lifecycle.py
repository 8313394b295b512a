"""A task's life: its plan (timing and outcome), its view at a given time, and settlement."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rivya_contract.mock_server import results
from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.records import FAILURE_CODE, FAILURE_MESSAGE, Outcome, Task
from rivya_contract.schemas import ModelCard


@dataclass(frozen=True)
class Plan:
    """How a task will run: how long it stays queued and processing, and how it ends.

    A timed plan counts seconds (``processing_seconds = math.inf`` keeps the
    task processing for ever). A plan ``by_polls`` counts the task's polls
    instead: the first ``queued_polls`` polls see it queued, the next
    ``processing_polls`` processing, and the poll after them its outcome
    (``processing_polls = None``: processing for ever).
    """

    queued_seconds: float
    processing_seconds: float
    outcome: Outcome = "succeeded"
    error_code: str = FAILURE_CODE
    error_message: str = FAILURE_MESSAGE
    queued_polls: int | None = None
    processing_polls: int | None = None
    by_polls: bool = False


def default_plan(config: MockConfig, card: ModelCard, rng: random.Random) -> Plan:
    """Return the plan the config and the model card give, drawing failures from ``rng``."""
    queued = card.queued_seconds if config.queued_seconds is None else config.queued_seconds
    processing = (
        card.processing_seconds if config.processing_seconds is None else config.processing_seconds
    )
    failed = config.failure_rate > 0 and rng.random() < config.failure_rate
    return Plan(queued, processing, "failed" if failed else "succeeded")


def new_task(
    task_id: str,
    account_id: str,
    card: ModelCard,
    params: dict[str, Any],
    cost: int,
    plan: Plan,
    now: float,
    prompt_chars: int = 0,
    charge: int | None = None,
    *,
    token: str,
) -> Task:
    """Return a task created at ``now`` that will follow ``plan``.

    ``token``, the unguessable part of its result urls, makes them
    ``/media/results/<task id>/<token>/<n>.<extension>``.
    """
    if plan.by_polls:
        processing_at = finishes_at = math.inf
    else:
        processing_at = now + plan.queued_seconds
        finishes_at = processing_at + plan.processing_seconds
    extension = results.EXTENSIONS.get(results.mime_type(card, params), "bin")
    made = results.count(card, params)
    paths = [f"/media/results/{task_id}/{token}/{n}.{extension}" for n in range(made)]
    return Task(
        id=task_id,
        account_id=account_id,
        model=card.id,
        params=params,
        reserved_credits=cost,
        created_at=now,
        processing_at=processing_at,
        finishes_at=finishes_at,
        outcome=plan.outcome,
        error_code=plan.error_code,
        error_message=plan.error_message,
        result_paths=paths,
        prompt_chars=prompt_chars,
        charge=cost if charge is None else charge,
        queued_polls=plan.queued_polls if plan.by_polls else None,
        processing_polls=plan.processing_polls,
    )


_iso = lru_cache(maxsize=4096)(iso)
"""``iso`` remembered: a task's creation time is rendered on every poll of it."""


def task_view(task: Task, now: float, base_url: str, *, created: bool = False) -> dict[str, Any]:
    """Return the public task object as the API shows it at ``now``.

    ``created`` gives the create response, which is always ``queued`` (as
    documented), even for a task planned to finish at once.
    """
    status = "queued" if created else task.status_at(now)
    result = None
    error = None
    final_credits = 0
    if status == "succeeded":
        urls = [base_url + path for path in task.result_paths]
        result = {"primary_url": urls[0], "urls": urls}
        final_credits = task.charge
    elif status == "failed":
        error = {"code": task.error_code, "message": task.error_message}
    return {
        "id": task.id,
        "status": status,
        "model": task.model,
        "reserved_credits": task.reserved_credits,
        "final_credits": final_credits,
        "created_at": _iso(task.created_at),
        "updated_at": _iso(task.created_at if created else task.updated_at(now)),
        "result": result,
        "error": error,
    }
